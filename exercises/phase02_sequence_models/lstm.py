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
    raise NotImplementedError("lstm_step_forward is not written yet (exercise 'lstm'; hints: make hint ex=lstm)")


def lstm_step_backward(dh, dc, cache):
    """dh, dc (N, H): gradients arriving at h and c -> (dx, dh_prev, dc_prev, dWx, dWh, db)."""
    raise NotImplementedError("lstm_step_backward is not written yet (exercise 'lstm'; hints: make hint ex=lstm)")


def lstm_forward(x, h0, Wx, Wh, b, c0=None):
    """Run over x (N, T, D) from h0 (and c0, zeros by default).

    Returns (hs (N, T, H): every hidden state, cT (N, H): the last cell state, caches: one per step).
    """
    raise NotImplementedError("lstm_forward is not written yet (exercise 'lstm'; hints: make hint ex=lstm)")


def lstm_backward(dhs, caches, dhT=None, dcT=None):
    """BPTT through the LSTM. dhs (N, T, H) from above; dhT, dcT: extra gradients on the final h and c.

    Returns (dx (N, T, D), dh0, dc0, dWx, dWh, db).
    """
    raise NotImplementedError("lstm_backward is not written yet (exercise 'lstm'; hints: make hint ex=lstm)")
