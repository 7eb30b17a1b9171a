"""NumPy broadcasting: whole-array arithmetic without Python loops.

Two shapes broadcast when, aligned from the right, each pair of sizes is equal or one of them is 1.
"""
import numpy as np


def standardize(x: np.ndarray) -> np.ndarray:
    """x (N, D) -> each column shifted to mean 0 and scaled to standard deviation 1 (population std)."""
    raise NotImplementedError("standardize: exercise 'broadcasting' not started. Hint: Insert axes of size 1 so that NumPy stretches the arrays against each other instead of looping.")


def pairwise_sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (N, D), b (M, D) -> (N, M) with entry (i, j) = ||a_i - b_j||^2, without a Python loop."""
    raise NotImplementedError("pairwise_sq_distances: exercise 'broadcasting' not started. Hint: Insert axes of size 1 so that NumPy stretches the arrays against each other instead of looping.")


def outer(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """u (N,), v (M,) -> (N, M) with entry (i, j) = u_i v_j, by broadcasting (not np.outer)."""
    raise NotImplementedError("outer: exercise 'broadcasting' not started. Hint: Insert axes of size 1 so that NumPy stretches the arrays against each other instead of looping.")
