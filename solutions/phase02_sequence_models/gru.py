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
    # BEGIN SOLUTION
    H = h_prev.shape[1]
    ax = x @ Wx + b
    r = sigmoid(ax[:, :H] + h_prev @ Wh[:, :H])
    z = sigmoid(ax[:, H:2 * H] + h_prev @ Wh[:, H:2 * H])
    rh = r * h_prev
    n = np.tanh(ax[:, 2 * H:] + rh @ Wh[:, 2 * H:])
    h = z * h_prev + (1 - z) * n
    return h, (x, h_prev, Wx, Wh, r, z, n, rh)
    # END SOLUTION


def gru_step_backward(dh, cache):
    """dh (N, H) -> (dx (N, D), dh_prev (N, H), dWx, dWh, db)."""
    # BEGIN SOLUTION
    x, h_prev, Wx, Wh, r, z, n, rh = cache
    H = h_prev.shape[1]
    dz = dh * (h_prev - n)
    dn = dh * (1 - z)
    dan = dn * (1 - n ** 2)
    drh = dan @ Wh[:, 2 * H:].T
    dr = drh * h_prev
    dar, daz = dr * r * (1 - r), dz * z * (1 - z)
    da = np.concatenate([dar, daz, dan], axis=1)           # gradients of the x-side pre-activations
    dh_prev = dh * z + drh * r + dar @ Wh[:, :H].T + daz @ Wh[:, H:2 * H].T
    dWh = np.concatenate([h_prev.T @ dar, h_prev.T @ daz, rh.T @ dan], axis=1)
    return da @ Wx.T, dh_prev, x.T @ da, dWh, da.sum(axis=0)
    # END SOLUTION
