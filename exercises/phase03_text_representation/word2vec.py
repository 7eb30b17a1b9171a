"""word2vec: skip-gram with negative sampling (Mikolov et al. 2013), in NumPy.

Each word has two vectors: W_in[w] when it is the centre word, W_out[w] when it is a context word.
A true (centre, context) pair should score high, sigma(W_in[c] . W_out[o]) -> 1, and K random "negative"
words low, sigma(W_in[c] . W_out[n]) -> 0. Words used in similar contexts end up with similar W_in rows.
"""
import numpy as np


def skipgram_pairs(ids, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (centre, context) pair with the context at most `window` positions away on either side.

    ids (N,) -> (centres (P,), contexts (P,)), ordered by centre position, then context position.
    [7, 8, 9] with window 1 -> centres [7, 8, 8, 9], contexts [8, 7, 9, 8].
    """
    raise NotImplementedError("skipgram_pairs is not written yet (exercise 'word2vec'; hints: make hint ex=word2vec)")


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """Negative-sampling distribution: unigram counts (V,) raised to 3/4, normalised (Mikolov et al. 2013)."""
    raise NotImplementedError("noise_distribution is not written yet (exercise 'word2vec'; hints: make hint ex=word2vec)")


def sgns_loss_and_grads(W_in: np.ndarray, W_out: np.ndarray, centres: np.ndarray, contexts: np.ndarray,
                        negatives: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean skip-gram negative-sampling loss over a batch and its gradients.

    W_in, W_out (V, D); centres, contexts (B,); negatives (B, K) ids.
    loss = mean_b [ -log sigma(v_b . u_b) - sum_k log sigma(-v_b . n_bk) ],
    v_b = W_in[centres[b]], u_b = W_out[contexts[b]], n_bk = W_out[negatives[b, k]].
    Returns (loss, dW_in (V, D), dW_out (V, D)).
    """
    raise NotImplementedError("sgns_loss_and_grads is not written yet (exercise 'word2vec'; hints: make hint ex=word2vec)")


def train_word2vec(ids, vocab_size: int, dim: int = 16, window: int = 2, negatives: int = 5, epochs: int = 3,
                   lr: float = 5.0, batch_size: int = 256, rng: np.random.Generator | None = None):
    """Train skip-gram with negative sampling by minibatch SGD; returns (W_in (V, dim), losses per step).

    W_in starts uniform in +-0.5/dim and W_out at zero (as in the original word2vec); negatives are drawn
    from `noise_distribution` of the corpus counts; pairs are shuffled every epoch; each minibatch's loss and
    gradients come from `sgns_loss_and_grads`.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    raise NotImplementedError("train_word2vec is not written yet (exercise 'word2vec'; hints: make hint ex=word2vec)")


def nearest_neighbours(W: np.ndarray, query: int, k: int) -> np.ndarray:
    """The k ids whose rows of W have the highest cosine similarity with row `query`, most similar first,
    the query itself excluded. W (V, D) -> (k,) ints."""
    raise NotImplementedError("nearest_neighbours is not written yet (exercise 'word2vec'; hints: make hint ex=word2vec)")
