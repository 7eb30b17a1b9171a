"""The gated recurrent unit (Cho et al. 2014): the LSTM's idea with two gates and no separate cell.

Gates stacked r, z, n along the last axis: Wx (D, 3H), Wh (H, 3H), b (3H,).
    r = sigmoid(x Wx_r + h_prev Wh_r + b_r)              reset: how much of the past the candidate sees
    z = sigmoid(x Wx_z + h_prev Wh_z + b_z)              update: how much of the old state to keep
    n = tanh(x Wx_n + (r * h_prev) Wh_n + b_n)           candidate state
    h = z * h_prev + (1 - z) * n                         (Cho et al.'s convention: z = 1 keeps the past)
"""
import numpy as np

from .lstm import sigmoid


def gru_step_forward(x, h_prev, Wx, Wh, b):
    """x (N, D), h_prev (N, H) -> (h (N, H), cache)."""
    raise NotImplementedError("gru_step_forward is not written yet (exercise 'gru'; hints: make hint ex=gru)")


def gru_step_backward(dh, cache):
    """dh (N, H) -> (dx (N, D), dh_prev (N, H), dWx, dWh, db)."""
    raise NotImplementedError("gru_step_backward is not written yet (exercise 'gru'; hints: make hint ex=gru)")
