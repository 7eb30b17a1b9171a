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
    # BEGIN SOLUTION
    h = x @ params["W_1"] + params["b_1"]
    a = gelu(h, approximate)
    return a @ params["W_2"] + params["b_2"], (x, h, a, params, approximate)
    # END SOLUTION


def feed_forward_backward(dout: np.ndarray, cache):
    """dout (..., C) -> (dx (..., C), grads {name: array shaped like params[name]}), sums over every position."""
    # BEGIN SOLUTION
    x, h, a, params, approximate = cache
    C, d_ff = params["W_1"].shape
    grads = {"W_2": a.reshape(-1, d_ff).T @ dout.reshape(-1, C), "b_2": dout.reshape(-1, C).sum(axis=0)}
    dh = gelu_backward(dout @ params["W_2"].T, h, approximate)
    grads["W_1"] = x.reshape(-1, C).T @ dh.reshape(-1, d_ff)
    grads["b_1"] = dh.reshape(-1, d_ff).sum(axis=0)
    return dh @ params["W_1"].T, {name: grads[name] for name in PARAMS}
    # END SOLUTION
