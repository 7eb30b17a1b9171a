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
    raise NotImplementedError("self_attention is not written yet (exercise 'multi_head_attention'; hints: make hint ex=multi_head_attention)")


def split_heads(x: np.ndarray, n_head: int) -> np.ndarray:
    """(B, T, C) -> (B, n_head, T, C // n_head): head h holds channels h*hs .. (h+1)*hs - 1 of every position."""
    raise NotImplementedError("split_heads is not written yet (exercise 'multi_head_attention'; hints: make hint ex=multi_head_attention)")


def merge_heads(x: np.ndarray) -> np.ndarray:
    """(B, n_head, T, hs) -> (B, T, n_head * hs), the inverse of split_heads."""
    raise NotImplementedError("merge_heads is not written yet (exercise 'multi_head_attention'; hints: make hint ex=multi_head_attention)")


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
    raise NotImplementedError("multi_head_attention_forward is not written yet (exercise 'multi_head_attention'; hints: make hint ex=multi_head_attention)")


def multi_head_attention_backward(dout: np.ndarray, cache):
    """dout (B, T, C) = dL/dout -> (dx (B, T, C), grads {name: array shaped like params[name]})."""
    raise NotImplementedError("multi_head_attention_backward is not written yet (exercise 'multi_head_attention'; hints: make hint ex=multi_head_attention)")
