"""The vanilla (Elman) recurrent network: one hidden state carried along the sequence, and BPTT to train it.

Shapes: x (N, D) per step or (N, T, D) per sequence, h (N, H), Wx (D, H), Wh (H, H), b (H,).
"""
import numpy as np


def rnn_step_forward(x: np.ndarray, h_prev: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """h = tanh(x Wx + h_prev Wh + b): (N, D), (N, H) -> (N, H); returns (h, cache)."""
    # BEGIN SOLUTION
    h = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h, (x, h_prev, Wx, Wh, h)
    # END SOLUTION


def rnn_step_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """dh (N, H) -> (dx (N, D), dh_prev (N, H), dWx, dWh, db), with tanh' = 1 - h^2."""
    # BEGIN SOLUTION
    x, h_prev, Wx, Wh, h = cache
    da = dh * (1 - h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
    # END SOLUTION


def rnn_forward(x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, list]:
    """Run the step over x (N, T, D) from h0 (N, H); returns (every hidden state (N, T, H), caches)."""
    # BEGIN SOLUTION
    N, T, _ = x.shape
    hs, caches, h = np.zeros((N, T, h0.shape[1])), [], h0
    for t in range(T):
        h, cache = rnn_step_forward(x[:, t], h, Wx, Wh, b)
        hs[:, t] = h
        caches.append(cache)
    return hs, caches
    # END SOLUTION


def rnn_backward(dhs: np.ndarray, caches: list) -> tuple[np.ndarray, ...]:
    """Backpropagation through time. dhs (N, T, H): d loss / d h_t from the layers above, at every step.

    Walking back from t = T - 1, the state h_t receives dhs[:, t] AND the gradient sent back from step t + 1.
    Returns (dx (N, T, D), dh0 (N, H), dWx, dWh, db), the weight gradients summed over all steps.
    """
    # BEGIN SOLUTION
    N, T, H = dhs.shape
    x0, _, Wx, Wh, _ = caches[0]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dhs[:, t] + dh_next, caches[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_next, dWx, dWh, db
    # END SOLUTION
