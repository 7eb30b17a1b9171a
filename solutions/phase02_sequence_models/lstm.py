"""The LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000).

The cell c is updated additively, c = f * c_prev + i * g, so the gradient along c is scaled only by the
forget gate at each step, not squashed through a weight matrix and a tanh as in the vanilla RNN.

Contract: the pre-activations a = x Wx + h_prev Wh + b, of shape (N, 4H), hold the gates stacked in the
order i, f, o, g along the last axis: a[:, 0:H] input gate, a[:, H:2H] forget gate, a[:, 2H:3H] output
gate, a[:, 3H:4H] candidate. Wx (D, 4H), Wh (H, 4H), b (4H,).
"""
import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One step: x (N, D), h_prev and c_prev (N, H) -> (h (N, H), c (N, H), cache).

    i, f, o = sigmoid of their slices of a; g = tanh of its slice; c = f c_prev + i g; h = o tanh(c).
    """
    # BEGIN SOLUTION
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i = sigmoid(a[:, 0 * H:1 * H])
    f = sigmoid(a[:, 1 * H:2 * H])
    o = sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:4 * H])
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, o, g, tanh_c)
    # END SOLUTION


def lstm_step_backward(dh, dc, cache):
    """dh, dc (N, H): gradients arriving at h and c -> (dx, dh_prev, dc_prev, dWx, dWh, db)."""
    # BEGIN SOLUTION
    x, h_prev, c_prev, Wx, Wh, i, f, o, g, tanh_c = cache
    dc = dc + dh * o * (1 - tanh_c ** 2)           # c reaches the loss directly and through h = o tanh(c)
    do = dh * tanh_c
    di, df, dg = dc * g, dc * c_prev, dc * i
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g ** 2)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)
    # END SOLUTION


def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    """Run over x (N, T, D) from h0 (and c0, zeros by default).

    Returns (hs (N, T, H): every hidden state, cT (N, H): the last cell state, caches: one per step).
    """
    # BEGIN SOLUTION
    N, T, _ = x.shape
    h, c = h0, np.zeros_like(h0) if c0 is None else c0
    hs, caches = np.zeros((N, T, h0.shape[1])), []
    for t in range(T):
        h, c, cache = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        hs[:, t] = h
        caches.append(cache)
    return hs, c, caches
    # END SOLUTION


def lstm_backward(dhs, caches, dhT=None, dcT=None):
    """BPTT through the LSTM. dhs (N, T, H) from above; dhT, dcT: extra gradients on the final h and c.

    Returns (dx (N, T, D), dh0, dc0, dWx, dWh, db).
    """
    # BEGIN SOLUTION
    N, T, H = dhs.shape
    x0, _, _, Wx, Wh = caches[0][:5]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(4 * H)
    dh_next = np.zeros((N, H)) if dhT is None else dhT
    dc_next = np.zeros((N, H)) if dcT is None else dcT
    for t in reversed(range(T)):
        dx[:, t], dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(dhs[:, t] + dh_next, dc_next, caches[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_next, dc_next, dWx, dWh, db
    # END SOLUTION
