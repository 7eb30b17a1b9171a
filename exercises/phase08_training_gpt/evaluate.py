"""Evaluation: the mean loss over a FIXED set of validation batches.

Validation loss is the number the capstone grades and the one you compare across runs, so every
evaluation must look at the same tokens: batches 0 .. n_batches - 1 of the validation sampler, whatever
the training step. Random batches would make two evaluations of the same model disagree by noise alone.
"""
from __future__ import annotations

from contextlib import nullcontext

import torch


@torch.no_grad()
def evaluate(model, sampler, n_batches: int, device="cpu", autocast=None) -> float:
    """Mean of model(x, y)'s loss over (x, y) = sampler.batch_at(i) for i in 0 .. n_batches - 1.

    Run the model in eval mode (no dropout) without building a graph, move each batch to `device`, use
    autocast() (a function returning a context manager, or None) around each forward pass, and restore the
    model's previous training mode before returning. Do not advance the sampler. Returns a Python float.
    """
    raise NotImplementedError("evaluate is not written yet (exercise 'evaluation'; hints: make hint ex=evaluation)")
