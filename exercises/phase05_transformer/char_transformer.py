"""A decoder-only transformer over Shakespeare's characters (the shape of GPT, Radford et al. 2018), in NumPy.

No encoder and no cross-attention: each layer is an encoder layer of blocks.py whose self-attention gets the
causal mask, so position t reads characters 0..t and predicts character t + 1. For X (N, T) ids:
    x = sqrt(C) embed[X] + PE(T, C) -> n_layer pre-norm layers (causal) -> ln_f -> logits = x W_out + b_out (N, T, V)
Parameters (`init_params`): embed (V, C), layers.{i}.<encoder layer keys of blocks.py>, ln_f.{gamma, beta},
W_out (C, V), b_out (V,).
It is measured as phase 2 measures its character LSTM: the same corpus, vocabulary and validation slice.

    python -m solutions.phase05_transformer.char_transformer     # the full run quoted in the notes
"""
import time
from dataclasses import dataclass

import numpy as np

from ..phase01_neural_networks.layers import softmax_cross_entropy
from ..phase02_sequence_models.char_lstm import random_windows, sample_next
from ..phase02_sequence_models.clipping import clip_by_global_norm
from ..phase02_sequence_models.optim import adam_step
from ..phase04_attention.attention import causal_mask
from .blocks import encoder_layer_backward, encoder_layer_forward, init_encoder_layer, init_layer_norm, take, with_prefix
from .layers import layer_norm_backward, layer_norm_forward
from .train_reversal import warmup_cosine
from .transformer import embed_backward, embed_forward


@dataclass(frozen=True)
class CharConfig:
    vocab_size: int
    d_model: int = 96
    n_head: int = 4
    d_ff: int = 384
    n_layer: int = 2
    block_size: int = 128         # the longest context generate() feeds the model
    approximate: str = "tanh"     # GELU; "tanh" is several times faster here than the exact erf


def init_params(config: CharConfig, rng: np.random.Generator, scale: float = 0.02) -> dict:
    """Given: embed ~ N(0, 1 / C), the other weights ~ N(0, scale^2), layer norms at gamma = 1, beta = 0."""
    C = config.d_model
    p = {"embed": rng.normal(scale=C ** -0.5, size=(config.vocab_size, C))}
    for i in range(config.n_layer):
        p.update(with_prefix(f"layers.{i}", init_encoder_layer(C, config.d_ff, rng, scale)))
    p.update(init_layer_norm(C, "ln_f"))
    p["W_out"] = rng.normal(scale=scale, size=(C, config.vocab_size))
    p["b_out"] = np.zeros(config.vocab_size)
    return p


def forward(params: dict, X: np.ndarray, config: CharConfig):
    """X (N, T) ids -> (logits (N, T, V), cache): logits[:, t] predicts the character after X[:, t], reading
    X[:, :t + 1] only."""
    raise NotImplementedError("forward is not written yet (exercise 'char_transformer'; hints: make hint ex=char_transformer)")


def backward(dlogits: np.ndarray, cache) -> dict:
    """dlogits (N, T, V) -> grads {name: array shaped like params[name]}."""
    raise NotImplementedError("backward is not written yet (exercise 'char_transformer'; hints: make hint ex=char_transformer)")


def loss_and_grads(params: dict, X: np.ndarray, Y: np.ndarray, config: CharConfig) -> tuple[float, dict]:
    """Mean cross-entropy of predicting Y (N, T) (X shifted by one) over all N T positions, and its gradient."""
    raise NotImplementedError("loss_and_grads is not written yet (exercise 'char_transformer'; hints: make hint ex=char_transformer)")


def generate(params: dict, prefix: list[int], n: int, config: CharConfig, temperature: float,
             rng: np.random.Generator) -> list[int]:
    """Sample n ids after the prefix (at least one id), one at a time: run the model on the last
    config.block_size ids, draw the next from the last position's logits with phase 2's `sample_next`
    (temperature 0 = greedy), append it. Returns the n new ids."""
    raise NotImplementedError("generate is not written yet (exercise 'char_transformer'; hints: make hint ex=char_transformer)")


def evaluate(params: dict, ids: np.ndarray, config: CharConfig, T: int = 128, batch: int = 64) -> float:
    """Given: mean loss over consecutive, non-overlapping windows of T characters covering ids, each read from
    its own start (as phase 2's char LSTM is measured, each window from a zero state)."""
    n = (len(ids) - 1) // T
    X, Y = ids[:n * T].reshape(n, T), ids[1:n * T + 1].reshape(n, T)
    total = 0.0
    for i in range(0, n, batch):
        logits, _ = forward(params, X[i:i + batch], config)
        total += softmax_cross_entropy(logits.reshape(-1, logits.shape[-1]), Y[i:i + batch].reshape(-1))[0] * len(logits)
    return total / n


def train(params: dict, ids: np.ndarray, config: CharConfig, steps: int, rng: np.random.Generator, batch: int = 8,
          T: int = 128, lr: float = 3e-3, warmup: int = 100, clip: float = 1.0, log_every: int = 0) -> list[float]:
    """Given: Adam (phase 2's) on random windows of T + 1 characters, the learning rate `warmup_cosine` over
    `steps`, gradients clipped to a global norm of `clip`. Updates params in place; returns the losses."""
    state, losses, start = {}, [], time.process_time()
    for step in range(steps):
        X, Y = random_windows(ids, batch, T, rng)
        loss, grads = loss_and_grads(params, X, Y, config)
        clipped, _ = clip_by_global_norm(list(grads.values()), clip)
        adam_step(params, dict(zip(grads, clipped)), state, warmup_cosine(step, steps, lr, warmup))
        losses.append(loss)
        if log_every and (step + 1) % log_every == 0:
            print(f"step {step + 1}: train {np.mean(losses[-log_every:]):.3f}, CPU {time.process_time() - start:.0f} s",
                  flush=True)
    return losses


def main(steps: int = 3600, seed: int = 0, eval_chars: int = 100_000, **config_changes) -> None:
    """Given: train for a fixed number of steps, then the validation loss on phase 2's slice and two samples."""
    from data.shakespeare import train_val_text
    train_text, val_text = train_val_text()
    vocab = sorted(set(train_text) | set(val_text))
    stoi = {ch: i for i, ch in enumerate(vocab)}
    train_ids = np.array([stoi[c] for c in train_text])
    val_ids = np.array([stoi[c] for c in val_text[:eval_chars]])
    config = CharConfig(vocab_size=len(vocab), **config_changes)
    rng = np.random.default_rng(seed)
    params = init_params(config, rng)
    print(f"{config}\n{sum(p.size for p in params.values()):,} parameters")
    start = time.process_time()
    train(params, train_ids, config, steps, rng, log_every=250)
    cpu = time.process_time() - start
    print(f"{steps} steps (batch 8 x 128 characters) in {cpu:.0f} s CPU; validation loss "
          f"{evaluate(params, val_ids, config):.3f} nats/char on the first {eval_chars:,} validation characters")
    for temperature in (0.5, 1.0):
        ids = generate(params, [stoi[c] for c in "ROMEO:\n"], 300, config, temperature, np.random.default_rng(1))
        print(f"--- temperature {temperature}\nROMEO:\n" + "".join(vocab[i] for i in ids))


if __name__ == "__main__":
    main()
