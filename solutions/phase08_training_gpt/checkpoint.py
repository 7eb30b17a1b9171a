"""Checkpoints: everything needed to continue a run exactly, written so that a crash never destroys one.

A run continues exactly when it gets back the model weights, the optimiser's moments and step counts,
the step number, the data position (the sampler's state) and the random number generators (dropout draws
from them). Saving is atomic: write a temporary file in the same folder, then os.replace() it over the old
checkpoint. A rename within one file system is all or nothing, so a kill during torch.save leaves the
previous checkpoint whole. The file holds only tensors, dicts, lists, strings and numbers, so
torch.load(path, weights_only=True) reads it without running pickled code.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch


def save_checkpoint(state: dict, path) -> None:
    """torch.save(state) to a temporary file beside `path` (tempfile.mkstemp(dir=the same folder)), then
    os.replace it onto `path`. If anything fails, remove the temporary file and re-raise; `path` is untouched."""
    # BEGIN SOLUTION
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # END SOLUTION


def load_checkpoint(path, map_location="cpu") -> dict:
    """The state saved at `path`, read with weights_only=True (no code from the file runs)."""
    return torch.load(path, map_location=map_location, weights_only=True)


def rng_state() -> dict:
    """The random number generators' states as tensors: the CPU generator, and CUDA's and MPS's when present."""
    # BEGIN SOLUTION
    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if hasattr(torch, "mps") and torch.backends.mps.is_available():
        state["mps"] = torch.mps.get_rng_state()
    return state
    # END SOLUTION


def set_rng_state(state: dict) -> None:
    """Restore what rng_state() returned, so the next random draws equal those after the save."""
    # BEGIN SOLUTION
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if "mps" in state and hasattr(torch, "mps") and torch.backends.mps.is_available():
        torch.mps.set_rng_state(state["mps"])
    # END SOLUTION
