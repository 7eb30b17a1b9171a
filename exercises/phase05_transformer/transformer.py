"""The encoder-decoder transformer (Vaswani et al. 2017), forward and backward, in NumPy.

For a source src (B, S) and a target y_1..y_T fed in shifted right, tgt_in (B, T) = [BOS, y_1 .. y_{T-1}]:
    encoder  x = sqrt(C) src_embed[src] + PE(S, C), then n_layer encoder layers (blocks.py)   memory (B, S, C)
    decoder  z = sqrt(C) tgt_embed[tgt_in] + PE(T, C), then n_layer decoder layers reading memory
    output   logits = z W_out + b_out                                                          (B, T, tgt_vocab)
With pre-norm, each stack ends with a final layer norm (enc.ln_f, dec.ln_f); post-norm layers already end
with one. Positions holding pad_id (when the config has one) are masked out of every attention as keys and
out of the loss as targets.

Parameters (`init_params`), flat like a PyTorch state dict:
    src_embed (src_vocab, C), tgt_embed (tgt_vocab, C), enc.{i}.<encoder layer keys>, enc.ln_f.{gamma, beta},
    dec.{i}.<decoder layer keys>, dec.ln_f.{gamma, beta}, W_out (C, tgt_vocab), b_out (tgt_vocab,)
for i in 0 .. n_layer - 1 (layer keys: blocks.py); the two ln_f only when norm == "pre".
"""
from dataclasses import dataclass

import numpy as np

from ..phase00_math.probability import log_softmax
from .blocks import (NORMS, decoder_layer_backward, decoder_layer_forward, encoder_layer_backward, encoder_layer_forward,
                     init_decoder_layer, init_encoder_layer, init_layer_norm, take, with_prefix)
from .layers import layer_norm_backward, layer_norm_forward, sinusoidal_positional_encoding


@dataclass(frozen=True)
class TransformerConfig:
    src_vocab: int
    tgt_vocab: int
    d_model: int = 64
    n_head: int = 4
    d_ff: int = 256
    n_layer: int = 2             # encoder layers, and as many decoder layers
    norm: str = "pre"            # "pre" (Xiong et al. 2020) or "post" (Vaswani et al. 2017)
    approximate: str = "none"    # GELU: "none" (erf) or "tanh"
    pad_id: int | None = None    # a token id that is padding, in both vocabularies

    def __post_init__(self):
        if self.norm not in NORMS:
            raise ValueError(f"norm must be 'pre' or 'post', got {self.norm!r}")
        if self.d_model % self.n_head:
            raise ValueError(f"d_model = {self.d_model} must be a multiple of n_head = {self.n_head}")


def init_params(config: TransformerConfig, rng: np.random.Generator, scale: float = 0.02) -> dict:
    """Given: embeddings ~ N(0, 1 / C) (so sqrt(C) E[t] has unit-variance entries), other weights ~ N(0, scale^2)."""
    C = config.d_model
    p = {"src_embed": rng.normal(scale=C ** -0.5, size=(config.src_vocab, C)),
         "tgt_embed": rng.normal(scale=C ** -0.5, size=(config.tgt_vocab, C))}
    for i in range(config.n_layer):
        p.update(with_prefix(f"enc.{i}", init_encoder_layer(C, config.d_ff, rng, scale)))
    if config.norm == "pre":
        p.update(init_layer_norm(C, "enc.ln_f"))
    for i in range(config.n_layer):
        p.update(with_prefix(f"dec.{i}", init_decoder_layer(C, config.d_ff, rng, scale)))
    if config.norm == "pre":
        p.update(init_layer_norm(C, "dec.ln_f"))
    p["W_out"] = rng.normal(scale=scale, size=(C, config.tgt_vocab))
    p["b_out"] = np.zeros(config.tgt_vocab)
    return p


def padding_mask(tokens: np.ndarray, pad_id: int | None) -> np.ndarray | None:
    """tokens (B, T) ints -> (B, 1, 1, T) boolean, True where the token is not padding, so that it broadcasts
    over heads and queries as a key mask; None when pad_id is None (nothing is padding)."""
    raise NotImplementedError("padding_mask is not written yet (exercise 'encoder_decoder'; hints: make hint ex=encoder_decoder)")


def embed_forward(tokens: np.ndarray, E: np.ndarray) -> np.ndarray:
    """tokens (B, T) ints, E (V, C) -> sqrt(C) E[tokens] + PE(T, C), (B, T, C) (section 3.4 and 3.5)."""
    raise NotImplementedError("embed_forward is not written yet (exercise 'encoder_decoder'; hints: make hint ex=encoder_decoder)")


def embed_backward(dx: np.ndarray, tokens: np.ndarray, E: np.ndarray) -> np.ndarray:
    """dx (B, T, C) -> dE (V, C): row t gets sqrt(C) times the sum of dx over every position holding token t."""
    raise NotImplementedError("embed_backward is not written yet (exercise 'encoder_decoder'; hints: make hint ex=encoder_decoder)")


def encode(params: dict, src: np.ndarray, config: TransformerConfig, src_mask: np.ndarray | None = None):
    """src (B, S) ints, src_mask (B, 1, 1, S) or None -> (memory (B, S, C), cache)."""
    raise NotImplementedError("encode is not written yet (exercise 'encoder_decoder'; hints: make hint ex=encoder_decoder)")


def encode_backward(dmemory: np.ndarray, cache) -> dict:
    """dmemory (B, S, C) -> grads for every encoder parameter (src_embed, enc.*)."""
    raise NotImplementedError("encode_backward is not written yet (exercise 'encoder_decoder'; hints: make hint ex=encoder_decoder)")


def decode(params: dict, tgt_in: np.ndarray, memory: np.ndarray, config: TransformerConfig,
           tgt_mask: np.ndarray | None = None, memory_mask: np.ndarray | None = None):
    """tgt_in (B, T) ints, memory (B, S, C), tgt_mask (B, 1, 1, T), memory_mask (B, 1, 1, S) or None
    -> (logits (B, T, tgt_vocab), cache). The decoder layers add the causal mask themselves."""
    raise NotImplementedError("decode is not written yet (exercise 'encoder_decoder'; hints: make hint ex=encoder_decoder)")


def decode_backward(dlogits: np.ndarray, cache):
    """dlogits (B, T, tgt_vocab) -> (dmemory (B, S, C), grads for tgt_embed, dec.*, W_out, b_out).
    memory feeds every decoder layer's cross-attention: dmemory sums them."""
    raise NotImplementedError("decode_backward is not written yet (exercise 'encoder_decoder'; hints: make hint ex=encoder_decoder)")


def transformer_forward(params: dict, src: np.ndarray, tgt_in: np.ndarray, config: TransformerConfig):
    """src (B, S), tgt_in (B, T) ints -> (logits (B, T, tgt_vocab), cache). Padding masks come from
    config.pad_id: the source's for the encoder and the cross-attention, the target's for the decoder."""
    raise NotImplementedError("transformer_forward is not written yet (exercise 'encoder_decoder'; hints: make hint ex=encoder_decoder)")


def transformer_backward(dlogits: np.ndarray, cache) -> dict:
    """dlogits (B, T, tgt_vocab) -> grads {name: array shaped like params[name]} for every parameter."""
    raise NotImplementedError("transformer_backward is not written yet (exercise 'encoder_decoder'; hints: make hint ex=encoder_decoder)")


def loss_and_grads(params: dict, src: np.ndarray, tgt_in: np.ndarray, tgt_out: np.ndarray, config: TransformerConfig):
    """Mean cross-entropy of tgt_out (B, T) under teacher forcing, over the positions whose target is not
    config.pad_id (all of them when pad_id is None), and its gradient. Returns (loss, grads)."""
    raise NotImplementedError("loss_and_grads is not written yet (exercise 'encoder_decoder'; hints: make hint ex=encoder_decoder)")
