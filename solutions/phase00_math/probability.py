"""Softmax, log-softmax, cross-entropy, entropy and KL divergence: the language of every loss that follows."""
import numpy as np


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x_i) / sum_j exp(x_j) along `axis`; same shape as x. Stable for inputs near +-1000."""
    # BEGIN SOLUTION
    shifted = x - np.max(x, axis=axis, keepdims=True)  # softmax(x) = softmax(x - c): exp never overflows
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)
    # END SOLUTION


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """x_i - log sum_j exp(x_j) along `axis`, computed without forming softmax (no log(0) = -inf)."""
    # BEGIN SOLUTION
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    # END SOLUTION


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean negative log-likelihood: logits (N, C), integer targets (N,) -> a float."""
    # BEGIN SOLUTION
    log_probs = log_softmax(logits, axis=-1)
    return float(-np.mean(log_probs[np.arange(len(targets)), targets]))
    # END SOLUTION


def entropy(p: np.ndarray) -> float:
    """H(p) = -sum_i p_i log p_i in nats, with 0 log 0 = 0; p (C,) sums to 1."""
    # BEGIN SOLUTION
    p = np.asarray(p, dtype=np.float64)
    nonzero = p > 0
    return float(-np.sum(p[nonzero] * np.log(p[nonzero])))
    # END SOLUTION


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) = sum_i p_i log(p_i / q_i) in nats; terms with p_i = 0 contribute 0."""
    # BEGIN SOLUTION
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    nonzero = p > 0
    return float(np.sum(p[nonzero] * (np.log(p[nonzero]) - np.log(q[nonzero]))))
    # END SOLUTION
