"""The maximum-likelihood bigram model of characters: counts, normalised, are the best guess of the next one."""
import numpy as np


def bigram_counts(text: str, vocab: list[str]) -> np.ndarray:
    """counts[i, j] = how often character vocab[j] follows vocab[i] in text; shape (V, V), int64."""
    # BEGIN SOLUTION
    index = {ch: i for i, ch in enumerate(vocab)}
    counts = np.zeros((len(vocab), len(vocab)), dtype=np.int64)
    for a, b in zip(text, text[1:]):
        counts[index[a], index[b]] += 1
    return counts
    # END SOLUTION


def bigram_probabilities(counts: np.ndarray, smoothing: float = 0.0) -> np.ndarray:
    """Row-normalised (counts + smoothing): P[i, j] = P(next = j | current = i). Rows sum to 1.

    A row with no counts and no smoothing becomes uniform (the maximum-likelihood estimate is undefined there).
    """
    # BEGIN SOLUTION
    smoothed = counts.astype(np.float64) + smoothing
    totals = smoothed.sum(axis=1, keepdims=True)
    uniform = np.full_like(smoothed, 1.0 / smoothed.shape[1])
    return np.where(totals > 0, smoothed / np.where(totals > 0, totals, 1.0), uniform)
    # END SOLUTION


def bigram_nll(text: str, vocab: list[str], probs: np.ndarray) -> float:
    """Mean negative log-likelihood (nats per character) of each character of text given the one before."""
    # BEGIN SOLUTION
    index = {ch: i for i, ch in enumerate(vocab)}
    current = np.array([index[ch] for ch in text[:-1]])
    following = np.array([index[ch] for ch in text[1:]])
    return float(-np.mean(np.log(probs[current, following])))
    # END SOLUTION
