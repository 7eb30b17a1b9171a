"""Checks for phase02_sequence_models/gru.py: the GRU step forward and backward (gates r, z, n)."""
import numpy as np

from checks.helpers import assert_close
from checks.phase02_sequence_models.gradcheck import numerical


def sig(x):
    return 1 / (1 + np.exp(-x))


def by_hand(x, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    r = sig(x @ Wx[:, :H] + h_prev @ Wh[:, :H] + b[:H])
    z = sig(x @ Wx[:, H:2 * H] + h_prev @ Wh[:, H:2 * H] + b[H:2 * H])
    n = np.tanh(x @ Wx[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:] + b[2 * H:])
    return z * h_prev + (1 - z) * n


def params(rng, D=3, H=4):
    return rng.normal(size=(D, 3 * H)) * 0.5, rng.normal(size=(H, 3 * H)) * 0.5, rng.normal(size=3 * H) * 0.5


def test_update_gate_known_values(impl):
    """z = sigmoid(large) keeps the old state; z = sigmoid(-large) takes the candidate tanh(b_n)."""
    H = 2
    h_prev = np.array([[0.3, -0.7]])
    for z_bias, expected in ((30.0, h_prev), (-30.0, np.tanh(np.full((1, H), 0.4)))):
        b = np.concatenate([np.zeros(H), np.full(H, z_bias), np.full(H, 0.4)])
        h, _ = impl.gru_step_forward(np.zeros((1, 1)), h_prev, np.zeros((1, 3 * H)), np.zeros((H, 3 * H)), b)
        assert_close(h, expected, f"gru_step_forward with update-gate bias {z_bias:+.0f}", atol=1e-10,
                     mistake="h = z * h_prev + (1 - z) * n, with z from the MIDDLE block of the gates (r, z, n)")


def test_step_forward_random(impl, rng):
    x, h_prev = rng.normal(size=(3, 3)), rng.normal(size=(3, 4))
    Wx, Wh, b = params(rng)
    h, _ = impl.gru_step_forward(x, h_prev, Wx, Wh, b)
    assert_close(h, by_hand(x, h_prev, Wx, Wh, b), "gru_step_forward(x, h_prev, Wx, Wh, b)[0]",
                 mistake="the reset gate multiplies h_prev BEFORE Wh_n: n = tanh(x Wx_n + (r * h_prev) Wh_n + b_n)")


def test_saturated_gates(impl, ref, rng):
    """Pre-activations near +-1000 in every gate: r and z saturate at 0 or 1, and nothing may overflow to NaN."""
    x, h_prev = rng.normal(size=(3, 3)), rng.normal(size=(3, 4))
    Wx, Wh, b = params(rng)
    b = b + 1000 * np.where(np.arange(3 * 4) % 2 == 0, 1.0, -1.0)   # every gate's block holds +-1000
    h, _ = impl.gru_step_forward(x, h_prev, Wx, Wh, b)
    h_ref, _ = ref.gru_step_forward(x, h_prev, Wx, Wh, b)
    assert_close(h, h_ref, "gru_step_forward with pre-activations near +-1000", rtol=1e-9, atol=1e-12,
                 mistake="exp(a) / (1 + exp(a)) is inf / inf = NaN for large a: use the given sigmoid")


def test_step_backward(impl, ref_tree, rng):
    x, h_prev = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    Wx, Wh, b = params(rng)
    dh = rng.normal(size=(2, 4))
    _, cache = impl.gru_step_forward(x, h_prev, Wx, Wh, b)
    got = impl.gru_step_backward(dh, cache)
    args = [x, h_prev, Wx, Wh, b]
    for k, name in enumerate(["dx", "dh_prev", "dWx", "dWh", "db"]):
        def f(v, k=k):
            a = list(args)
            a[k] = v
            return float(np.sum(by_hand(*a) * dh))
        assert_close(got[k], numerical(ref_tree, f, args[k]), f"{name} from gru_step_backward(dh, cache)",
                     rtol=1e-5, atol=1e-8,
                     mistake="h_prev reaches h four ways: directly (times z), through r * h_prev, through r and through z")


# No compare_inputs: the step functions return caches, whose layout is the learner's own choice.
