"""Shared pieces of the phase-9 checks: a tiny LLaMA-style config and weights large enough to matter."""
from __future__ import annotations

import torch

TINY = dict(block_size=24, vocab_size=41, n_layer=2, n_head=4, n_kv_head=2, n_embd=32, multiple_of=8)


def randomize_(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Seeded random weights, in place: RMSNorm gains ~ 1 + 0.2 N(0, 1), matrices ~ 0.15 N(0, 1), so that every
    part of the model moves the logits (a 0.02 init hides a missing norm or a wrong rotation)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float64).to(p.dtype)
            p.copy_(1 + 0.2 * noise if p.dim() == 1 else 0.15 * noise)
    return model


def tokens(seed: int, B: int, T: int, vocab_size: int) -> torch.Tensor:
    return torch.randint(0, vocab_size, (B, T), generator=torch.Generator().manual_seed(seed))
