"""Self-attention with learned projections, and multi-head attention (Vaswani et al. 2017), forward and backward.

Self-attention: queries, keys and values are three linear maps of the same sequence x (B, T, C).
Multi-head: split the C channels into n_head groups of C / n_head, attend in each group independently,
then join the groups back and mix them with an output projection W_o.
"""
import numpy as np

from .attention import scaled_dot_product_attention, scaled_dot_product_attention_backward

PARAMS = ("W_q", "b_q", "W_k", "b_k", "W_v", "b_v", "W_o", "b_o")


def self_attention(x: np.ndarray, W_q: np.ndarray, W_k: np.ndarray, W_v: np.ndarray, mask: np.ndarray | None = None):
    """One head: x (B, T, C), W_q, W_k (C, d), W_v (C, dv) -> (out (B, T, dv), weights (B, T, T))."""
    # BEGIN SOLUTION
    return scaled_dot_product_attention(x @ W_q, x @ W_k, x @ W_v, mask)
    # END SOLUTION


def split_heads(x: np.ndarray, n_head: int) -> np.ndarray:
    """(B, T, C) -> (B, n_head, T, C // n_head): head h holds channels h*hs .. (h+1)*hs - 1 of every position."""
    # BEGIN SOLUTION
    B, T, C = x.shape
    return x.reshape(B, T, n_head, C // n_head).transpose(0, 2, 1, 3)
    # END SOLUTION


def merge_heads(x: np.ndarray) -> np.ndarray:
    """(B, n_head, T, hs) -> (B, T, n_head * hs), the inverse of split_heads."""
    # BEGIN SOLUTION
    B, n_head, T, hs = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, n_head * hs)
    # END SOLUTION


def init_params(C: int, rng: np.random.Generator, scale: float = 0.02) -> dict:
    """W_q, W_k, W_v, W_o (C, C) ~ N(0, scale^2) and zero biases b_* (C,)."""
    return {name: (rng.normal(scale=scale, size=(C, C)) if name.startswith("W") else np.zeros(C)) for name in PARAMS}


def multi_head_attention_forward(x: np.ndarray, params: dict, n_head: int, mask: np.ndarray | None = None):
    """x (B, T, C), params as in `init_params`, mask broadcastable to (B, n_head, T, T) or None.

    q = x W_q + b_q (likewise k, v), each split into heads; per-head attention; heads merged; out = y W_o + b_o.
    Returns (out (B, T, C), cache) where cache holds what the backward pass needs.
    """
    if x.shape[-1] % n_head:
        raise ValueError(f"the width C = {x.shape[-1]} must be a multiple of n_head = {n_head}")
    # BEGIN SOLUTION
    q = split_heads(x @ params["W_q"] + params["b_q"], n_head)
    k = split_heads(x @ params["W_k"] + params["b_k"], n_head)
    v = split_heads(x @ params["W_v"] + params["b_v"], n_head)
    heads, weights = scaled_dot_product_attention(q, k, v, mask)       # (B, n_head, T, hs)
    y = merge_heads(heads)                                             # (B, T, C)
    out = y @ params["W_o"] + params["b_o"]
    return out, (x, params, n_head, q, k, v, weights, y)
    # END SOLUTION


def multi_head_attention_backward(dout: np.ndarray, cache):
    """dout (B, T, C) = dL/dout -> (dx (B, T, C), grads {name: array shaped like params[name]})."""
    # BEGIN SOLUTION
    x, params, n_head, q, k, v, weights, y = cache
    C = x.shape[-1]
    grads = {"W_o": y.reshape(-1, C).T @ dout.reshape(-1, C), "b_o": dout.sum(axis=(0, 1))}
    dy = dout @ params["W_o"].T
    dq, dk, dv = scaled_dot_product_attention_backward(split_heads(dy, n_head), q, k, v, weights)
    dx = np.zeros_like(x)
    for name, dproj in (("q", dq), ("k", dk), ("v", dv)):
        dproj = merge_heads(dproj)                                     # (B, T, C)
        grads[f"W_{name}"] = x.reshape(-1, C).T @ dproj.reshape(-1, C)
        grads[f"b_{name}"] = dproj.sum(axis=(0, 1))
        dx += dproj @ params[f"W_{name}"].T
    return dx, {name: grads[name] for name in PARAMS}
    # END SOLUTION
