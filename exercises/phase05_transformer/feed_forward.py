"""The position-wise feed-forward network (Vaswani et al. 2017, section 3.3), forward and backward.

The same two-layer MLP applied at every position separately: out = GELU(x W_1 + b_1) W_2 + b_2, with a hidden
width d_ff that is usually 4 C. (Vaswani et al. used ReLU; BERT and GPT-2 use GELU, as here.)

Parameters (the keys of `init_params`): W_1 (C, d_ff), b_1 (d_ff,), W_2 (d_ff, C), b_2 (C,).
"""
import numpy as np

from .layers import gelu, gelu_backward

PARAMS = ("W_1", "b_1", "W_2", "b_2")


def init_params(C: int, d_ff: int, rng: np.random.Generator, scale: float = 0.02) -> dict:
    """W_1 (C, d_ff) and W_2 (d_ff, C) ~ N(0, scale^2), zero biases b_1 (d_ff,), b_2 (C,)."""
    return {"W_1": rng.normal(scale=scale, size=(C, d_ff)), "b_1": np.zeros(d_ff),
            "W_2": rng.normal(scale=scale, size=(d_ff, C)), "b_2": np.zeros(C)}


def feed_forward_forward(x: np.ndarray, params: dict, approximate: str = "none"):
    """x (..., C) -> (out (..., C), cache): h = x W_1 + b_1, a = gelu(h, approximate), out = a W_2 + b_2."""
    raise NotImplementedError("feed_forward_forward is not written yet (exercise 'feed_forward'; hints: make hint ex=feed_forward)")


def feed_forward_backward(dout: np.ndarray, cache):
    """dout (..., C) -> (dx (..., C), grads {name: array shaped like params[name]}), sums over every position."""
    raise NotImplementedError("feed_forward_backward is not written yet (exercise 'feed_forward'; hints: make hint ex=feed_forward)")
