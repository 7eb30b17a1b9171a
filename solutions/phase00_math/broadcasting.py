"""NumPy broadcasting: whole-array arithmetic without Python loops.

Two shapes broadcast when, aligned from the right, each pair of sizes is equal or one of them is 1.
"""
import numpy as np


def standardize(x: np.ndarray) -> np.ndarray:
    """x (N, D) -> each column shifted to mean 0 and scaled to standard deviation 1 (population std)."""
    # BEGIN SOLUTION
    return (x - x.mean(axis=0, keepdims=True)) / x.std(axis=0, keepdims=True)
    # END SOLUTION


def pairwise_sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (N, D), b (M, D) -> (N, M) with entry (i, j) = ||a_i - b_j||^2, without a Python loop."""
    # BEGIN SOLUTION
    diff = a[:, None, :] - b[None, :, :]  # (N, 1, D) - (1, M, D) -> (N, M, D)
    return np.sum(diff * diff, axis=-1)
    # END SOLUTION


def outer(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """u (N,), v (M,) -> (N, M) with entry (i, j) = u_i v_j, by broadcasting (not np.outer)."""
    # BEGIN SOLUTION
    return u[:, None] * v[None, :]
    # END SOLUTION
