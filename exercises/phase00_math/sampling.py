"""Sampling from a categorical distribution by inverting its cumulative distribution."""
import numpy as np


def sample_categorical(probs: np.ndarray, n: int, generator: np.random.Generator) -> np.ndarray:
    """Draw n indices i with probability probs[i]; probs (C,) sums to 1. Returns int64 (n,).

    Use only `generator` for randomness (so a seed reproduces the draw): one uniform u in [0, 1) per
    sample, and the first index whose cumulative probability exceeds u.
    """
    raise NotImplementedError("sample_categorical is not written yet (exercise 'sampling'; hints: make hint ex=sampling)")
