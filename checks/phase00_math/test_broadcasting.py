"""Checks for phase00_math/broadcasting.py."""
import ast
import inspect

import numpy as np

from checks.helpers import assert_close, expect


def test_standardize_matches_reference(impl, ref, rng):
    x = rng.normal(loc=3.0, scale=5.0, size=(50, 4))
    assert_close(impl.standardize(x), ref.standardize(x), "standardize(x) for x of shape (50, 4)",
                 mistake="statistics are per column: axis=0, not over the whole array")


def test_standardize_properties(impl, rng):
    x = rng.normal(loc=-2.0, scale=[1.0, 10.0, 0.1], size=(200, 3))
    z = impl.standardize(x)
    assert_close(np.mean(z, axis=0), np.zeros(3), "column means of standardize(x)", atol=1e-9)
    assert_close(np.std(z, axis=0), np.ones(3), "column standard deviations of standardize(x)")


def test_standardize_far_from_zero(impl, ref, rng):
    """Columns with mean 1e8 and standard deviation about 1: large magnitudes, small spread."""
    x = 1e8 + rng.normal(size=(50, 3))
    assert_close(impl.standardize(x), ref.standardize(x), "standardize(x) for x = 1e8 + N(0, 1) of shape (50, 3)",
                 rtol=1e-6, atol=1e-6, mistake="E[x^2] - E[x]^2 cancels catastrophically far from zero: subtract the "
                 "mean first, then take the spread (x.std(axis=0) does)")


def test_pairwise_sq_distances_matches_reference(impl, ref, rng):
    a, b = rng.normal(size=(6, 3)), rng.normal(size=(4, 3))
    assert_close(impl.pairwise_sq_distances(a, b), ref.pairwise_sq_distances(a, b),
                 "pairwise_sq_distances(a, b) for a (6, 3), b (4, 3)", mistake="is the result (N, M) summed over D?")


def test_pairwise_sq_distances_known_values(impl):
    a = np.array([[0.0, 0.0], [1.0, 1.0]])
    b = np.array([[3.0, 4.0]])
    assert_close(impl.pairwise_sq_distances(a, b), np.array([[25.0], [13.0]]), "pairwise_sq_distances(a, b)")


def test_outer_matches_reference(impl, ref, rng):
    u, v = rng.normal(size=5), rng.normal(size=3)
    assert_close(impl.outer(u, v), ref.outer(u, v), "outer(u, v) for u (5,), v (3,)")


def test_no_python_loops(impl, rng):
    """Broadcasting is the point: no for/while loop, no comprehension, no np.outer."""
    a = rng.normal(size=(3, 2))
    impl.standardize(a), impl.pairwise_sq_distances(a, a), impl.outer(a[0], a[1])
    for name in ("standardize", "pairwise_sq_distances", "outer"):
        tree = ast.parse(inspect.getsource(getattr(impl, name)))
        loops = [n for n in ast.walk(tree) if isinstance(n, (ast.For, ast.While, ast.ListComp, ast.GeneratorExp))]
        expect(not loops, f"{name} uses a Python loop; express it with broadcasting instead")
        calls = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        expect("outer" not in calls, f"{name} calls np.outer; use broadcasting (u[:, None] * v[None, :])")


def compare_inputs(rng):
    a, b = rng.normal(size=(6, 3)), rng.normal(size=(4, 3))
    return [("standardize(a)", "standardize", (a,), {}),
            ("pairwise_sq_distances(a, b)", "pairwise_sq_distances", (a, b), {}),
            ("outer(a[0], b[0])", "outer", (a[0], b[0]), {})]
