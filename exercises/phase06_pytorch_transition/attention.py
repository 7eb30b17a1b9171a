"""Multi-head attention as an nn.Module: phase 4's self-attention and phase 5's cross-attention in one class.

Queries come from x; keys and values from `memory` (cross-attention, the decoder reading the encoder) or from
x itself when memory is None (self-attention). Parameters, by layers.py's naming rule, are phase 4's
W_q, b_q, ..., W_o, b_o: proj_q, proj_k, proj_v, proj_o = nn.Linear(C, C).
"""
import math

import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    """n_head heads of C // n_head channels each (channel group h is head h, as in phase 4's split_heads)."""

    def __init__(self, C: int, n_head: int):
        super().__init__()
        if C % n_head:
            raise ValueError(f"the width C = {C} must be a multiple of n_head = {n_head}")
        self.n_head = n_head
        raise NotImplementedError("__init__ is not written yet (exercise 'torch_attention'; hints: make hint ex=torch_attention)")

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> (B, n_head, T, C // n_head)."""
        raise NotImplementedError("split_heads is not written yet (exercise 'torch_attention'; hints: make hint ex=torch_attention)")

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None = None, mask: torch.Tensor | None = None):
        """x (B, Tq, C), memory (B, Tk, C) or None (then memory = x), mask boolean broadcastable to
        (B, n_head, Tq, Tk), True = may attend, or None -> (B, Tq, C).

        out = proj_o(merge(softmax(q k^T / sqrt(hs) masked) v)), q = split(proj_q(x)), k, v from memory.
        """
        raise NotImplementedError("forward is not written yet (exercise 'torch_attention'; hints: make hint ex=torch_attention)")
