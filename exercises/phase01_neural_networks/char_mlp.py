"""A character language model after Bengio et al. (2003): embed the last few characters, a tanh layer, a softmax.

The n-gram table of phase 0 needs V^n counts and cannot share anything between similar contexts; this
model learns a vector per character and a smooth function of the context, so what it learns about
"th" helps with "sh". Parameters: C (V, d), W1 (block * d, H), b1 (H,), W2 (H, V), b2 (V,).

    python -m solutions.phase01_neural_networks.char_mlp     # the full run on the corpus (about a minute)
"""
import time

import numpy as np

from .layers import softmax_cross_entropy
from .training import sgd_momentum_step


def build_dataset(ids: np.ndarray, block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Every window of the id sequence: X[i] = ids[i : i + block_size], Y[i] = ids[i + block_size].

    ids (L,) ints -> X (L - block_size, block_size), Y (L - block_size,).
    """
    raise NotImplementedError("build_dataset is not written yet (exercise 'char_mlp'; hints: make hint ex=char_mlp)")


def unigram_loss(train_ids: np.ndarray, val_ids: np.ndarray, vocab_size: int) -> float:
    """The baseline to beat: mean -log P(c) on val_ids, P the add-one-smoothed character frequencies of train_ids."""
    raise NotImplementedError("unigram_loss is not written yet (exercise 'char_mlp'; hints: make hint ex=char_mlp)")


def init_params(vocab_size: int, block_size: int, n_embd: int, hidden: int, rng: np.random.Generator) -> dict:
    """Small random weights: embeddings N(0, 1), layers scaled by 1/sqrt(fan_in), the output layer shrunk."""
    return {"C": rng.normal(0, 1, (vocab_size, n_embd)),
            "W1": rng.normal(0, 1 / np.sqrt(block_size * n_embd), (block_size * n_embd, hidden)),
            "b1": np.zeros(hidden),
            "W2": rng.normal(0, 0.1 / np.sqrt(hidden), (hidden, vocab_size)),
            "b2": np.zeros(vocab_size)}


def loss_and_grads(params: dict, X: np.ndarray, Y: np.ndarray) -> tuple[float, dict]:
    """Forward and backward of the model on a batch X (N, block) of ids with targets Y (N,).

    emb = C[X] (N, block, d) -> flattened (N, block * d) -> h = tanh(emb W1 + b1) (N, H)
    -> logits = h W2 + b2 (N, V) -> mean cross-entropy. Returns (loss, grads with the keys of params).
    A character appearing several times in X collects the gradient of every appearance in its row of C.
    """
    raise NotImplementedError("loss_and_grads is not written yet (exercise 'char_mlp'; hints: make hint ex=char_mlp)")


def evaluate(params: dict, X: np.ndarray, Y: np.ndarray, batch: int = 8192) -> float:
    """Mean loss over all of (X, Y), in batches."""
    total = 0.0
    for i in range(0, len(X), batch):
        loss, _ = loss_and_grads(params, X[i:i + batch], Y[i:i + batch])
        total += loss * len(X[i:i + batch])
    return total / len(X)


def train(params: dict, X: np.ndarray, Y: np.ndarray, steps: int, rng: np.random.Generator, batch: int = 64,
          lr: float = 0.1, momentum: float = 0.9, decay_at: float = 0.75) -> list[float]:
    """Minibatch SGD with momentum; the learning rate drops tenfold after `decay_at` of the steps."""
    velocities = {k: np.zeros_like(v) for k, v in params.items()}
    losses = []
    for step in range(steps):
        idx = rng.integers(0, len(X), batch)
        loss, grads = loss_and_grads(params, X[idx], Y[idx])
        sgd_momentum_step(params, grads, velocities, lr if step < decay_at * steps else lr / 10, momentum)
        losses.append(loss)
    return losses


def main(steps: int = 20000, block_size: int = 8, n_embd: int = 16, hidden: int = 256, seed: int = 0) -> None:
    from data.shakespeare import train_val_text
    train_text, val_text = train_val_text()
    vocab = sorted(set(train_text) | set(val_text))
    stoi = {ch: i for i, ch in enumerate(vocab)}
    train_ids = np.array([stoi[c] for c in train_text])
    val_ids = np.array([stoi[c] for c in val_text])
    Xtr, Ytr = build_dataset(train_ids, block_size)
    Xva, Yva = build_dataset(val_ids, block_size)
    rng = np.random.default_rng(seed)
    params = init_params(len(vocab), block_size, n_embd, hidden, rng)
    n_params = sum(p.size for p in params.values())
    print(f"vocab {len(vocab)}, train {len(Ytr):,} windows, val {len(Yva):,}, {n_params:,} parameters")
    print(f"unigram baseline (val): {unigram_loss(train_ids, val_ids, len(vocab)):.4f} nats/char; "
          f"uniform: {np.log(len(vocab)):.4f}")
    start = time.process_time()
    losses = train(params, Xtr, Ytr, steps, rng)
    cpu = time.process_time() - start
    Xs, Ys = build_dataset(val_ids[:100_000], block_size)     # the slice phase 2's LSTM is measured on
    print(f"{steps} steps of batch 64: last-1000 train loss {np.mean(losses[-1000:]):.4f}, "
          f"val loss {evaluate(params, Xva, Yva):.4f} (first 100,000 val characters: "
          f"{evaluate(params, Xs, Ys):.4f}), CPU {cpu:.0f} s")


if __name__ == "__main__":
    main()
