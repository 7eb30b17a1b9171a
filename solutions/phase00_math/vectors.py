"""Vectors and matrices as plain Python lists: what NumPy does for you, written out once.

A vector is a list of floats; a matrix is a list of rows (each a list of the same length).
"""


def dot(u: list[float], v: list[float]) -> float:
    """u . v = sum_i u_i v_i. Raises ValueError when the lengths differ."""
    # BEGIN SOLUTION
    if len(u) != len(v):
        raise ValueError(f"dot: lengths differ ({len(u)} and {len(v)})")
    return sum(a * b for a, b in zip(u, v))
    # END SOLUTION


def transpose(a: list[list[float]]) -> list[list[float]]:
    """(m, n) -> (n, m): row i of the result is column i of `a`."""
    # BEGIN SOLUTION
    return [list(column) for column in zip(*a)]
    # END SOLUTION


def matmul(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    """(m, k) @ (k, n) -> (m, n): entry (i, j) is row i of a dotted with column j of b.

    Raises ValueError when the inner dimensions differ.
    """
    # BEGIN SOLUTION
    if len(a[0]) != len(b):
        raise ValueError(f"matmul: inner dimensions differ ({len(a)}x{len(a[0])} @ {len(b)}x{len(b[0])})")
    columns = transpose(b)
    return [[dot(row, column) for column in columns] for row in a]
    # END SOLUTION
