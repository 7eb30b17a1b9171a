"""Rosenblatt's perceptron (1958): a weighted vote, a threshold, and a rule that learns from its mistakes."""
import numpy as np


def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Labels in {-1, +1}: +1 where w . x + b > 0, else -1. X (N, D), w (D,) -> (N,) ints."""
    # BEGIN SOLUTION
    return np.where(X @ w + b > 0, 1, -1)
    # END SOLUTION


def perceptron_update(x: np.ndarray, y: int, w: np.ndarray, b: float, lr: float = 1.0) -> tuple[np.ndarray, float]:
    """One step of the learning rule on example x (D,) with label y in {-1, +1}; returns new (w, b).

    Only a mistake teaches: if y (w . x + b) <= 0 the weights move towards y x, otherwise they stay.
    """
    # BEGIN SOLUTION
    if y * (x @ w + b) <= 0:
        return w + lr * y * x, b + lr * y
    return w, b
    # END SOLUTION


def perceptron_train(X: np.ndarray, y: np.ndarray, epochs: int = 100, lr: float = 1.0) -> tuple[np.ndarray, float, list[int]]:
    """Train from w = 0, b = 0, visiting the examples in order each epoch.

    Returns (w, b, mistakes) where mistakes[e] counts the examples epoch e got wrong before updating.
    Stops after the first epoch without a mistake (the data is then separated).
    """
    # BEGIN SOLUTION
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes = []
    for _ in range(epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            if y_i * (x_i @ w + b) <= 0:
                count += 1
            w, b = perceptron_update(x_i, y_i, w, b, lr)
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes
    # END SOLUTION
