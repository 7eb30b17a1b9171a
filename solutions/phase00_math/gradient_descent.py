"""Gradient descent: follow -grad downhill, first on a quadratic bowl, then on least squares."""
import numpy as np


def minimize_quadratic(A: np.ndarray, b: np.ndarray, lr: float, steps: int) -> np.ndarray:
    """Minimise f(x) = 1/2 x^T A x - b^T x (A symmetric positive definite, (D, D); b (D,)) from x = 0.

    grad f = A x - b; each step is x <- x - lr * grad. Returns x after `steps` steps, shape (D,).
    """
    # BEGIN SOLUTION
    x = np.zeros_like(b, dtype=np.float64)
    for _ in range(steps):
        x = x - lr * (A @ x - b)
    return x
    # END SOLUTION


def least_squares_loss(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error 1/N ||X w - y||^2 for X (N, D), w (D,), y (N,)."""
    # BEGIN SOLUTION
    residual = X @ w - y
    return float(residual @ residual / len(y))
    # END SOLUTION


def least_squares_gradient(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of least_squares_loss with respect to w: 2/N X^T (X w - y), shape (D,)."""
    # BEGIN SOLUTION
    return 2.0 / len(y) * X.T @ (X @ w - y)
    # END SOLUTION


def fit_least_squares(X: np.ndarray, y: np.ndarray, lr: float, steps: int) -> tuple[np.ndarray, list[float]]:
    """Gradient descent on least squares from w = 0. Returns (w, losses) with the loss before each step."""
    # BEGIN SOLUTION
    w = np.zeros(X.shape[1])
    losses = []
    for _ in range(steps):
        losses.append(least_squares_loss(w, X, y))
        w = w - lr * least_squares_gradient(w, X, y)
    return w, losses
    # END SOLUTION
