"""Residual blocks, cross-attention, and the encoder and decoder layers of the transformer (Vaswani et al. 2017).

A sublayer (attention or the feed-forward network) sits inside a residual connection with a layer norm, in
one of two places:
    post-norm (the 2017 paper):        out = LN(x + sublayer(x))
    pre-norm (Xiong et al. 2020, GPT-2): out = x + sublayer(LN(x))
Pre-norm leaves a clean identity path from input to output, which is why it trains without warm-up.

Parameters are flat dicts whose keys name the sublayer, like a PyTorch state dict:
    encoder layer: ln_1.gamma, ln_1.beta, attn.{W_q, b_q, W_k, b_k, W_v, b_v, W_o, b_o},
                   ln_2.gamma, ln_2.beta, ffn.{W_1, b_1, W_2, b_2}
    decoder layer: ln_1.*, self_attn.* (8 as attn), ln_2.*, cross_attn.* (8 as attn), ln_3.*, ffn.*
Attention weights are phase 4's layout: W_* (C, C), b_* (C,), heads taken as channel groups of C / n_head.
ln_k belongs to the k-th sublayer in both norms (in post-norm it comes after that sublayer's residual sum).
Masks are boolean, True = may attend, broadcastable to (B, n_head, Tq, Tk).
"""
import numpy as np

from ..phase04_attention.attention import causal_mask, scaled_dot_product_attention, scaled_dot_product_attention_backward
from ..phase04_attention.multihead import PARAMS as ATTENTION_PARAMS, init_params as init_attention
from ..phase04_attention.multihead import merge_heads, multi_head_attention_backward, multi_head_attention_forward, split_heads
from .feed_forward import feed_forward_backward, feed_forward_forward, init_params as init_feed_forward
from .layers import layer_norm_backward, layer_norm_forward

NORMS = ("pre", "post")


def take(params: dict, prefix: str) -> dict:
    """Given: the entries of a flat dict under `prefix.`, with the prefix removed (the same arrays, not copies)."""
    start = len(prefix) + 1
    return {name[start:]: value for name, value in params.items() if name.startswith(prefix + ".")}


def with_prefix(prefix: str, grads: dict) -> dict:
    """Given: the inverse of `take`: {name: g} -> {prefix.name: g}."""
    return {f"{prefix}.{name}": g for name, g in grads.items()}


def init_layer_norm(C: int, prefix: str) -> dict:
    """Given: gamma = 1, beta = 0 (C,), under prefix (ln_1.gamma, ln_1.beta)."""
    return {f"{prefix}.gamma": np.ones(C), f"{prefix}.beta": np.zeros(C)}


def init_encoder_layer(C: int, d_ff: int, rng: np.random.Generator, scale: float = 0.02) -> dict:
    """Given: an encoder layer's parameters, keys as in the module docstring; weights ~ N(0, scale^2)."""
    return {**init_layer_norm(C, "ln_1"), **with_prefix("attn", init_attention(C, rng, scale)),
            **init_layer_norm(C, "ln_2"), **with_prefix("ffn", init_feed_forward(C, d_ff, rng, scale))}


def init_decoder_layer(C: int, d_ff: int, rng: np.random.Generator, scale: float = 0.02) -> dict:
    """Given: a decoder layer's parameters, keys as in the module docstring; weights ~ N(0, scale^2)."""
    return {**init_layer_norm(C, "ln_1"), **with_prefix("self_attn", init_attention(C, rng, scale)),
            **init_layer_norm(C, "ln_2"), **with_prefix("cross_attn", init_attention(C, rng, scale)),
            **init_layer_norm(C, "ln_3"), **with_prefix("ffn", init_feed_forward(C, d_ff, rng, scale))}


def residual_forward(x: np.ndarray, sublayer, gamma: np.ndarray, beta: np.ndarray, norm: str = "pre"):
    """One sublayer inside its residual connection and layer norm (eps 1e-5).

    x (B, T, C); sublayer: a function h (B, T, C) -> (y (B, T, C), sublayer_cache); gamma, beta (C,).
    norm="pre": out = x + sublayer(LN(x));  norm="post": out = LN(x + sublayer(x)).
    Returns (out (B, T, C), cache).
    """
    if norm not in NORMS:
        raise ValueError(f"norm must be 'pre' or 'post', got {norm!r}")
    raise NotImplementedError("residual_forward is not written yet (exercise 'transformer_blocks'; hints: make hint ex=transformer_blocks)")


def residual_backward(dout: np.ndarray, cache, sublayer_backward):
    """dout (B, T, C) -> (dx, dgamma, dbeta, sublayer_grads).

    sublayer_backward: a function (dy, sublayer_cache) -> (dh, sublayer_grads), the backward of the sublayer
    given to `residual_forward`; sublayer_grads is passed through untouched. The residual path adds dout
    (pre-norm), or the layer norm's dx (post-norm), straight into dx.
    """
    raise NotImplementedError("residual_backward is not written yet (exercise 'transformer_blocks'; hints: make hint ex=transformer_blocks)")


def cross_attention_forward(x: np.ndarray, memory: np.ndarray, params: dict, n_head: int, mask: np.ndarray | None = None):
    """Multi-head attention whose queries come from x and whose keys and values come from memory.

    x (B, Tq, C) (the decoder), memory (B, Tk, C) (the encoder's output), params as phase 4's
    `multihead.init_params` (W_q, b_q, W_k, b_k, W_v, b_v, W_o, b_o); mask broadcastable to (B, n_head, Tq, Tk).
    q = x W_q + b_q, k = memory W_k + b_k, v = memory W_v + b_v, split into heads, attend, merge,
    out = y W_o + b_o. Returns (out (B, Tq, C), cache).
    """
    raise NotImplementedError("cross_attention_forward is not written yet (exercise 'transformer_blocks'; hints: make hint ex=transformer_blocks)")


def cross_attention_backward(dout: np.ndarray, cache):
    """dout (B, Tq, C) -> (dx (B, Tq, C), dmemory (B, Tk, C), grads {name: like params[name]})."""
    raise NotImplementedError("cross_attention_backward is not written yet (exercise 'transformer_blocks'; hints: make hint ex=transformer_blocks)")


def encoder_layer_forward(x: np.ndarray, params: dict, n_head: int, mask: np.ndarray | None = None,
                          norm: str = "pre", approximate: str = "none"):
    """Self-attention then the feed-forward network, each in `residual_forward` with its own layer norm.

    x (B, T, C); params keyed as in the module docstring; mask (padding, or causal for a decoder-only model)
    broadcastable to (B, n_head, T, T). Returns (out (B, T, C), cache).
    """
    raise NotImplementedError("encoder_layer_forward is not written yet (exercise 'transformer_blocks'; hints: make hint ex=transformer_blocks)")


def encoder_layer_backward(dout: np.ndarray, cache):
    """dout (B, T, C) -> (dx (B, T, C), grads with the keys of the layer's params)."""
    raise NotImplementedError("encoder_layer_backward is not written yet (exercise 'transformer_blocks'; hints: make hint ex=transformer_blocks)")


def decoder_layer_forward(y: np.ndarray, memory: np.ndarray, params: dict, n_head: int,
                          tgt_mask: np.ndarray | None = None, memory_mask: np.ndarray | None = None,
                          norm: str = "pre", approximate: str = "none"):
    """Masked self-attention, cross-attention to the encoder's memory, then the feed-forward network, each in
    `residual_forward` with its own layer norm (ln_1, ln_2, ln_3).

    y (B, T, C) the decoder's input, memory (B, Tk, C). The layer applies the causal mask to its
    self-attention itself, combined (and) with tgt_mask (the target's padding, broadcastable to
    (B, n_head, T, T)) when given; cross-attention uses memory_mask only (the source's padding, broadcastable
    to (B, n_head, T, Tk)): every decoder position may read the whole source.
    Returns (out (B, T, C), cache).
    """
    raise NotImplementedError("decoder_layer_forward is not written yet (exercise 'transformer_blocks'; hints: make hint ex=transformer_blocks)")


def decoder_layer_backward(dout: np.ndarray, cache):
    """dout (B, T, C) -> (dy (B, T, C), dmemory (B, Tk, C), grads with the keys of the layer's params)."""
    raise NotImplementedError("decoder_layer_backward is not written yet (exercise 'transformer_blocks'; hints: make hint ex=transformer_blocks)")
