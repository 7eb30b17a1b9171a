"""NumPy broadcasting: whole-array arithmetic without Python loops.

Two shapes broadcast when, aligned from the right, each pair of sizes is equal or one of them is 1.
"""
import numpy as np


def standardize(x: np.ndarray) -> np.ndarray:
    """x (N, D) -> each column shifted to mean 0 and scaled to standard deviation 1 (population std)."""
    raise NotImplementedError("standardize is not written yet (exercise 'broadcasting'; hints: make hint ex=broadcasting)")


def pairwise_sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (N, D), b (M, D) -> (N, M) with entry (i, j) = ||a_i - b_j||^2, without a Python loop."""
    raise NotImplementedError("pairwise_sq_distances is not written yet (exercise 'broadcasting'; hints: make hint ex=broadcasting)")


def outer(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """u (N,), v (M,) -> (N, M) with entry (i, j) = u_i v_j, by broadcasting (not np.outer)."""
    raise NotImplementedError("outer is not written yet (exercise 'broadcasting'; hints: make hint ex=broadcasting)")
