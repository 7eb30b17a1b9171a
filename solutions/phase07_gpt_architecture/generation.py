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
    # BEGIN SOLUTION
    logits = logits / temperature
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = F.softmax(logits, dim=-1)
    if top_p is not None:
        sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
        before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs  # mass of the tokens ranked above
        sorted_probs = sorted_probs.masked_fill(before >= top_p, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs)
        probs = probs / probs.sum(dim=-1, keepdim=True)
    return probs
    # END SOLUTION


def sample_next_token(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                      top_p: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """logits (B, V) -> next tokens (B, 1) int64.

    temperature == 0 means greedy: the argmax. Otherwise draw one token per row from next_token_probs with
    torch.multinomial, using only `generator` for randomness, so that a seeded generator reproduces a run.
    """
    # BEGIN SOLUTION
    if temperature == 0:
        return torch.argmax(logits, dim=-1, keepdim=True)
    probs = next_token_probs(logits, temperature, top_k, top_p)
    return torch.multinomial(probs, num_samples=1, generator=generator)
    # END SOLUTION


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
    # BEGIN SOLUTION
    block_size = model.config.block_size
    cache, fed = None, None
    for _ in range(max_new_tokens):
        if not use_cache:
            logits, _ = model(idx[:, -block_size:])
        elif cache is None or cache.length + 1 > block_size:
            cache = KVCache(model.config.n_layer)
            logits, _ = model(idx[:, -block_size:], kv_cache=cache)
        else:
            logits, _ = model(fed, kv_cache=cache)
        fed = sample_next_token(logits[:, -1, :], temperature, top_k, top_p, generator)
        idx = torch.cat([idx, fed], dim=1)
    return idx
    # END SOLUTION
