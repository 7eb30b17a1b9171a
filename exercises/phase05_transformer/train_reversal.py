"""The encoder-decoder transformer on phase 2's reversal task, with strings of different lengths in one batch.

Phases 2 and 4 drew one length per batch; here each row has its own length and the rows are padded on the
right to the longest, so the padding masks of transformer.py do real work. Tokens: digits 0..9, BOS = 10
(phase 2's), PAD = 11. For a source [3, 1, 4, PAD] the decoder reads [BOS, 4, 1, PAD] and is asked for
[4, 1, 3, PAD]; PAD targets are left out of the loss and PAD keys out of every attention.

    python -m solutions.phase05_transformer.train_reversal     # the measurement quoted in the notes
"""
import time

import numpy as np

from ..phase02_sequence_models.clipping import clip_by_global_norm
from ..phase02_sequence_models.optim import adam_step
from ..phase02_sequence_models.seq2seq import BOS, N_DIGITS, reversal_batch
from .transformer import TransformerConfig, decode, encode, init_params, loss_and_grads, padding_mask

PAD = N_DIGITS + 1
VOCAB = N_DIGITS + 2          # digits, BOS, PAD


def reversal_config(**changes) -> TransformerConfig:
    """Given: the model of the notes' measurement (src and tgt vocabulary 12, pad_id PAD), with any field changed."""
    fields = dict(src_vocab=VOCAB, tgt_vocab=VOCAB, d_model=64, n_head=4, d_ff=256, n_layer=2, approximate="tanh", pad_id=PAD)
    return TransformerConfig(**{**fields, **changes})


def padded_reversal_batch(n: int, lengths, rng: np.random.Generator):
    """n reversal examples, each of a length drawn from `lengths` (rng.choice), padded on the right with PAD to
    the longest length drawn. Returns (src, tgt_in, tgt_out), (n, max length) ints, each row as phase 2's
    `reversal_batch` makes it for its own length, then padded."""
    raise NotImplementedError("padded_reversal_batch is not written yet (exercise 'transformer_reversal'; hints: make hint ex=transformer_reversal)")


def greedy_decode(params: dict, src: np.ndarray, config: TransformerConfig, steps: int | None = None) -> np.ndarray:
    """Decode without teacher forcing: encode src (B, S) once, then starting from [BOS] feed back the argmax of the
    last position's logits, `steps` times (default S). Returns the predictions (B, steps) ints, BOS excluded.
    The decoder is rerun on the whole prefix at every step (no cache: phase 7 adds one), masked as
    `transformer_forward` masks tgt_in, so a step's logits equal teacher forcing's on the same prefix."""
    raise NotImplementedError("greedy_decode is not written yet (exercise 'transformer_reversal'; hints: make hint ex=transformer_reversal)")


def warmup_cosine(step: int, steps: int, lr: float, warmup: int) -> float:
    """Given: the learning rate at `step` of `steps`: linear warm-up to lr over `warmup` steps, then a cosine
    down to lr / 10 at the last step."""
    progress = max(0, step - warmup) / max(1, steps - warmup)
    return lr * min(1.0, (step + 1) / warmup) * (0.1 + 0.45 * (1 + np.cos(np.pi * progress)))


def train(params: dict, config: TransformerConfig, steps: int, rng: np.random.Generator, lengths=range(4, 17),
          batch: int = 64, lr: float = 1e-3, warmup: int = 100, clip: float = 1.0) -> list[float]:
    """Given: Adam (phase 2's) on fresh padded batches, the learning rate `warmup_cosine`, gradients clipped to a
    global norm of `clip`. Updates params in place and returns the losses."""
    state, losses = {}, []
    for step in range(steps):
        src, tgt_in, tgt_out = padded_reversal_batch(batch, lengths, rng)
        loss, grads = loss_and_grads(params, src, tgt_in, tgt_out, config)
        clipped, _ = clip_by_global_norm(list(grads.values()), clip)
        adam_step(params, dict(zip(grads, clipped)), state, warmup_cosine(step, steps, lr, warmup))
        losses.append(loss)
    return losses


def accuracy(params: dict, config: TransformerConfig, length: int, rng: np.random.Generator, n: int = 1000):
    """Given: greedy decoding of n fresh strings of one length: (token accuracy, exact-sequence accuracy)."""
    src, _, tgt_out = reversal_batch(n, length, rng)
    correct = greedy_decode(params, src, config) == tgt_out
    return float(correct.mean()), float(correct.all(axis=1).mean())


def main(steps: int = 2000, seed: int = 0) -> None:
    """Given: train on lengths 4..16 mixed within each batch, then accuracy by length as phases 2 and 4 measure it."""
    config = reversal_config()
    rng = np.random.default_rng(seed)
    params = init_params(config, rng)
    print(f"{config}\n{sum(p.size for p in params.values()):,} parameters; {steps} steps of batch 64")
    start = time.process_time()
    losses = train(params, config, steps, rng)
    print(f"CPU {time.process_time() - start:.0f} s; training loss (mean of 100 steps) "
          + ", ".join(f"{np.mean(losses[max(0, s - 100):s]):.3f} at {s}" for s in range(250, steps + 1, 250)))
    eval_rng = np.random.default_rng(seed + 1)
    print("greedy decoding, 1000 strings per length: exact-sequence (token) accuracy")
    for length in [*range(4, 17), 20, 24]:
        token, sequence = accuracy(params, config, length, eval_rng)
        print(f"  {length:2d}: {sequence:.3f} ({token:.3f})", flush=True)


if __name__ == "__main__":
    main()
