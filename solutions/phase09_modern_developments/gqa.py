"""Grouped-query attention (Ainslie et al., 2023) and multi-query attention (Shazeer, 2019).

Generation is limited by memory, not arithmetic: every new token reads the whole key-value cache. Multi-query
attention keeps H query heads but ONE key head and ONE value head, shared by all of them: the cache shrinks
H times, at some cost in quality. Grouped-query attention interpolates: H_kv key-value heads, each shared by a
group of H / H_kv consecutive query heads (H_kv = H is multi-head attention, H_kv = 1 is multi-query).

Convention (LLaMA's, and F.scaled_dot_product_attention's enable_gqa): query head h reads key-value head
h // (H / H_kv).
"""
from __future__ import annotations

import torch
from torch.nn import functional as F


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """x (B, H_kv, T, hs) -> (B, H_kv * n_rep, T, hs): each head repeated n_rep times in a row, so that
    output head h is input head h // n_rep."""
    # BEGIN SOLUTION
    if n_rep == 1:
        return x
    B, H_kv, T, hs = x.shape
    return x[:, :, None].expand(B, H_kv, n_rep, T, hs).reshape(B, H_kv * n_rep, T, hs)
    # END SOLUTION


def grouped_query_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
                            is_causal: bool = False) -> torch.Tensor:
    """q (B, H, Tq, hs), k and v (B, H_kv, Tk, hs) with H a multiple of H_kv -> (B, H, Tq, hs).

    softmax(q k^T / sqrt(hs)) v per query head, against its group's key-value head. mask: boolean,
    broadcastable to (B, H, Tq, Tk), True = may attend; is_causal: the lower triangle (Tq == Tk), as in
    F.scaled_dot_product_attention. Raises ValueError when H is not a multiple of H_kv.
    """
    # BEGIN SOLUTION
    H, H_kv = q.size(1), k.size(1)
    if H % H_kv:
        raise ValueError(f"{H} query heads cannot be grouped over {H_kv} key-value heads; H must be a multiple of H_kv")
    k, v = repeat_kv(k, H // H_kv), repeat_kv(v, H // H_kv)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal)
    # END SOLUTION


def kv_cache_bytes(n_layer: int, n_kv_head: int, head_size: int, seq_len: int, batch_size: int = 1,
                   bytes_per_value: int = 2) -> int:
    """Bytes of a KV cache: keys and values, per layer, per key-value head, per position (bf16: 2 bytes)."""
    # BEGIN SOLUTION
    return 2 * n_layer * n_kv_head * head_size * seq_len * batch_size * bytes_per_value
    # END SOLUTION
