"""The maximum-likelihood bigram model of characters: counts, normalised, are the best guess of the next one."""
import numpy as np


def bigram_counts(text: str, vocab: list[str]) -> np.ndarray:
    """counts[i, j] = how often character vocab[j] follows vocab[i] in text; shape (V, V), int64."""
    raise NotImplementedError("bigram_counts is not written yet (exercise 'bigram'; hints: make hint ex=bigram)")


def bigram_probabilities(counts: np.ndarray, smoothing: float = 0.0) -> np.ndarray:
    """Row-normalised (counts + smoothing): P[i, j] = P(next = j | current = i). Rows sum to 1.

    A row with no counts and no smoothing becomes uniform (the maximum-likelihood estimate is undefined there).
    """
    raise NotImplementedError("bigram_probabilities is not written yet (exercise 'bigram'; hints: make hint ex=bigram)")


def bigram_nll(text: str, vocab: list[str], probs: np.ndarray) -> float:
    """Mean negative log-likelihood (nats per character) of each character of text given the one before."""
    raise NotImplementedError("bigram_nll is not written yet (exercise 'bigram'; hints: make hint ex=bigram)")
