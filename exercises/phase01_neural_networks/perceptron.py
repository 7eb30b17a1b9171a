"""Rosenblatt's perceptron (1958): a weighted vote, a threshold, and a rule that learns from its mistakes."""
import numpy as np


def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Labels in {-1, +1}: +1 where w . x + b > 0, else -1. X (N, D), w (D,) -> (N,) ints."""
    raise NotImplementedError("perceptron_predict is not written yet (exercise 'perceptron'; hints: make hint ex=perceptron)")


def perceptron_update(x: np.ndarray, y: int, w: np.ndarray, b: float, lr: float = 1.0) -> tuple[np.ndarray, float]:
    """One step of the learning rule on example x (D,) with label y in {-1, +1}; returns new (w, b).

    Only a mistake teaches: if y (w . x + b) <= 0 the weights move towards y x, otherwise they stay.
    """
    raise NotImplementedError("perceptron_update is not written yet (exercise 'perceptron'; hints: make hint ex=perceptron)")


def perceptron_train(X: np.ndarray, y: np.ndarray, epochs: int = 100, lr: float = 1.0) -> tuple[np.ndarray, float, list[int]]:
    """Train from w = 0, b = 0, visiting the examples in order each epoch.

    Returns (w, b, mistakes) where mistakes[e] counts the examples epoch e got wrong before updating.
    Stops after the first epoch without a mistake (the data is then separated).
    """
    raise NotImplementedError("perceptron_train is not written yet (exercise 'perceptron'; hints: make hint ex=perceptron)")
