"""The SwiGLU feed-forward network (Shazeer, 2020), as in PaLM and LLaMA.

GPT-2's MLP: W_2 GELU(W_1 x). A gated linear unit (Dauphin et al., 2017) multiplies two projections of x,
one passed through a nonlinearity that acts as a gate: the network learns, per hidden unit, how much of the
other projection to let through. SwiGLU gates with Swish/SiLU, silu(z) = z sigmoid(z):
    SwiGLU(x) = W_down (silu(W_gate x) * W_up x)
Three matrices instead of two, so the hidden width is cut to 2/3 of 4C to keep the parameters (and FLOPs)
of the 4C MLP; LLaMA then rounds it up to a multiple of 256 for fast matmuls.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch.nn import functional as F


def swiglu_hidden_size(n_embd: int, multiple_of: int = 256) -> int:
    """LLaMA's hidden width: int(2/3 * 4 * n_embd), rounded up to a multiple of `multiple_of`
    (n_embd 4096 -> 11008, LLaMA 7B's)."""
    raise NotImplementedError("swiglu_hidden_size is not written yet (exercise 'swiglu'; hints: make hint ex=swiglu)")


class SwiGLU(nn.Module):
    """x (..., C) -> (..., C) through three bias-free projections: C -> hidden twice, hidden -> C."""

    def __init__(self, n_embd: int, hidden: int):
        super().__init__()
        self.w_gate = nn.Linear(n_embd, hidden, bias=False)
        self.w_up = nn.Linear(n_embd, hidden, bias=False)
        self.w_down = nn.Linear(hidden, n_embd, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """w_down(silu(w_gate(x)) * w_up(x))."""
        raise NotImplementedError("forward is not written yet (exercise 'swiglu'; hints: make hint ex=swiglu)")
