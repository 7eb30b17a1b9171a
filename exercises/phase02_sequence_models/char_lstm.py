"""A character-level LSTM language model on Shakespeare, trained with Adam, sampled with a temperature.

Unlike the MLP of phase 1, which sees a fixed window of characters, the LSTM reads the text one
character at a time and carries what it needs in its state (Graves 2013; Karpathy's char-rnn, 2015).
Input characters are one-hot vectors, so Wx (V, 4H) is also the embedding table. Parameters:
Wx (V, 4H), Wh (H, 4H), b (4H,), Wy (H, V), by (V,).

    python -m solutions.phase02_sequence_models.char_lstm     # the full run quoted in the notes
"""
import time

import numpy as np

from ..phase01_neural_networks.layers import softmax_cross_entropy
from .lstm import lstm_backward, lstm_forward, lstm_step_forward
from .optim import adam_step


def one_hot(ids: np.ndarray, size: int) -> np.ndarray:
    """ids (...) ints -> (..., size) floats."""
    return np.eye(size)[ids]


def init_params(vocab_size: int, hidden: int, rng: np.random.Generator) -> dict:
    """Weights ~ N(0, 1/fan_in); the forget gate's bias starts at 1 so the cell remembers by default."""
    b = np.zeros(4 * hidden)
    b[hidden:2 * hidden] = 1.0
    return {"Wx": rng.normal(0, 1, (vocab_size, 4 * hidden)) * 0.1,
            "Wh": rng.normal(0, 1 / np.sqrt(hidden), (hidden, 4 * hidden)),
            "b": b,
            "Wy": rng.normal(0, 1 / np.sqrt(hidden), (hidden, vocab_size)) * 0.1,
            "by": np.zeros(vocab_size)}


def loss_and_grads(params: dict, X: np.ndarray, Y: np.ndarray) -> tuple[float, dict]:
    """Mean cross-entropy of predicting Y (N, T) from X (N, T) (Y is X shifted by one), from a zero state.

    one_hot(X) -> lstm_forward -> logits = hs Wy + by (N, T, V) -> loss over all N T positions;
    then the same path backwards. Returns (loss, grads with the keys of params).
    """
    raise NotImplementedError("loss_and_grads is not written yet (exercise 'char_lstm'; hints: make hint ex=char_lstm)")


def sample_next(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """One index drawn from softmax(logits / temperature) with rng.choice(len(logits), p=probs).

    temperature 1 samples the model as it is; below 1 sharpens it towards the most likely character;
    0 means greedy: return the argmax (no division by zero). logits (V,).
    """
    raise NotImplementedError("sample_next is not written yet (exercise 'char_lstm'; hints: make hint ex=char_lstm)")


def generate(params: dict, prefix: list[int], n: int, temperature: float, rng: np.random.Generator) -> list[int]:
    """Feed the prefix ids one at a time from a zero state, then sample n more, each fed back as the next input.

    Returns the n new ids (the prefix excluded). prefix must hold at least one id.
    """
    raise NotImplementedError("generate is not written yet (exercise 'char_lstm'; hints: make hint ex=char_lstm)")


def random_windows(ids: np.ndarray, batch: int, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """batch windows of T + 1 consecutive ids at random offsets -> (X (batch, T), Y (batch, T))."""
    starts = rng.integers(0, len(ids) - T - 1, batch)
    windows = np.stack([ids[s:s + T + 1] for s in starts])
    return windows[:, :-1], windows[:, 1:]


def evaluate(params: dict, ids: np.ndarray, T: int = 128, batch: int = 64) -> float:
    """Mean loss over consecutive, non-overlapping windows covering ids (each from a zero state)."""
    n = (len(ids) - 1) // T
    X = ids[:n * T].reshape(n, T)
    Y = ids[1:n * T + 1].reshape(n, T)
    losses = [loss_and_grads(params, X[i:i + batch], Y[i:i + batch])[0] * len(X[i:i + batch]) for i in range(0, n, batch)]
    return float(np.sum(losses) / n)


def train(params: dict, ids: np.ndarray, steps: int, rng: np.random.Generator, batch: int = 32, T: int = 64,
          lr: float = 3e-3, clip: float = 5.0) -> list[float]:
    """Adam on random windows, gradients clipped by global norm."""
    from .clipping import clip_by_global_norm
    state, losses, keys = {}, [], list(params)
    for _ in range(steps):
        X, Y = random_windows(ids, batch, T, rng)
        loss, grads = loss_and_grads(params, X, Y)
        clipped, _ = clip_by_global_norm([grads[k] for k in keys], clip)
        adam_step(params, dict(zip(keys, clipped)), state, lr)
        losses.append(loss)
    return losses


def main(hidden: int = 128, cpu_seconds: float = 600.0, seed: int = 0, eval_chars: int = 100_000) -> None:
    """Train for a CPU-time budget, then report validation loss and samples at a few temperatures."""
    from data.shakespeare import train_val_text
    from ..phase01_neural_networks.char_mlp import unigram_loss
    train_text, val_text = train_val_text()
    vocab = sorted(set(train_text) | set(val_text))
    stoi = {ch: i for i, ch in enumerate(vocab)}
    train_ids = np.array([stoi[c] for c in train_text])
    val_ids = np.array([stoi[c] for c in val_text[:eval_chars]])
    rng = np.random.default_rng(seed)
    params = init_params(len(vocab), hidden, rng)
    print(f"vocab {len(vocab)}, hidden {hidden}, {sum(p.size for p in params.values()):,} parameters; "
          f"unigram baseline on the validation slice {unigram_loss(train_ids, val_ids, len(vocab)):.3f}")
    start, steps = time.process_time(), 0
    while time.process_time() - start < cpu_seconds:
        losses = train(params, train_ids, 100, rng)
        steps += 100
        if steps % 500 == 0:
            print(f"step {steps}: train {np.mean(losses):.3f}, CPU {time.process_time() - start:.0f} s", flush=True)
    cpu = time.process_time() - start
    print(f"{steps} steps (batch 32 x 64 characters) in {cpu:.0f} s CPU; "
          f"validation loss {evaluate(params, val_ids):.3f} nats/char on the first {eval_chars:,} validation characters")
    for temperature in (0.5, 1.0):
        ids = generate(params, [stoi[c] for c in "ROMEO:\n"], 300, temperature, np.random.default_rng(1))
        print(f"--- temperature {temperature}\nROMEO:\n" + "".join(vocab[i] for i in ids))


if __name__ == "__main__":
    main()
