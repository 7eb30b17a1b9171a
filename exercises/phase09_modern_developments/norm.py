"""RMSNorm (Zhang & Sennrich, 2019): layer norm without the mean and without the bias, as LLaMA uses it.

Layer norm: (x - mean(x)) / sqrt(var(x) + eps) * gamma + beta, two reductions over the features.
RMSNorm:    x / sqrt(mean(x^2) + eps) * weight, one reduction, no beta.
It keeps layer norm's useful invariance (scaling x by any c > 0 changes nothing) and drops the recentring,
which Zhang & Sennrich found bought no accuracy for its cost.
"""
from __future__ import annotations

import torch
import torch.nn as nn


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """x (..., C), weight (C,) -> (..., C): x / sqrt(mean(x^2 over the last axis) + eps) * weight.

    Half-precision inputs (float16, bfloat16) are normalised in float32 and cast back before the weight, as
    LLaMA does: a mean of squares in 8 mantissa bits loses too much.
    """
    raise NotImplementedError("rms_norm is not written yet (exercise 'rms_norm'; hints: make hint ex=rms_norm)")


class RMSNorm(nn.Module):
    """rms_norm with a learned gain, initialised to ones."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rms_norm(x, self.weight, self.eps)
