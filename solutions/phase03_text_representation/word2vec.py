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
    # BEGIN SOLUTION
    ids = np.asarray(ids)
    centres, contexts = [], []
    for i in range(len(ids)):
        for j in range(max(0, i - window), min(len(ids), i + window + 1)):
            if j != i:
                centres.append(ids[i])
                contexts.append(ids[j])
    return np.array(centres, dtype=np.int64), np.array(contexts, dtype=np.int64)
    # END SOLUTION


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """Negative-sampling distribution: unigram counts (V,) raised to 3/4, normalised (Mikolov et al. 2013)."""
    # BEGIN SOLUTION
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()
    # END SOLUTION


def sgns_loss_and_grads(W_in: np.ndarray, W_out: np.ndarray, centres: np.ndarray, contexts: np.ndarray,
                        negatives: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean skip-gram negative-sampling loss over a batch and its gradients.

    W_in, W_out (V, D); centres, contexts (B,); negatives (B, K) ids.
    loss = mean_b [ -log sigma(v_b . u_b) - sum_k log sigma(-v_b . n_bk) ],
    v_b = W_in[centres[b]], u_b = W_out[contexts[b]], n_bk = W_out[negatives[b, k]].
    Returns (loss, dW_in (V, D), dW_out (V, D)).
    """
    # BEGIN SOLUTION
    B = len(centres)
    v, u, n = W_in[centres], W_out[contexts], W_out[negatives]       # (B, D), (B, D), (B, K, D)
    pos = np.sum(v * u, axis=-1)                                      # (B,)
    neg = np.einsum("bd,bkd->bk", v, n)                               # (B, K)
    # -log sigma(x) = log(1 + exp(-x)), computed without overflow
    loss = (np.logaddexp(0.0, -pos).sum() + np.logaddexp(0.0, neg).sum()) / B
    dpos = (1.0 / (1.0 + np.exp(-pos)) - 1.0) / B                      # d loss / d pos = sigma(pos) - 1
    dneg = (1.0 / (1.0 + np.exp(-neg))) / B                            # d loss / d neg = sigma(neg)
    dv = dpos[:, None] * u + np.einsum("bk,bkd->bd", dneg, n)
    du = dpos[:, None] * v
    dn = dneg[:, :, None] * v[:, None, :]
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    np.add.at(dW_in, centres, dv)
    np.add.at(dW_out, contexts, du)
    np.add.at(dW_out, negatives.reshape(-1), dn.reshape(-1, W_out.shape[1]))
    return float(loss), dW_in, dW_out
    # END SOLUTION


def train_word2vec(ids, vocab_size: int, dim: int = 16, window: int = 2, negatives: int = 5, epochs: int = 3,
                   lr: float = 5.0, batch_size: int = 256, rng: np.random.Generator | None = None):
    """Train skip-gram with negative sampling by minibatch SGD; returns (W_in (V, dim), losses per step).

    W_in starts uniform in +-0.5/dim and W_out at zero (as in the original word2vec); negatives are drawn
    from `noise_distribution` of the corpus counts; pairs are shuffled every epoch; each minibatch's loss and
    gradients come from `sgns_loss_and_grads`.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    # BEGIN SOLUTION
    ids = np.asarray(ids)
    centres, contexts = skipgram_pairs(ids, window)
    noise = noise_distribution(np.bincount(ids, minlength=vocab_size) + 1e-12)
    W_in = rng.uniform(-0.5 / dim, 0.5 / dim, size=(vocab_size, dim))
    W_out = np.zeros((vocab_size, dim))
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(centres))
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            negs = rng.choice(vocab_size, size=(len(batch), negatives), p=noise)
            loss, dW_in, dW_out = sgns_loss_and_grads(W_in, W_out, centres[batch], contexts[batch], negs)
            W_in -= lr * dW_in
            W_out -= lr * dW_out
            losses.append(loss)
    return W_in, losses
    # END SOLUTION


def nearest_neighbours(W: np.ndarray, query: int, k: int) -> np.ndarray:
    """The k ids whose rows of W have the highest cosine similarity with row `query`, most similar first,
    the query itself excluded. W (V, D) -> (k,) ints."""
    # BEGIN SOLUTION
    unit = W / np.maximum(np.linalg.norm(W, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit[query]
    similarity[query] = -np.inf
    return np.argsort(-similarity, kind="stable")[:k]
    # END SOLUTION
