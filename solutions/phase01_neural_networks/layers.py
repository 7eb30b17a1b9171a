"""Vectorised layers with hand-written backward passes: the same chain rule as Value, a matrix at a time.

Each `*_forward` returns (out, cache); each `*_backward` takes d loss / d out and the cache and returns
d loss / d inputs. Shapes: x (N, D), W (D, M), b (M,), out (N, M).
"""
import numpy as np


def linear_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """out = x W + b: (N, D) @ (D, M) + (M,) -> (N, M)."""
    # BEGIN SOLUTION
    return x @ W + b, (x, W)
    # END SOLUTION


def linear_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout (N, M) -> (dx (N, D), dW (D, M), db (M,)): dx = dout W^T, dW = x^T dout, db = sum over N."""
    # BEGIN SOLUTION
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)
    # END SOLUTION


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """max(0, x) elementwise; the cache is x."""
    # BEGIN SOLUTION
    return np.maximum(0, x), x
    # END SOLUTION


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """The gradient passes where the input was positive and stops elsewhere."""
    # BEGIN SOLUTION
    x = cache
    return dout * (x > 0)
    # END SOLUTION


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tanh(x) elementwise; the cache is the output (the derivative needs only it)."""
    # BEGIN SOLUTION
    out = np.tanh(x)
    return out, out
    # END SOLUTION


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """d tanh(x)/dx = 1 - tanh(x)^2."""
    # BEGIN SOLUTION
    out = cache
    return dout * (1 - out ** 2)
    # END SOLUTION


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of logits (N, C) against integer targets (N,), and d loss / d logits (N, C).

    The gradient is (softmax(logits) - onehot(targets)) / N: probability minus truth, averaged.
    """
    # BEGIN SOLUTION
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-log_probs[np.arange(n), targets].mean())
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), targets] -= 1
    return loss, dlogits / n
    # END SOLUTION
