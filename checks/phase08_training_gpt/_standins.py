"""Small stand-in models for the phase-8 checks: the interface of phase 7's GPT, a fraction of its size."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyLM(nn.Module):
    """idx (B, T) -> (logits (B, T, V), mean cross-entropy or None), like GPT.forward.

    Holds every kind of parameter the optimiser groups: an embedding tied to the head, Linear weights and
    biases, a LayerNorm; dropout so that train and eval mode differ."""

    def __init__(self, vocab_size: int = 11, n_embd: int = 6, dropout: float = 0.0):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.fc = nn.Linear(n_embd, 2 * n_embd)
        self.proj = nn.Linear(2 * n_embd, n_embd)
        self.ln = nn.LayerNorm(n_embd)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(n_embd, vocab_size, bias=False)
        self.head.weight = self.wte.weight
        with torch.no_grad():
            for p in self.parameters():     # non-trivial LayerNorm and bias values
                p.normal_(0.0, 0.5)

    def forward(self, idx, targets=None):
        x = self.wte(idx)
        x = x + self.proj(self.drop(torch.tanh(self.fc(x))))
        logits = self.head(self.ln(x))
        loss = None if targets is None else F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss


def tiny_lm(seed: int, dtype=torch.float64, **kwargs) -> TinyLM:
    torch.manual_seed(seed)
    return TinyLM(**kwargs).to(dtype)


def token_batch(rng: np.random.Generator, batch: int, time: int, vocab: int = 11):
    x = torch.from_numpy(rng.integers(0, vocab, size=(batch, time)))
    y = torch.from_numpy(rng.integers(0, vocab, size=(batch, time)))
    return x, y
