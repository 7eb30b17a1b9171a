"""Phases 4 and 7 in one picture: what one head of your trained GPT attends to in a sentence.

Row t of the map is the softmax over positions 0..t of query t's scores, q_t . k_s / sqrt(hs) (Vaswani et
al., 2017): a probability distribution over the past, with exact zeros above the diagonal (the causal mask).
The model computes these weights inside F.scaled_dot_product_attention and never keeps them, so the
exercise recomputes them from the layer's own input.
"""
from __future__ import annotations

import math

import torch


def attention_weights(model, idx: torch.Tensor, layer: int, head: int) -> torch.Tensor:
    """The attention weights of one head of phase 7's GPT: idx (1, T) -> (T, T) float tensor.

    Run the model on idx (eval mode, no grad) with a forward hook on model.transformer.h[layer].ln_1 to keep its
    output x (1, T, C), the attention's input; q, k = the first two C-wide thirds of attn.c_attn(x); cut out
    head `head` (channels head * hs .. (head + 1) * hs, hs = C // n_head); softmax over s of
    q_t . k_s / sqrt(hs) with s > t masked to -inf.
    """
    raise NotImplementedError("attention_weights is not written yet (exercise 'attention_map'; hints: make hint ex=attention_map)")


def most_attended(weights: torch.Tensor, tokens: list[str]) -> list[tuple[str, str, float]]:
    """For each query position t: (tokens[t], the token t gives the most weight, that weight), ties to the
    earliest position (torch.argmax's rule)."""
    raise NotImplementedError("most_attended is not written yet (exercise 'attention_map'; hints: make hint ex=attention_map)")


def plot_attention(weights, tokens: list[str], path, title: str) -> None:
    """Given: the (T, T) map with the tokens along both axes (queries down, keys across)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [repr(t)[1:-1] or "␣" for t in tokens]
    size = max(3.2, min(7.0, 0.22 * len(tokens) + 1.5))
    fig, ax = plt.subplots(figsize=(size + 0.8, size))
    image = ax.imshow(torch.as_tensor(weights).float().cpu().numpy(), cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, fontsize=7, rotation=90)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query")
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
