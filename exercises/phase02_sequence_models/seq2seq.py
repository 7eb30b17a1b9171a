"""Sequence to sequence (Sutskever et al. 2014; Cho et al. 2014): an LSTM encoder squeezes the source into
its final state (h, c); an LSTM decoder starts from that state and writes the target one token at a time.

The task: reverse a string of digits. Everything the decoder knows about the source must pass through
one fixed-size state, so accuracy falls as the strings grow: the bottleneck attention removes (phase 4).
Training uses teacher forcing (Williams & Zipser 1989): the decoder reads the TRUE previous token.

    python -m solutions.phase02_sequence_models.seq2seq     # trains, then accuracy by length (in the notes)
"""
import time

import numpy as np

from ..phase01_neural_networks.layers import softmax_cross_entropy
from .char_lstm import one_hot
from .clipping import clip_by_global_norm
from .lstm import lstm_backward, lstm_forward, lstm_step_forward
from .optim import adam_step

N_DIGITS = 10            # tokens 0..9 are the digits themselves
BOS = 10                 # start-of-output token, fed to the decoder before its first prediction
VOCAB = 11               # input vocabulary (digits + BOS); the decoder predicts digits only (10 classes)


def reversal_batch(n: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n random digit strings of one length and their reversals, as token ids (int64 arrays).

    Token layout: digits are tokens 0..9, BOS = 10; no padding and no end token (one length per batch).
        src     (n, length): the digits, e.g. [3, 1, 4]
        tgt_in  (n, length): the decoder's inputs under teacher forcing, [BOS, y_0, .., y_{length-2}] = [10, 4, 1]
        tgt_out (n, length): the targets, the source reversed, y = src[:, ::-1] = [4, 1, 3]
    """
    src = rng.integers(0, N_DIGITS, size=(n, length))
    tgt_out = src[:, ::-1].copy()
    tgt_in = np.concatenate([np.full((n, 1), BOS), tgt_out[:, :-1]], axis=1)
    return src, tgt_in, tgt_out


def init_params(hidden: int, rng: np.random.Generator) -> dict:
    """Encoder LSTM (enc_*), decoder LSTM (dec_*), output layer Wy (H, 10), by (10,); forget-gate biases 1."""
    params = {}
    for part in ("enc", "dec"):
        b = np.zeros(4 * hidden)
        b[hidden:2 * hidden] = 1.0
        params.update({f"{part}_Wx": rng.normal(0, 0.3, (VOCAB, 4 * hidden)),
                       f"{part}_Wh": rng.normal(0, 1 / np.sqrt(hidden), (hidden, 4 * hidden)),
                       f"{part}_b": b})
    params["Wy"] = rng.normal(0, 0.1 / np.sqrt(hidden), (hidden, N_DIGITS))
    params["by"] = np.zeros(N_DIGITS)
    return params


def loss_and_grads(params: dict, src: np.ndarray, tgt_in: np.ndarray, tgt_out: np.ndarray) -> tuple[float, dict]:
    """Teacher-forced mean cross-entropy over all target positions, and the gradient of every parameter.

    encoder: lstm_forward(one_hot(src), zeros) -> final (h, c); decoder: lstm_forward(one_hot(tgt_in), h, c=c)
    -> logits = hs Wy + by (N, L, 10). Backward: decoder first; the gradient reaching the decoder's initial
    (h, c) is the encoder's only gradient, arriving at its final state.
    """
    raise NotImplementedError("loss_and_grads is not written yet (exercise 'seq2seq'; hints: make hint ex=seq2seq)")


def greedy_decode(params: dict, src: np.ndarray) -> np.ndarray:
    """Encode src (N, L); decode L tokens from BOS, feeding back each step's argmax. Returns (N, L) digits."""
    raise NotImplementedError("greedy_decode is not written yet (exercise 'seq2seq'; hints: make hint ex=seq2seq)")


def exact_match(pred: np.ndarray, target: np.ndarray) -> float:
    """Fraction of rows predicted entirely right."""
    return float(np.mean(np.all(pred == target, axis=1)))


def train(params: dict, steps: int, lengths, rng: np.random.Generator, batch: int = 64, lr: float = 3e-3,
          clip: float = 5.0) -> list[float]:
    """Adam on fresh random batches, each of one length drawn from `lengths`."""
    state, losses, keys = {}, [], list(params)
    for _ in range(steps):
        src, tgt_in, tgt_out = reversal_batch(batch, int(rng.choice(lengths)), rng)
        loss, grads = loss_and_grads(params, src, tgt_in, tgt_out)
        clipped, _ = clip_by_global_norm([grads[k] for k in keys], clip)
        adam_step(params, dict(zip(keys, clipped)), state, lr)
        losses.append(loss)
    return losses


def accuracy_by_length(params: dict, lengths, rng: np.random.Generator, n: int = 1000) -> dict[int, float]:
    """Exact-sequence accuracy of greedy decoding on n fresh strings of each length."""
    result = {}
    for length in lengths:
        src, _, tgt_out = reversal_batch(n, length, rng)
        result[length] = exact_match(greedy_decode(params, src), tgt_out)
    return result


def main(hidden: int = 128, steps: int = 6000, seed: int = 0) -> None:
    train_lengths = list(range(4, 17))
    rng = np.random.default_rng(seed)
    params = init_params(hidden, rng)
    start = time.process_time()
    for done in range(0, steps, 1000):
        losses = train(params, 1000, train_lengths, rng)
        print(f"step {done + 1000}: loss {np.mean(losses[-200:]):.4f}, CPU {time.process_time() - start:.0f} s", flush=True)
    accuracy = accuracy_by_length(params, range(4, 17), np.random.default_rng(seed + 1))
    print(f"hidden {hidden}, {steps} steps of batch 64, lengths 4..16 mixed, CPU {time.process_time() - start:.0f} s")
    print("exact-match accuracy by length (1000 strings each):")
    for length, acc in accuracy.items():
        print(f"  {length:2d}: {acc:.3f}")


if __name__ == "__main__":
    main()
