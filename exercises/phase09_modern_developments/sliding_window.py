"""Sliding-window attention and a rolling key-value cache (Mistral 7B, Jiang et al., 2023).

Each query attends to the last `window` positions only, itself included: query i sees keys j with
i - window < j <= i. Attention costs O(T window) instead of O(T^2), and generation needs only the last
`window` keys and values per layer, however long the text: Mistral keeps them in a ring buffer of `window`
slots (position i in slot i mod window). Information still travels further than the window, one window per
layer: after L layers a token can depend on tokens up to L * window back (Longformer, Beltagy et al., 2020,
and Child et al.'s sparse transformers, 2019, used the same locality).
"""
from __future__ import annotations

import torch
from torch.nn import functional as F


def sliding_window_mask(q_positions: torch.Tensor, k_positions: torch.Tensor, window: int) -> torch.Tensor:
    """Boolean (Tq, Tk), True where query position q may attend to key position k: 0 <= q - k < window."""
    raise NotImplementedError("sliding_window_mask is not written yet (exercise 'sliding_window'; hints: make hint ex=sliding_window)")


def sliding_window_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, window: int) -> torch.Tensor:
    """q, k, v (B, H, T, hs) at positions 0..T-1 -> (B, H, T, hs), each query over its window."""
    raise NotImplementedError("sliding_window_attention is not written yet (exercise 'sliding_window'; hints: make hint ex=sliding_window)")


class RollingKVCache:
    """A KV cache that never holds more than `window` positions per layer, with the interface of phase 7's
    KVCache: update(layer, k, v) and length (here: every position seen, not only those kept)."""

    def __init__(self, n_layer: int, window: int):
        self.window = window
        self.keys: list[torch.Tensor | None] = [None] * n_layer
        self.values: list[torch.Tensor | None] = [None] * n_layer
        self.seen = [0] * n_layer

    @property
    def length(self) -> int:
        """Positions seen so far by layer 0: the position of the next token."""
        return self.seen[0]

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """k, v (B, H, T, hs) of the next T positions -> the kept ones followed by these, (B, H, K + T, hs),
        the last positions seen in order; then keep only the last `window` of them for the next call."""
        raise NotImplementedError("update is not written yet (exercise 'sliding_window'; hints: make hint ex=sliding_window)")
