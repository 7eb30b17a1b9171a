"""Checks for phase09_modern_developments/gqa.py: grouped-query attention is multi-head attention when every query
head has its own key-value head, query head h reads key-value head h // group size, and the cache it saves."""
import math

import pytest
import torch
from torch.nn import functional as F

from checks.helpers import assert_close, expect

WHY = "query head h reads key-value head h // (H / H_kv): repeat each key-value head H / H_kv times IN A ROW"


def attention_head_by_head(q, k, v, mask):
    """Written out per query head: softmax(q k^T / sqrt(hs)) v against key-value head h // (H // H_kv)."""
    H, H_kv = q.size(1), k.size(1)
    heads = []
    for h in range(H):
        kv = h // (H // H_kv)
        scores = q[:, h] @ k[:, kv].transpose(-2, -1) / math.sqrt(q.size(-1))
        heads.append(scores.masked_fill(~mask, float("-inf")).softmax(-1) @ v[:, kv])
    return torch.stack(heads, dim=1)


def randn(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


def test_repeat_kv_keeps_groups_together(impl):
    x = torch.arange(1.0, 3.0).view(1, 2, 1, 1).expand(1, 2, 3, 2)     # head 0 is all 1s, head 1 all 2s
    got = impl.repeat_kv(x, 3)
    expect(tuple(got.shape) == (1, 6, 3, 2), f"repeat_kv of (1, 2, 3, 2) with n_rep=3 has shape {tuple(got.shape)}; "
           "expected (1, 6, 3, 2)")
    heads = [got[0, h, 0, 0].item() for h in range(6)]
    expect(heads == [1, 1, 1, 2, 2, 2], f"repeat_kv's heads hold key-value heads {[int(h) - 1 for h in heads]}; "
           f"expected [0, 0, 0, 1, 1, 1]", WHY + " (torch.repeat tiles them in the wrong order: 0, 1, 0, 1, ...)")


def test_equals_multi_head_attention_when_every_head_has_its_own(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    q, k, v = randn(gen, 2, 4, 6, 8), randn(gen, 2, 4, 6, 8), randn(gen, 2, 4, 6, 8)
    assert_close(impl.grouped_query_attention(q, k, v, is_causal=True),
                 F.scaled_dot_product_attention(q, k, v, is_causal=True),
                 "grouped_query_attention(q, k, v, is_causal=True) with H = H_kv = 4", rtol=1e-10, atol=1e-12,
                 mistake="with as many key-value heads as query heads this is plain multi-head attention")
    mask = torch.rand(6, 6, generator=gen) < 0.6
    mask[:, 0] = True
    assert_close(impl.grouped_query_attention(q, k, v, mask=mask), F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
                 "grouped_query_attention(q, k, v, mask=mask) with H = H_kv = 4", rtol=1e-10, atol=1e-12,
                 mistake="pass the boolean mask on (True = may attend)")


@pytest.mark.parametrize("n_kv_head", [1, 2, 3])
def test_groups_of_query_heads_share_a_key_value_head(impl, seed, n_kv_head):
    gen = torch.Generator().manual_seed(seed)
    q, k, v = randn(gen, 2, 6, 5, 4), randn(gen, 2, n_kv_head, 7, 4), randn(gen, 2, n_kv_head, 7, 4)
    mask = torch.ones(5, 7, dtype=torch.bool).tril(2)       # the last 5 of 7 positions, causally
    got = impl.grouped_query_attention(q, k, v, mask=mask)
    what = f"grouped_query_attention with 6 query heads and {n_kv_head} key-value head{'s' if n_kv_head > 1 else ''}"
    assert_close(got, attention_head_by_head(q, k, v, mask), what, rtol=1e-10, atol=1e-12, mistake=WHY)
    assert_close(got, F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True),
                 what + " against F.scaled_dot_product_attention(..., enable_gqa=True)", rtol=1e-10, atol=1e-12, mistake=WHY)


def test_heads_that_do_not_group_are_refused(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    q, k = randn(gen, 1, 6, 3, 4), randn(gen, 1, 4, 3, 4)
    with pytest.raises(ValueError):
        impl.grouped_query_attention(q, k, k)


def test_kv_cache_bytes(impl):
    # LLaMA 2 70B (80 layers, 64 query heads of 128, 8 key-value heads), 4096 positions in bf16: 1.25 GiB, and 10 GiB
    # if every query head had its own; Mistral 7B (32 layers, 8 key-value heads of 128): 128 KiB per position.
    cases = [((80, 8, 128, 4096), {}, 1_342_177_280), ((80, 64, 128, 4096), {}, 10_737_418_240),
             ((32, 8, 128, 1), {}, 131_072), ((12, 12, 64, 1024), dict(batch_size=8, bytes_per_value=4), 603_979_776)]
    for args, kwargs, expected in cases:
        got = impl.kv_cache_bytes(*args, **kwargs)
        expect(got == expected, f"kv_cache_bytes{args + tuple(kwargs.values())} is {got:,}; expected {expected:,}",
               "2 (keys and values) x layers x key-value heads x head size x positions x batch x bytes per value")


def test_scores_in_the_thousands(impl, seed):
    """q and k 30 times unit size, 6 query heads over 2 key-value heads, a mask and is_causal, against the head-by-head
    form (PyTorch's softmax subtracts the max)."""
    gen = torch.Generator().manual_seed(seed)
    q, k, v = 30 * randn(gen, 2, 6, 5, 4), 30 * randn(gen, 2, 2, 5, 4), randn(gen, 2, 2, 5, 4)
    causal = torch.ones(5, 5, dtype=torch.bool).tril()
    for kwargs, label in ((dict(mask=causal), "mask=causal"), (dict(is_causal=True), "is_causal=True")):
        assert_close(impl.grouped_query_attention(q, k, v, **kwargs), attention_head_by_head(q, k, v, causal),
                     f"grouped_query_attention(q, k, v, {label}) with scores in the thousands", rtol=1e-9, atol=1e-10,
                     mistake="exp(1000) overflows: use F.scaled_dot_product_attention or softmax(dim=-1), which "
                             "subtract the max")


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bfloat16", "float16"])
def test_half_precision_values(impl, seed, dtype):
    """bf16 and fp16 inputs with a padding-like mask, against float64 on the same rounded inputs, to within 4 units of
    the dtype's precision at the values' scale (eps max|v|)."""
    gen = torch.Generator().manual_seed(seed)
    q, k, v = (randn(gen, *shape).to(dtype) for shape in ((2, 4, 6, 8), (2, 2, 6, 8), (2, 2, 6, 8)))
    mask = torch.ones(6, 6, dtype=torch.bool)
    mask[:, 4:] = False
    got = impl.grouped_query_attention(q, k, v, mask=mask)
    expect(got.dtype == dtype, f"grouped_query_attention of {dtype} inputs returned {got.dtype}; keep q's dtype")
    unit = torch.finfo(dtype).eps * v.double().abs().max().item()
    assert_close(got.double(), attention_head_by_head(q.double(), k.double(), v.double(), mask),
                 f"grouped_query_attention in {dtype} against float64 (tolerance 4 eps max|v| = {4 * unit:.3g})",
                 rtol=0, atol=4 * unit, mistake="mask with -inf (float('-inf')) or pass the boolean mask to "
                 "F.scaled_dot_product_attention: -1e9 does not fit in float16 (largest 65504)")
