"""Gradient descent: follow -grad downhill, first on a quadratic bowl, then on least squares."""
import numpy as np


def minimize_quadratic(A: np.ndarray, b: np.ndarray, lr: float, steps: int) -> np.ndarray:
    """Minimise f(x) = 1/2 x^T A x - b^T x (A symmetric positive definite, (D, D); b (D,)) from x = 0.

    grad f = A x - b; each step is x <- x - lr * grad. Returns x after `steps` steps, shape (D,).
    """
    raise NotImplementedError("minimize_quadratic is not written yet (exercise 'gradient_descent'; hints: make hint ex=gradient_descent)")


def least_squares_loss(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error 1/N ||X w - y||^2 for X (N, D), w (D,), y (N,)."""
    raise NotImplementedError("least_squares_loss is not written yet (exercise 'gradient_descent'; hints: make hint ex=gradient_descent)")


def least_squares_gradient(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of least_squares_loss with respect to w: 2/N X^T (X w - y), shape (D,)."""
    raise NotImplementedError("least_squares_gradient is not written yet (exercise 'gradient_descent'; hints: make hint ex=gradient_descent)")


def fit_least_squares(X: np.ndarray, y: np.ndarray, lr: float, steps: int) -> tuple[np.ndarray, list[float]]:
    """Gradient descent on least squares from w = 0. Returns (w, losses) with the loss before each step."""
    raise NotImplementedError("fit_least_squares is not written yet (exercise 'gradient_descent'; hints: make hint ex=gradient_descent)")
