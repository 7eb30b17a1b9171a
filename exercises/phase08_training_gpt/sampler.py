"""Random training windows from memory-mapped token shards, reproducible from (seed, position).

A shard is a flat array of token ids (np.uint16 on disk, written by data/prepare.py). A window is
block_size + 1 consecutive tokens of ONE shard: x is its first block_size tokens, y the same shifted by one.
Train and validation shards are separate files, so a sampler built on one split never sees the other, and a
window never runs across the end of a shard into the next one.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch


def open_shards(data_dir, split: str) -> list[np.ndarray]:
    """Memory-map every shard of `split` ('train' or 'val') listed in data_dir/meta.json (no copy into RAM)."""
    meta = json.loads((Path(data_dir) / "meta.json").read_text())
    return [np.memmap(Path(data_dir) / shard["file"], dtype=np.uint16, mode="r") for shard in meta["splits"][split]["shards"]]


class BatchSampler:
    """Batches of (x, y), each (batch_size, block_size) int64, drawn uniformly over every window of every shard.

    Batch number `position` depends only on (seed, position), so a run that stops after batch k and restarts
    with position k sees exactly the batches it would have seen; `state_dict()` is all a checkpoint needs.
    """

    def __init__(self, shards: list[np.ndarray], batch_size: int, block_size: int, seed: int = 0):
        self.shards, self.batch_size, self.block_size, self.seed = shards, batch_size, block_size, seed
        self.position = 0
        # A shard of n tokens holds n - block_size windows (starts 0 .. n - block_size - 1).
        self.windows = [max(0, len(s) - block_size) for s in shards]
        if sum(self.windows) == 0:
            raise ValueError(f"no shard holds block_size + 1 = {block_size + 1} tokens")

    def window_starts(self, position: int) -> list[tuple[int, int]]:
        """(shard index, start offset) of each of the batch_size windows of batch number `position`.

        Draw with rng = np.random.default_rng([self.seed, position]): g = rng.integers(0, W, size=batch_size)
        where W = sum(self.windows) counts every window of every shard once; global window g is then window
        g - (windows of the shards before it) of the shard it falls in.
        """
        raise NotImplementedError("window_starts is not written yet (exercise 'batch_sampler'; hints: make hint ex=batch_sampler)")

    def batch_at(self, position: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch number `position`: x (B, T) and y (B, T) int64, y[:, t] = the token after x[:, t]."""
        raise NotImplementedError("batch_at is not written yet (exercise 'batch_sampler'; hints: make hint ex=batch_sampler)")

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch at the current position, then advance by one."""
        batch = self.batch_at(self.position)
        self.position += 1
        return batch

    def state_dict(self) -> dict:
        return {"seed": self.seed, "position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.seed, self.position = int(state["seed"]), int(state["position"])
