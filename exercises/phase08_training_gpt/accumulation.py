"""Gradient accumulation: several small forward/backward passes that add up to the gradient of one big batch.

A batch of 16 x 1024 tokens may not fit in memory; 4 micro-batches of 4 x 1024 do. Because the loss is a
MEAN over tokens, the big batch's gradient is the mean of the micro-batches' gradients, and .backward()
ADDS into .grad: so each micro-batch's loss is divided by their number before its backward pass.
"""
from __future__ import annotations

from contextlib import nullcontext

import torch


def accumulate_gradients(model, micro_batches, autocast=None) -> torch.Tensor:
    """Run forward and backward on each (x, y) in micro_batches (equal sizes); return the mean loss (detached).

    model(x, y) returns (logits, loss) with loss the mean cross-entropy. Afterwards every parameter's .grad
    holds (adds to what was there) the gradient of the mean loss over all micro-batches. `autocast` is a
    function returning a fresh context manager for each forward pass (None: no autocast).
    Keep the losses as tensors: calling .item() each micro-batch forces a device sync.
    """
    raise NotImplementedError("accumulate_gradients is not written yet (exercise 'grad_accumulation'; hints: make hint ex=grad_accumulation)")
