"""GPT-2 as a PyTorch module: token and position embeddings, pre-norm blocks, a head tied to the embedding.

Shapes: B batch, T time (tokens), C = n_embd channels, H = n_head heads, hs = C // H per head, V = vocab_size.

The names of every submodule and parameter are fixed in the given `__init__` methods (they match nanoGPT's
and, up to transposed Conv1D weights, Hugging Face's GPT2LMHeadModel), so a state_dict from this model loads
into the reference GPT and back. What you write: the forward passes, the weight tying and GPT-2's init.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F

from .generation import generate as _generate
from .hf import config_kwargs_from_hf, convert_hf_state_dict


@dataclass
class GPTConfig:
    """Defaults are GPT-2 Small (Radford et al., 2019): 124,439,808 parameters."""
    block_size: int = 1024    # longest context: the number of learned positions
    vocab_size: int = 50257   # 50,000 BPE merges + 256 byte tokens + <|endoftext|>
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True         # biases in the Linear and LayerNorm layers, as GPT-2 has them


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t sees positions 0..t only."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        assert config.n_embd % config.n_head == 0, "n_embd must be a multiple of n_head"
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)  # q, k, v in one matmul
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)      # heads -> residual stream
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout

    def forward(self, x: torch.Tensor, kv_cache=None, layer: int = 0) -> torch.Tensor:
        """x (B, T, C) -> (B, T, C).

        Split c_attn(x) into q, k, v (each (B, T, C), in that order), then into heads (B, H, T, hs); attend
        with F.scaled_dot_product_attention (is_causal=True; dropout_p=self.dropout only in training);
        merge the heads back to (B, T, C) and apply c_proj and resid_dropout.

        With a kv_cache (see kv_cache.KVCache), first replace k, v by `kv_cache.update(layer, k, v)`: the
        keys and values of every position so far, (B, H, P + T, hs) where P positions were cached before.
        Query i then sits at position P + i and may attend to keys 0..P + i: is_causal=True only says that
        when P == 0; when T == 1 no mask is needed; otherwise pass an explicit boolean attn_mask.
        """
        # BEGIN SOLUTION
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        if kv_cache is not None:
            k, v = kv_cache.update(layer, k, v)
        past = k.size(-2) - T
        dropout_p = self.dropout if self.training else 0.0
        if past == 0:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
        elif T == 1:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
        else:  # query i (position past + i) sees keys 0..past + i
            mask = torch.ones(T, past + T, dtype=torch.bool, device=x.device).tril(diagonal=past)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))
        # END SOLUTION


class MLP(nn.Module):
    """Position-wise feed-forward: C -> 4C -> GELU -> C."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T, C) -> (B, T, C). GPT-2 uses the tanh approximation of GELU (Hendrycks & Gimpel, 2016)."""
        # BEGIN SOLUTION
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))
        # END SOLUTION


class Block(nn.Module):
    """One transformer block, pre-norm as in GPT-2: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor, kv_cache=None, layer: int = 0) -> torch.Tensor:
        """x (B, T, C) -> (B, T, C); pass kv_cache and layer on to the attention."""
        # BEGIN SOLUTION
        x = x + self.attn(self.ln_1(x), kv_cache=kv_cache, layer=layer)
        x = x + self.mlp(self.ln_2(x))
        return x
        # END SOLUTION


class GPT(nn.Module):
    """GPT-2: idx (B, T) token ids -> logits (B, T, V) over the next token at every position."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),   # token embedding (V, C)
            wpe=nn.Embedding(config.block_size, config.n_embd),   # learned position embedding (block_size, C)
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.tie_weights()
        self.init_weights()

    def tie_weights(self) -> None:
        """Make lm_head and the token embedding share ONE (V, C) parameter (Press & Wolf, 2017)."""
        # BEGIN SOLUTION (stub: pass)
        self.lm_head.weight = self.transformer.wte.weight
        # END SOLUTION

    def init_weights(self) -> None:
        """GPT-2's initialisation, in place, without autograd.

        Every Linear and Embedding weight ~ normal(0, 0.02); every Linear bias zero (LayerNorm keeps its
        ones and zeros); then the two projections that write into the residual stream, attn.c_proj and
        mlp.c_proj, ~ normal(0, 0.02 / sqrt(2 * n_layer)): 2 * n_layer sublayers add into the stream, and
        the scaling keeps its variance from growing with depth (Radford et al., 2019).
        """
        # BEGIN SOLUTION (stub: pass)
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, (nn.Linear, nn.Embedding)):
                    module.weight.normal_(mean=0.0, std=0.02)
                if isinstance(module, nn.Linear) and module.bias is not None:
                    module.bias.zero_()
            residual_std = 0.02 / math.sqrt(2 * self.config.n_layer)
            for block in self.transformer.h:
                block.attn.c_proj.weight.normal_(mean=0.0, std=residual_std)
                block.mlp.c_proj.weight.normal_(mean=0.0, std=residual_std)
        # END SOLUTION

    def num_parameters(self) -> int:
        """Parameters counted once each (the tied embedding and head are one tensor)."""
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, kv_cache=None):
        """idx (B, T) int64 with T <= block_size -> (logits (B, T, V), loss or None).

        x = drop(wte(idx) + wpe(positions)), then every block in order, then ln_f and lm_head. With targets
        (B, T), loss is the mean cross-entropy over all B * T positions. With a kv_cache holding P earlier
        positions, the new tokens sit at positions P..P + T - 1 (use kv_cache.length; pass the cache and the
        block's index to each block).
        """
        # BEGIN SOLUTION
        B, T = idx.shape
        past = kv_cache.length if kv_cache is not None else 0
        if past + T > self.config.block_size:
            raise ValueError(f"sequence of length {past + T} is longer than block_size {self.config.block_size}")
        pos = torch.arange(past, past + T, dtype=torch.long, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for i, block in enumerate(self.transformer.h):
            x = block(x, kv_cache=kv_cache, layer=i)
        logits = self.lm_head(self.transformer.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss
        # END SOLUTION

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, generator: torch.Generator | None = None,
                 use_cache: bool = False) -> torch.Tensor:
        """idx (B, T) -> (B, T + max_new_tokens); see generation.generate."""
        return _generate(self, idx, max_new_tokens, temperature=temperature, top_k=top_k, top_p=top_p,
                         generator=generator, use_cache=use_cache)

    @classmethod
    def from_hf_state_dict(cls, sd: dict, config: GPTConfig | None = None) -> "GPT":
        """A GPT holding the weights of a Hugging Face GPT2LMHeadModel state dict (see hf.py)."""
        config = config or GPTConfig(**config_kwargs_from_hf(sd))
        model = cls(config)
        model.load_state_dict(convert_hf_state_dict(sd))
        return model
