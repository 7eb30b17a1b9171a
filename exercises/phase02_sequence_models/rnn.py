"""The vanilla (Elman) recurrent network: one hidden state carried along the sequence, and BPTT to train it.

Shapes: x (N, D) per step or (N, T, D) per sequence, h (N, H), Wx (D, H), Wh (H, H), b (H,).
"""
import numpy as np


def rnn_step_forward(x: np.ndarray, h_prev: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """h = tanh(x Wx + h_prev Wh + b): (N, D), (N, H) -> (N, H); returns (h, cache)."""
    raise NotImplementedError("rnn_step_forward is not written yet (exercise 'rnn'; hints: make hint ex=rnn)")


def rnn_step_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """dh (N, H) -> (dx (N, D), dh_prev (N, H), dWx, dWh, db), with tanh' = 1 - h^2."""
    raise NotImplementedError("rnn_step_backward is not written yet (exercise 'rnn'; hints: make hint ex=rnn)")


def rnn_forward(x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, list]:
    """Run the step over x (N, T, D) from h0 (N, H); returns (every hidden state (N, T, H), caches)."""
    raise NotImplementedError("rnn_forward is not written yet (exercise 'rnn'; hints: make hint ex=rnn)")


def rnn_backward(dhs: np.ndarray, caches: list) -> tuple[np.ndarray, ...]:
    """Backpropagation through time. dhs (N, T, H): d loss / d h_t from the layers above, at every step.

    Walking back from t = T - 1, the state h_t receives dhs[:, t] AND the gradient sent back from step t + 1.
    Returns (dx (N, T, D), dh0 (N, H), dWx, dWh, db), the weight gradients summed over all steps.
    """
    raise NotImplementedError("rnn_backward is not written yet (exercise 'rnn'; hints: make hint ex=rnn)")
