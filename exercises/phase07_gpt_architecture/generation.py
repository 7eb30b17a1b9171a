"""Turning next-token logits into text: greedy decoding, temperature, top-k and top-p (nucleus) sampling."""
from __future__ import annotations

import torch
from torch.nn import functional as F

from .kv_cache import KVCache


def next_token_probs(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                     top_p: float | None = None) -> torch.Tensor:
    """logits (B, V) -> probabilities (B, V) to sample the next token from (rows sum to 1).

    Order: divide the logits by temperature (> 0); keep only the top_k largest logits (set the rest to
    -inf; ties with the k-th value may stay); softmax; then top_p (Holtzman et al., 2020): keep the smallest
    set of most probable tokens whose probabilities add up to at least top_p (the most probable token always
    stays), zero the rest and renormalise.
    """
    raise NotImplementedError("next_token_probs is not written yet (exercise 'gpt_generation'; hints: make hint ex=gpt_generation)")


def sample_next_token(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                      top_p: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """logits (B, V) -> next tokens (B, 1) int64.

    temperature == 0 means greedy: the argmax. Otherwise draw one token per row from next_token_probs with
    torch.multinomial, using only `generator` for randomness, so that a seeded generator reproduces a run.
    """
    raise NotImplementedError("sample_next_token is not written yet (exercise 'gpt_generation'; hints: make hint ex=gpt_generation)")


@torch.no_grad()
def generate(model, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None, generator: torch.Generator | None = None,
             use_cache: bool = False) -> torch.Tensor:
    """idx (B, T) -> (B, T + max_new_tokens): append one sampled token at a time.

    model(idx) returns (logits, loss); only the last position's logits pick the next token. The model sees
    at most its last model.config.block_size tokens. With use_cache, keep a KVCache: the first call runs
    the whole prompt (model(idx, kv_cache=cache)), every later call only the newest token; when the sequence
    would outgrow block_size, start a fresh cache on the cropped window. The tokens must equal those
    generated without the cache.
    """
    raise NotImplementedError("generate is not written yet (exercise 'gpt_generation'; hints: make hint ex=gpt_generation)")
