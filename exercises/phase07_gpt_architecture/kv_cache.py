"""A key-value cache: generation without recomputing the keys and values of tokens already seen.

Without a cache, sampling token n runs the model over all n previous tokens again: O(n^2) work for n
tokens. Keys and values of past positions never change (causal attention: position t depends only on
0..t), so each layer can keep them and the model needs to run only the newest token.
"""
from __future__ import annotations

import torch


class KVCache:
    """Per layer, the keys and values of every position processed so far, each (B, H, P, hs)."""

    def __init__(self, n_layer: int):
        self.keys: list[torch.Tensor | None] = [None] * n_layer
        self.values: list[torch.Tensor | None] = [None] * n_layer

    @property
    def length(self) -> int:
        """P: how many positions are cached (0 when empty), read from layer 0."""
        return 0 if self.keys[0] is None else self.keys[0].size(-2)

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append k, v (B, H, T, hs) for `layer` along the time axis; return all of them, (B, H, P + T, hs)."""
        raise NotImplementedError("update is not written yet (exercise 'gpt_kv_cache'; hints: make hint ex=gpt_kv_cache)")
