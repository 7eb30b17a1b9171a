"""Phases 2, 4 and 5 in one picture: the story of attention as accuracy against length.

Phase 2's seq2seq squeezes the whole source into one fixed-size state, so reversing longer strings fails
(Cho et al., 2014 saw translation quality fall with sentence length); phase 4 lets each decoding step look
back at every encoder state (Bahdanau et al., 2015); phase 5's transformer does it with attention alone
(Vaswani et al., 2017). All three are measured the same way: exact-match accuracy of greedy decoding on the
same fresh strings of each length.
"""
from __future__ import annotations

import numpy as np

from ..phase02_sequence_models import seq2seq as phase2
from ..phase02_sequence_models.seq2seq import reversal_batch
from ..phase04_attention import seq2seq_attention as phase4
from ..phase05_transformer import train_reversal as phase5
from ..phase05_transformer.transformer import init_params as transformer_params

MODELS = ("phase 2: seq2seq", "phase 4: with attention", "phase 5: transformer")


def exact_match_by_length(decode, lengths, n: int, seed: int) -> dict[int, float]:
    """{length: share of n strings decode reverses exactly}, for each length in the given order.

    One rng = np.random.default_rng(seed) for the whole call; for each length in turn, src, _, target =
    reversal_batch(n, length, rng) (phase 2's); decode maps src (n, length) to predictions (n, length).
    """
    raise NotImplementedError("exact_match_by_length is not written yet (exercise 'attention_story'; hints: make hint ex=attention_story)")


def length_series(decoders: dict, lengths, n: int = 200, seed: int = 0) -> dict:
    """Every model on the same strings: {"lengths": [...], "accuracy": {name: [accuracy at each length]}},
    exact_match_by_length with the same seed for each model, the names in the order of `decoders`."""
    raise NotImplementedError("length_series is not written yet (exercise 'attention_story'; hints: make hint ex=attention_story)")


def train_decoders(steps: int = 1500, seed: int = 0, lengths=range(4, 11), hidden: int = 32) -> dict:
    """Given: the three models at a small size, trained from your phases 2, 4 and 5 on strings of `lengths`,
    each with its own default_rng(seed); {name: decode}, decode mapping src (n, L) to predictions (n, L)."""
    rng = np.random.default_rng(seed)
    p2 = phase2.init_params(hidden, rng)
    phase2.train(p2, steps, list(lengths), rng, batch=32)
    p4, _ = phase4.train(hidden, lengths, steps, batch_size=32, rng=np.random.default_rng(seed))
    config = phase5.reversal_config(d_model=hidden, n_head=2, d_ff=2 * hidden, n_layer=1)
    rng = np.random.default_rng(seed)
    p5 = transformer_params(config, rng)
    phase5.train(p5, config, steps, rng, lengths=lengths, batch=32, lr=3e-3)
    return dict(zip(MODELS, (lambda src: phase2.greedy_decode(p2, src), lambda src: phase4.greedy_decode(p4, src),
                             lambda src: phase5.greedy_decode(p5, src, config))))


def plot_length_series(series: dict, path, trained_on=None) -> None:
    """Given: accuracy against length, one line per model; the lengths trained on shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    if trained_on is not None:
        ax.axvspan(min(trained_on) - 0.5, max(trained_on) + 0.5, color="grey", alpha=0.12, label="lengths trained on")
    for name, accuracy in series["accuracy"].items():
        ax.plot(series["lengths"], [100 * a for a in accuracy], "o-", ms=4, label=name)
    ax.set_xlabel("string length (digits to reverse)")
    ax.set_ylabel("exact-match accuracy (%)")
    ax.set_ylim(-3, 103)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Reversing digit strings: one state vector against attention", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
