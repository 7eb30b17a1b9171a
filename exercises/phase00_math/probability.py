"""Softmax, log-softmax, cross-entropy, entropy and KL divergence: the language of every loss that follows."""
import numpy as np


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x_i) / sum_j exp(x_j) along `axis`; same shape as x. Stable for inputs near +-1000."""
    raise NotImplementedError("softmax is not written yet (exercise 'probability'; hints: make hint ex=probability)")


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """x_i - log sum_j exp(x_j) along `axis`, computed without forming softmax (no log(0) = -inf)."""
    raise NotImplementedError("log_softmax is not written yet (exercise 'probability'; hints: make hint ex=probability)")


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Mean negative log-likelihood: logits (N, C), integer targets (N,) -> a float."""
    raise NotImplementedError("cross_entropy is not written yet (exercise 'probability'; hints: make hint ex=probability)")


def entropy(p: np.ndarray) -> float:
    """H(p) = -sum_i p_i log p_i in nats, with 0 log 0 = 0; p (C,) sums to 1."""
    raise NotImplementedError("entropy is not written yet (exercise 'probability'; hints: make hint ex=probability)")


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) = sum_i p_i log(p_i / q_i) in nats; terms with p_i = 0 contribute 0."""
    raise NotImplementedError("kl_divergence is not written yet (exercise 'probability'; hints: make hint ex=probability)")
