"""Checks for phase02_sequence_models/lstm.py: the LSTM step (core contract: gates i, f, o, g) and sequence."""
import numpy as np

from checks.helpers import assert_close
from checks.phase02_sequence_models.gradcheck import numerical


def sig(x):
    return 1 / (1 + np.exp(-x))


def params(rng, D=3, H=4):
    return rng.normal(size=(D, 4 * H)) * 0.5, rng.normal(size=(H, 4 * H)) * 0.5, rng.normal(size=4 * H) * 0.5


def by_hand(x, h_prev, c_prev, Wx, Wh, b):
    """The LSTM equations with the contract's gate order written out."""
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, o, g = sig(a[:, :H]), sig(a[:, H:2 * H]), sig(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def test_gate_order_known_values(impl):
    """Only the biases are non-zero, each gate's block set to its own value: i = s(2), f = s(-1), o = s(0.5), g = tanh(1)."""
    H = 2
    b = np.concatenate([np.full(H, 2.0), np.full(H, -1.0), np.full(H, 0.5), np.full(H, 1.0)])
    c_prev = np.array([[3.0, -3.0]])
    h, c, _ = impl.lstm_step_forward(np.zeros((1, 1)), np.zeros((1, H)), c_prev, np.zeros((1, 4 * H)), np.zeros((H, 4 * H)), b)
    c_expected = sig(-1.0) * c_prev + sig(2.0) * np.tanh(1.0)
    assert_close(c, c_expected, "c from lstm_step_forward with biases i=2, f=-1, o=0.5, g=1", rtol=1e-10,
                 mistake="the gates are stacked i, f, o, g: a[:, :H] is the INPUT gate, a[:, H:2H] the FORGET gate; "
                         "c = f * c_prev + i * g")
    assert_close(h, sig(0.5) * np.tanh(c_expected), "h from lstm_step_forward with biases i=2, f=-1, o=0.5, g=1",
                 rtol=1e-10, mistake="h = o * tanh(c), with o = sigmoid(a[:, 2H:3H])")


def test_step_forward_random(impl, rng):
    x, h_prev, c_prev = rng.normal(size=(3, 3)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    Wx, Wh, b = params(rng)
    h, c, _ = impl.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    h_exp, c_exp = by_hand(x, h_prev, c_prev, Wx, Wh, b)
    assert_close(c, c_exp, "c from lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)")
    assert_close(h, h_exp, "h from lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)")


def test_saturated_gates(impl, ref, rng):
    """Pre-activations near +-1000 in every gate: every gate saturates at 0 or 1, and nothing may overflow to NaN."""
    x, h_prev, c_prev = rng.normal(size=(3, 3)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    Wx, Wh, b = params(rng)
    b = b + 1000 * np.where(np.arange(4 * 4) % 2 == 0, 1.0, -1.0)   # every gate's block holds +-1000
    h, c, _ = impl.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    h_ref, c_ref, _ = ref.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    assert_close(c, c_ref, "c from lstm_step_forward with pre-activations near +-1000", rtol=1e-9, atol=1e-12,
                 mistake="exp(a) / (1 + exp(a)) is inf / inf = NaN for large a: use the given sigmoid")
    assert_close(h, h_ref, "h from lstm_step_forward with pre-activations near +-1000", rtol=1e-9, atol=1e-12)


def test_step_backward(impl, ref_tree, rng):
    x, h_prev, c_prev = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    Wx, Wh, b = params(rng)
    dh, dc = rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    _, _, cache = impl.lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    got = impl.lstm_step_backward(dh, dc, cache)
    args = [x, h_prev, c_prev, Wx, Wh, b]
    for k, name in enumerate(["dx", "dh_prev", "dc_prev", "dWx", "dWh", "db"]):
        def f(v, k=k):
            a = list(args)
            a[k] = v
            h, c = by_hand(*a)
            return float(np.sum(h * dh) + np.sum(c * dc))
        assert_close(got[k], numerical(ref_tree, f, args[k]), f"{name} from lstm_step_backward(dh, dc, cache)",
                     rtol=1e-5, atol=1e-8,
                     mistake="c gets dc plus dh * o * (1 - tanh(c)^2); dc_prev = dc_total * f; stack the gate "
                             "gradients in the order i, f, o, g")


def test_sequence_bptt(impl, ref_tree, rng):
    x, h0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 4)) * 0.5
    Wx, Wh, b = params(rng)
    w_out = rng.normal(size=(2, 5, 4))
    hs, cT, caches = impl.lstm_forward(x, h0, Wx, Wh, b)
    h, c, expected = h0, np.zeros((2, 4)), []
    for t in range(5):
        h, c = by_hand(x[:, t], h, c, Wx, Wh, b)
        expected.append(h)
    assert_close(hs, np.stack(expected, axis=1), "lstm_forward(x, h0, Wx, Wh, b)[0] (c0 = zeros)")
    assert_close(cT, c, "lstm_forward(x, h0, Wx, Wh, b)[1], the last cell state")
    got = impl.lstm_backward(w_out, caches)
    args = [x, h0, Wx, Wh, b]
    for k, name in zip([0, 1, 2, 3, 4], ["dx", "dh0", "dWx", "dWh", "db"]):
        def f(v, k=k):
            a = list(args)
            a[k] = v
            return float(np.sum(impl.lstm_forward(*a)[0] * w_out))
        index = {0: 0, 1: 1, 2: 3, 3: 4, 4: 5}[k]
        assert_close(got[index], numerical(ref_tree, f, args[k]), f"{name} from lstm_backward over 5 steps",
                     rtol=1e-5, atol=1e-8,
                     mistake="each step's h gets dhs[:, t] plus the dh_prev of step t + 1; its c gets the dc_prev of step t + 1")


def test_sequence_with_initial_cell_and_final_gradients(impl, ref_tree, rng):
    """The options at non-default values, as seq2seq uses them: an initial cell c0, and gradients dhT, dcT arriving
    at the final h and c (from a decoder) besides the per-step dhs."""
    x, h0, c0 = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4)) * 0.5, rng.normal(size=(2, 4))
    Wx, Wh, b = params(rng)
    w_out, dhT, dcT = rng.normal(size=(2, 4, 4)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    hs, cT, caches = impl.lstm_forward(x, h0, Wx, Wh, b, c0=c0)
    h, c, expected = h0, c0, []
    for t in range(4):
        h, c = by_hand(x[:, t], h, c, Wx, Wh, b)
        expected.append(h)
    assert_close(hs, np.stack(expected, axis=1), "lstm_forward(x, h0, Wx, Wh, b, c0=c0)[0]",
                 mistake="start the cell from c0 when it is given (zeros only when c0 is None)")
    assert_close(cT, c, "lstm_forward(x, h0, Wx, Wh, b, c0=c0)[1]")
    got = impl.lstm_backward(w_out, caches, dhT=dhT, dcT=dcT)

    def loss(x_, h0_, c0_):
        hs_, cT_, _ = impl.lstm_forward(x_, h0_, Wx, Wh, b, c0=c0_)
        return float(np.sum(hs_ * w_out) + np.sum(hs_[:, -1] * dhT) + np.sum(cT_ * dcT))
    for k, (name, arg) in enumerate([("dx", x), ("dh0", h0), ("dc0", c0)]):
        def f(v, k=k):
            a = [x, h0, c0]
            a[k] = v
            return loss(*a)
        assert_close(got[k], numerical(ref_tree, f, arg), f"{name} from lstm_backward(dhs, caches, dhT, dcT)",
                     rtol=1e-5, atol=1e-8, mistake="dhT and dcT start the backward walk: the last step's h gets "
                     "dhs[:, -1] + dhT and its c gets dcT")


# No compare_inputs: the step functions return caches, whose layout is the learner's own choice.
