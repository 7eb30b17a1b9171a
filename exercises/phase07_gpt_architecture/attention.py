"""Causal self-attention twice: by hand, and with PyTorch's fused F.scaled_dot_product_attention.

q, k, v are (B, H, T, hs): batch, heads, time, channels per head. Both functions compute
softmax(q k^T / sqrt(hs) + M) v with M = 0 on and below the diagonal and -inf above it (Vaswani et al.,
2017), so output t is a mix of v_0 .. v_t and never of a later position.
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F


def causal_attention_by_hand(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """(B, H, T, hs) x3 -> (B, H, T, hs), with torch.matmul, a boolean mask and torch.softmax.

    Compute the scores in at least float32 (bfloat16 and float16 inputs go up to float32) and cast the result
    back to q's dtype; build the mask on q's device.
    """
    raise NotImplementedError("causal_attention_by_hand is not written yet (exercise 'gpt_causal_attention'; hints: make hint ex=gpt_causal_attention)")


def causal_attention_sdpa(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """(B, H, T, hs) x3 -> (B, H, T, hs) with F.scaled_dot_product_attention: one call, fused kernels
    (flash attention on CUDA) that never store the (T, T) matrix."""
    raise NotImplementedError("causal_attention_sdpa is not written yet (exercise 'gpt_causal_attention'; hints: make hint ex=gpt_causal_attention)")
