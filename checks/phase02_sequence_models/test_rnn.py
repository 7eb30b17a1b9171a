"""Checks for phase02_sequence_models/rnn.py: the vanilla RNN step and sequence, forward and BPTT."""
import numpy as np

from checks.helpers import assert_close
from checks.phase02_sequence_models.gradcheck import numerical


def weights(rng, D=3, H=4):
    return rng.normal(size=(D, H)) * 0.5, rng.normal(size=(H, H)) * 0.5, rng.normal(size=H) * 0.1


def test_step_forward(impl, rng):
    x, h_prev = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    Wx, Wh, b = weights(rng)
    h, _ = impl.rnn_step_forward(x, h_prev, Wx, Wh, b)
    assert_close(h, np.tanh(x @ Wx + h_prev @ Wh + b), "rnn_step_forward(x, h_prev, Wx, Wh, b)[0]")


def test_step_backward(impl, ref_tree, rng):
    x, h_prev = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    Wx, Wh, b = weights(rng)
    dh = rng.normal(size=(2, 4))
    _, cache = impl.rnn_step_forward(x, h_prev, Wx, Wh, b)
    got = impl.rnn_step_backward(dh, cache)
    args = [x, h_prev, Wx, Wh, b]
    for k, name in enumerate(["dx", "dh_prev", "dWx", "dWh", "db"]):
        def f(v, k=k):
            a = list(args)
            a[k] = v
            return float(np.sum(np.tanh(a[0] @ a[2] + a[1] @ a[3] + a[4]) * dh))
        assert_close(got[k], numerical(ref_tree, f, args[k]), f"{name} from rnn_step_backward", rtol=1e-5, atol=1e-8,
                     mistake="da = dh * (1 - h^2); then dx = da Wx^T, dh_prev = da Wh^T, dWx = x^T da, dWh = h_prev^T da")


def sequence_loss(impl, x, h0, Wx, Wh, b, w_out):
    hs, _ = impl.rnn_forward(x, h0, Wx, Wh, b)
    return float(np.sum(hs * w_out))


def test_sequence_forward(impl, rng):
    x, h0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 4))
    Wx, Wh, b = weights(rng)
    hs, _ = impl.rnn_forward(x, h0, Wx, Wh, b)
    h, expected = h0, []
    for t in range(5):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
        expected.append(h)
    assert_close(hs, np.stack(expected, axis=1), "rnn_forward(x, h0, Wx, Wh, b)[0] for x (2, 5, 3)",
                 mistake="hs[:, t] is the state AFTER reading x[:, t], each step starting from the previous one")


def test_bptt_matches_numerical(impl, ref_tree, rng):
    x, h0 = rng.normal(size=(2, 6, 3)), rng.normal(size=(2, 4))
    Wx, Wh, b = weights(rng)
    w_out = rng.normal(size=(2, 6, 4))                  # a loss touching every step's state
    hs, caches = impl.rnn_forward(x, h0, Wx, Wh, b)
    got = impl.rnn_backward(w_out, caches)
    args = [x, h0, Wx, Wh, b]
    for k, name in enumerate(["dx", "dh0", "dWx", "dWh", "db"]):
        def f(v, k=k):
            a = list(args)
            a[k] = v
            return sequence_loss(impl, *a, w_out)
        assert_close(got[k], numerical(ref_tree, f, args[k]), f"{name} from rnn_backward over 6 steps",
                     rtol=1e-5, atol=1e-8,
                     mistake="at step t the state's gradient is dhs[:, t] PLUS the dh_prev sent back from step t + 1")


# No compare_inputs: the step functions return caches, whose layout is the learner's own choice.
