"""Checks for phase00_math/gradient_descent.py."""
import numpy as np

from checks.helpers import assert_close, expect


def spd_matrix(rng, d):
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return q @ np.diag(rng.uniform(0.5, 2.0, size=d)) @ q.T


def regression(rng, n=64, d=3):
    X = rng.normal(size=(n, d))
    return X, X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)


def test_quadratic_matches_reference(impl, ref, rng):
    A, b = spd_matrix(rng, 4), rng.normal(size=4)
    assert_close(impl.minimize_quadratic(A, b, 0.1, 7), ref.minimize_quadratic(A, b, 0.1, 7),
                 "minimize_quadratic(A, b, lr=0.1, steps=7)", mistake="the gradient of 1/2 x^T A x - b^T x is A x - b")


def test_quadratic_converges_to_solution(impl, rng):
    A, b = spd_matrix(rng, 3), rng.normal(size=3)
    assert_close(impl.minimize_quadratic(A, b, 0.5, 500), np.linalg.solve(A, b),
                 "minimize_quadratic(A, b, lr=0.5, steps=500) against the solution of A x = b", rtol=1e-6, atol=1e-8)


def test_loss_and_gradient_match_reference(impl, ref, rng):
    X, y = regression(rng)
    w = rng.normal(size=3)
    assert_close(impl.least_squares_loss(w, X, y), ref.least_squares_loss(w, X, y), "least_squares_loss(w, X, y)",
                 mistake="the loss is the mean over N rows, not the sum")
    assert_close(impl.least_squares_gradient(w, X, y), ref.least_squares_gradient(w, X, y),
                 "least_squares_gradient(w, X, y)", mistake="d/dw 1/N ||Xw - y||^2 = 2/N X^T (Xw - y)")


def test_gradient_equals_central_differences(impl, ref_tree, rng):
    X, y = regression(rng, n=20)
    w = rng.normal(size=3)
    numerical_gradient = ref_tree.load("phase00_math.calculus").numerical_gradient
    numeric = numerical_gradient(lambda v: impl.least_squares_loss(v, X, y), w.copy())
    assert_close(impl.least_squares_gradient(w, X, y), numeric, "least_squares_gradient against central differences",
                 rtol=1e-5, atol=1e-7)


def test_fit_matches_reference_and_loss_falls(impl, ref, rng):
    X, y = regression(rng)
    w, losses = impl.fit_least_squares(X, y, 0.1, 50)
    w_ref, losses_ref = ref.fit_least_squares(X, y, 0.1, 50)
    assert_close(w, w_ref, "w from fit_least_squares(X, y, lr=0.1, steps=50)")
    assert_close(np.array(losses), np.array(losses_ref), "losses from fit_least_squares (one per step, before it)")
    expect(all(b <= a + 1e-12 for a, b in zip(losses, losses[1:])), "the loss rose during gradient descent at lr=0.1")


def compare_inputs(rng):
    A, b = spd_matrix(rng, 4), rng.normal(size=4)
    X, y = regression(rng)
    w = rng.normal(size=3)
    return [("minimize_quadratic(A, b, 0.1, 20)", "minimize_quadratic", (A, b, 0.1, 20), {}),
            ("least_squares_loss(w, X, y)", "least_squares_loss", (w, X, y), {}),
            ("least_squares_gradient(w, X, y)", "least_squares_gradient", (w, X, y), {}),
            ("fit_least_squares(X, y, 0.1, 30)", "fit_least_squares", (X, y, 0.1, 30), {})]
