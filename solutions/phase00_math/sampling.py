"""Sampling from a categorical distribution by inverting its cumulative distribution."""
import numpy as np


def sample_categorical(probs: np.ndarray, n: int, generator: np.random.Generator) -> np.ndarray:
    """Draw n indices i with probability probs[i]; probs (C,) sums to 1. Returns int64 (n,).

    Use only `generator` for randomness (so a seed reproduces the draw): one uniform u in [0, 1) per
    sample, and the first index whose cumulative probability exceeds u.
    """
    # BEGIN SOLUTION
    cdf = np.cumsum(probs)
    cdf[-1] = 1.0  # rounding can leave the last entry at 0.9999999; no u may fall past it
    u = generator.random(n)
    return np.searchsorted(cdf, u, side="right").astype(np.int64)
    # END SOLUTION
