"""Checks for phase00_math/calculus.py: numerical_gradient (core contract)."""
import numpy as np

from checks.helpers import assert_close, expect


def cubic(x):
    return float(np.sum(x ** 3))


def test_matches_reference_on_a_matrix(impl, ref, rng):
    x = rng.normal(size=(3, 4))
    f = lambda z: float(np.sum(np.sin(z) * z ** 2))  # noqa: E731
    assert_close(impl.numerical_gradient(f, x.copy()), ref.numerical_gradient(f, x.copy()),
                 "numerical_gradient(f, x) for x of shape (3, 4)", rtol=1e-6, atol=1e-8)


def test_equals_analytic_gradient(impl, rng):
    x = rng.uniform(0.5, 2.0, size=5)
    assert_close(impl.numerical_gradient(cubic, x.copy()), 3 * x ** 2,
                 "numerical_gradient(sum(x**3), x) against 3 x^2", rtol=1e-7, atol=1e-7)


def test_central_not_one_sided(impl, rng):
    """With eps = 1e-3 a one-sided difference is off by about 3 x eps = 3e-3; the central one by eps^2."""
    x = rng.uniform(1.0, 2.0, size=4)
    assert_close(impl.numerical_gradient(cubic, x.copy(), eps=1e-3), 3 * x ** 2,
                 "numerical_gradient(sum(x**3), x, eps=1e-3)", rtol=0, atol=1e-5,
                 mistake="a one-sided difference (f(x+eps) - f(x)) / eps; use (f(x+eps) - f(x-eps)) / (2 eps)")


def test_restores_x(impl, rng):
    x = rng.normal(size=(2, 3))
    original = x.copy()
    impl.numerical_gradient(cubic, x)
    assert_close(x, original, "x after numerical_gradient(f, x)", rtol=0, atol=0,
                 mistake="each x[i] must be put back after its two evaluations")


def test_integer_input(impl):
    """x given as integers: x + eps must not be rounded back to x."""
    got = impl.numerical_gradient(cubic, np.array([1, 2, 3]))
    assert_close(got, np.array([3.0, 12.0, 27.0]), "numerical_gradient(sum(x**3), np.array([1, 2, 3])) (integer x)",
                 rtol=1e-6, mistake="work on a float64 copy of x (np.asarray(x, dtype=np.float64)): in an integer "
                 "array x[i] + eps is stored as x[i], and the gradient comes out 0")


def test_shape_follows_x(impl, rng):
    x = rng.normal(size=(2, 1, 3))
    grad = impl.numerical_gradient(lambda z: float(np.sum(z)), x)
    expect(np.shape(grad) == (2, 1, 3), f"numerical_gradient(sum, x) for x of shape (2, 1, 3) has shape {np.shape(grad)}")


def compare_inputs(rng):
    x = rng.normal(size=(3, 4))
    return [("numerical_gradient(sum(x**3), x)", "numerical_gradient", (cubic, x), {}),
            ("numerical_gradient(sum(x**3), x, eps=1e-3)", "numerical_gradient", (cubic, x), {"eps": 1e-3})]
