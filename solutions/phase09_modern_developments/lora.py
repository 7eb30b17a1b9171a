"""LoRA: low-rank adaptation (Hu et al., 2021). Fine-tune a big model by training a small correction.

A pretrained nn.Linear computes x W^T + b with W (out, in). LoRA freezes W and b and learns
    W' = W + (alpha / r) B A,      A (r, in), B (out, r), r much smaller than in and out,
so a layer trains r (in + out) numbers instead of in * out (GPT-3's 4096 x 4096 projections at r = 8: 65,536
instead of 16.8 million). B starts at zero, so the adapted model starts exactly where the pretrained one
was; alpha / r keeps the size of the update roughly independent of the chosen rank. After training, B A can
be merged into W: a merged layer costs nothing extra at inference.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn


class LoRALinear(nn.Module):
    """A frozen nn.Linear plus a trainable rank-r update: x (..., in) -> (..., out)."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        super().__init__()
        self.base = base
        self.rank, self.alpha = rank, alpha
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features, dtype=base.weight.dtype))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank, dtype=base.weight.dtype))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))   # as nn.Linear's weights; B = 0 makes B A = 0
        self.freeze_base()

    @property
    def scale(self) -> float:
        return self.alpha / self.rank

    def freeze_base(self) -> None:
        """Stop gradients into the pretrained weight and bias: only lora_A and lora_B train."""
        # BEGIN SOLUTION
        for p in self.base.parameters():
            p.requires_grad_(False)
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """base(x) + (alpha / r) x A^T B^T, without forming B A (two thin matmuls: r (in + out) per row)."""
        # BEGIN SOLUTION
        return self.base(x) + self.scale * ((x @ self.lora_A.T) @ self.lora_B.T)
        # END SOLUTION

    @torch.no_grad()
    def merged(self) -> nn.Linear:
        """A new nn.Linear with weight W + (alpha / r) B A and the base's bias: the same function as self."""
        # BEGIN SOLUTION
        layer = nn.Linear(self.base.in_features, self.base.out_features, bias=self.base.bias is not None,
                          dtype=self.base.weight.dtype)
        layer.weight.copy_(self.base.weight + self.scale * (self.lora_B @ self.lora_A))
        if self.base.bias is not None:
            layer.bias.copy_(self.base.bias)
        return layer
        # END SOLUTION
