"""Gradient clipping by global norm (Pascanu et al., 2013).

One bad batch can produce a gradient many times larger than usual and throw the weights far off course.
Clipping rescales ALL gradients together by one factor when their joint norm exceeds max_norm, so the
direction of the update is kept and only its length is capped.
"""
from __future__ import annotations

from typing import Iterable

import torch


def clip_grad_norm(parameters: Iterable[torch.Tensor], max_norm: float, eps: float = 1e-6) -> torch.Tensor:
    """Scale every gradient in place by min(1, max_norm / (total_norm + eps)); return total_norm (a 0-d tensor).

    total_norm = sqrt(sum over every parameter p and every entry of p.grad ** 2): ONE norm over all the
    gradients together (the global norm), measured before clipping. Parameters without .grad are skipped.
    """
    raise NotImplementedError("clip_grad_norm is not written yet (exercise 'grad_clipping'; hints: make hint ex=grad_clipping)")
