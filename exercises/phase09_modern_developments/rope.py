"""Rotary position embedding, RoPE (Su et al., 2021): positions as rotations of the queries and keys.

Split each head's d channels into d/2 pairs. Pair i of the vector at position p is rotated by the angle
p * theta_i, theta_i = base^(-2i/d): fast rotations in the first pairs, slow ones in the last. Rotations
preserve length, and the dot product of a query rotated by m theta and a key rotated by n theta depends on
m - n only, so attention scores see relative positions without any table of learned positions.

Pairing convention here: ADJACENT channels (x[2i], x[2i+1]), as in the RoFormer paper and Meta's LLaMA code,
which reads each pair as one complex number x[2i] + j x[2i+1] and multiplies it by e^(j p theta_i).
(Hugging Face's LLaMA pairs channel i with channel i + d/2, "rotate_half", with permuted q and k weights: the
same model, a different layout.)
"""
from __future__ import annotations

import torch


def apply_rope(x: torch.Tensor, positions: torch.Tensor, base: float = 10000) -> torch.Tensor:
    """x (..., T, d) with d even, positions (T,) integers (or anything broadcastable to x.shape[:-1])
    -> (..., T, d), x's dtype.

    out[..., 2i]     = x[..., 2i] cos(p theta_i) - x[..., 2i+1] sin(p theta_i)
    out[..., 2i + 1] = x[..., 2i] sin(p theta_i) + x[..., 2i+1] cos(p theta_i),   theta_i = base^(-2i/d).
    Angles are computed in float64 for float64 inputs and in float32 otherwise.
    """
    raise NotImplementedError("apply_rope is not written yet (exercise 'rope'; hints: make hint ex=rope)")
