"""Vectors and matrices as plain Python lists: what NumPy does for you, written out once.

A vector is a list of floats; a matrix is a list of rows (each a list of the same length).
"""


def dot(u: list[float], v: list[float]) -> float:
    """u . v = sum_i u_i v_i. Raises ValueError when the lengths differ."""
    raise NotImplementedError("dot is not written yet (exercise 'vectors'; hints: make hint ex=vectors)")


def transpose(a: list[list[float]]) -> list[list[float]]:
    """(m, n) -> (n, m): row i of the result is column i of `a`."""
    raise NotImplementedError("transpose is not written yet (exercise 'vectors'; hints: make hint ex=vectors)")


def matmul(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    """(m, k) @ (k, n) -> (m, n): entry (i, j) is row i of a dotted with column j of b.

    Raises ValueError when the inner dimensions differ.
    """
    raise NotImplementedError("matmul is not written yet (exercise 'vectors'; hints: make hint ex=vectors)")
