"""Checks for phase00_math/vectors.py: pure-Python dot, transpose and matmul."""
import numpy as np
import pytest

from checks.helpers import assert_close, expect


def random_matrix(rng, m, n):
    return rng.normal(size=(m, n)).tolist()


def test_dot_matches_reference(impl, ref, rng):
    u, v = rng.normal(size=7).tolist(), rng.normal(size=7).tolist()
    assert_close(impl.dot(u, v), ref.dot(u, v), "dot(u, v) for vectors of length 7")


def test_dot_known_value(impl):
    assert_close(impl.dot([1.0, 2.0, 3.0], [4.0, -5.0, 6.0]), 12.0, "dot([1, 2, 3], [4, -5, 6])")


def test_dot_rejects_mismatched_lengths(impl):
    with pytest.raises(ValueError):
        impl.dot([1.0, 2.0], [1.0, 2.0, 3.0])


def test_transpose_matches_reference(impl, ref, rng):
    a = random_matrix(rng, 3, 5)
    got = impl.transpose(a)
    expect(isinstance(got, list) and all(isinstance(r, list) for r in got),
           f"transpose(a) returned {type(got).__name__}; expected a list of lists")
    assert_close(got, ref.transpose(a), "transpose(a) for a of shape (3, 5)")


def test_matmul_matches_reference(impl, ref, rng):
    a, b = random_matrix(rng, 4, 3), random_matrix(rng, 3, 6)
    assert_close(impl.matmul(a, b), ref.matmul(a, b), "matmul(a, b) for (4, 3) @ (3, 6)",
                 mistake="entry (i, j) is row i of a with column j of b, not row j")


def test_matmul_equals_numpy(impl, rng):
    a, b = random_matrix(rng, 2, 5), random_matrix(rng, 5, 2)
    assert_close(impl.matmul(a, b), np.array(a) @ np.array(b), "matmul(a, b) for (2, 5) @ (5, 2)")


def test_matmul_rejects_mismatched_inner_dimensions(impl):
    with pytest.raises(ValueError):
        impl.matmul([[1.0, 2.0]], [[1.0, 2.0]])


def compare_inputs(rng):
    a, b = random_matrix(rng, 4, 3), random_matrix(rng, 3, 6)
    return [("dot(u, v)", "dot", (a[0], b[0][:3]), {}), ("transpose(a)", "transpose", (a,), {}),
            ("matmul(a, b)", "matmul", (a, b), {})]
