"""Vectorised layers with hand-written backward passes: the same chain rule as Value, a matrix at a time.

Each `*_forward` returns (out, cache); each `*_backward` takes d loss / d out and the cache and returns
d loss / d inputs. Shapes: x (N, D), W (D, M), b (M,), out (N, M).
"""
import numpy as np


def linear_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """out = x W + b: (N, D) @ (D, M) + (M,) -> (N, M)."""
    raise NotImplementedError("linear_forward is not written yet (exercise 'layers'; hints: make hint ex=layers)")


def linear_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout (N, M) -> (dx (N, D), dW (D, M), db (M,)): dx = dout W^T, dW = x^T dout, db = sum over N."""
    raise NotImplementedError("linear_backward is not written yet (exercise 'layers'; hints: make hint ex=layers)")


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """max(0, x) elementwise; the cache is x."""
    raise NotImplementedError("relu_forward is not written yet (exercise 'layers'; hints: make hint ex=layers)")


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """The gradient passes where the input was positive and stops elsewhere."""
    raise NotImplementedError("relu_backward is not written yet (exercise 'layers'; hints: make hint ex=layers)")


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tanh(x) elementwise; the cache is the output (the derivative needs only it)."""
    raise NotImplementedError("tanh_forward is not written yet (exercise 'layers'; hints: make hint ex=layers)")


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """d tanh(x)/dx = 1 - tanh(x)^2."""
    raise NotImplementedError("tanh_backward is not written yet (exercise 'layers'; hints: make hint ex=layers)")


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of logits (N, C) against integer targets (N,), and d loss / d logits (N, C).

    The gradient is (softmax(logits) - onehot(targets)) / N: probability minus truth, averaged.
    """
    raise NotImplementedError("softmax_cross_entropy is not written yet (exercise 'layers'; hints: make hint ex=layers)")
