"""A LLaMA-style GPT (Touvron et al., 2023): phase 7's decoder with this phase's parts.

What changes from GPT-2, block by block:
    positions   learned wpe added to the input    ->  RoPE on every layer's queries and keys (rope.py)
    norms       LayerNorm with bias               ->  RMSNorm, no bias (norm.py)
    MLP         4C, GELU                          ->  SwiGLU with hidden 2/3 of 4C (swiglu.py)
    attention   H key-value heads                 ->  n_kv_head shared by groups of query heads (gqa.py),
                                                      optionally over a sliding window (sliding_window.py)
    biases      in every Linear                   ->  none
The embedding and head stay tied (LLaMA 1 and 2 untie them; small models such as Llama 3.2 1B tie them).

Names: transformer.wte, transformer.h[i].{ln_1, attn.{c_q, c_kv, c_proj}, ln_2, mlp.{w_gate, w_up, w_down}},
transformer.ln_f, lm_head. The interface is phase 7's GPT's: forward(idx, targets=None, kv_cache=None) ->
(logits, loss), generate(...), num_parameters(), config with block_size, vocab_size, n_layer, n_head, n_embd.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F

from ..phase07_gpt_architecture.generation import generate as _generate
from .gqa import grouped_query_attention
from .norm import RMSNorm
from .rope import apply_rope
from .sliding_window import sliding_window_mask
from .swiglu import SwiGLU, swiglu_hidden_size


@dataclass
class LlamaConfig:
    block_size: int = 1024
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_kv_head: int = 4                # key-value heads; n_head must be a multiple
    n_embd: int = 768
    multiple_of: int = 32             # SwiGLU's hidden width is rounded up to this
    rope_base: float = 10000.0
    norm_eps: float = 1e-6
    sliding_window: int | None = None  # None: every query sees every earlier position
    dropout: float = 0.0


class Attention(nn.Module):
    """Causal grouped-query self-attention with RoPE: x (B, T, C) -> (B, T, C)."""

    def __init__(self, config: LlamaConfig):
        super().__init__()
        assert config.n_embd % config.n_head == 0 and config.n_head % config.n_kv_head == 0
        self.n_head, self.n_kv_head, self.head_size = config.n_head, config.n_kv_head, config.n_embd // config.n_head
        self.c_q = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.c_kv = nn.Linear(config.n_embd, 2 * config.n_kv_head * self.head_size, bias=False)  # k, then v
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.rope_base, self.window = config.rope_base, config.sliding_window

    def forward(self, x: torch.Tensor, positions: torch.Tensor, kv_cache=None, layer: int = 0) -> torch.Tensor:
        """positions (T,): the absolute positions of x's tokens.

        q = c_q(x) as (B, n_head, T, hs); k, v = c_kv(x) split in two, each (B, n_kv_head, T, hs); RoPE on q
        and k at `positions` (before caching: cached keys are already rotated); kv_cache.update(layer, k, v)
        if there is a cache; the keys returned are the last K positions up to positions[-1]. Attention masks
        by position: key position j is visible to query position i when j <= i, and, with a sliding window,
        i - j < window. Then merge the heads, c_proj and resid_dropout.
        """
        raise NotImplementedError("forward is not written yet (exercise 'llama_model'; hints: make hint ex=llama_model)")


class Block(nn.Module):
    """x + attn(ln_1(x)), then x + mlp(ln_2(x)), with RMSNorm and SwiGLU."""

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.ln_1 = RMSNorm(config.n_embd, config.norm_eps)
        self.attn = Attention(config)
        self.ln_2 = RMSNorm(config.n_embd, config.norm_eps)
        self.mlp = SwiGLU(config.n_embd, swiglu_hidden_size(config.n_embd, config.multiple_of))
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, positions: torch.Tensor, kv_cache=None, layer: int = 0) -> torch.Tensor:
        raise NotImplementedError("forward is not written yet (exercise 'llama_model'; hints: make hint ex=llama_model)")


class Llama(nn.Module):
    """idx (B, T) -> logits (B, T, V), like phase 7's GPT, with no position table (RoPE carries positions)."""

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=RMSNorm(config.n_embd, config.norm_eps),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight
        self.init_weights()

    def init_weights(self) -> None:
        """GPT-2's: every Linear and Embedding weight ~ normal(0, 0.02), the two projections into the residual
        stream (attn.c_proj, mlp.w_down) ~ normal(0, 0.02 / sqrt(2 n_layer)); RMSNorm gains stay ones."""
        raise NotImplementedError("init_weights is not written yet (exercise 'llama_model'; hints: make hint ex=llama_model)")

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, kv_cache=None):
        """idx (B, T) -> (logits (B, T, V), mean cross-entropy or None). Tokens sit at positions P..P + T - 1,
        P = kv_cache.length (0 without a cache); P + T may not exceed block_size."""
        raise NotImplementedError("forward is not written yet (exercise 'llama_model'; hints: make hint ex=llama_model)")

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, generator: torch.Generator | None = None,
                 use_cache: bool = False) -> torch.Tensor:
        """idx (B, T) -> (B, T + max_new_tokens); phase 7's generate."""
        return _generate(self, idx, max_new_tokens, temperature=temperature, top_k=top_k, top_p=top_p,
                         generator=generator, use_cache=use_cache)
