"""Checks for phase07_gpt_architecture/attention.py: causal attention by hand and fused, and causality.

The expected values come from PyTorch's own F.scaled_dot_product_attention and from the definition
softmax(q k^T / sqrt(hs) + M) v written out position by position, both independent of the reference.
"""
import math

import pytest
import torch
from torch.nn import functional as F

from checks.helpers import assert_close, expect
from checks.phase07_gpt_architecture.common import accelerators, one_thread  # noqa: F401 - one_thread: autouse

FUNCTIONS = ["causal_attention_by_hand", "causal_attention_sdpa"]


def qkv(seed, B=2, H=3, T=7, hs=8, dtype=torch.float64, device="cpu"):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(B, H, T, hs, generator=gen, dtype=torch.float64).to(dtype=dtype, device=device)
            for _ in range(3)]


def loop_attention(q, k, v):
    """Position by position: output t mixes v_0..v_t with weights softmax over s <= t of q_t . k_s / sqrt(hs)."""
    out = torch.empty_like(v)
    for t in range(q.size(-2)):
        scores = (q[..., t:t + 1, :] @ k[..., :t + 1, :].transpose(-2, -1)) / math.sqrt(q.size(-1))
        out[..., t:t + 1, :] = torch.softmax(scores, dim=-1) @ v[..., :t + 1, :]
    return out


@pytest.mark.parametrize("name", FUNCTIONS)
def test_matches_the_definition(impl, seed, name):
    q, k, v = qkv(seed)
    got = getattr(impl, name)(q, k, v)
    assert_close(got, loop_attention(q, k, v), f"{name}(q, k, v) for q, k, v of shape {tuple(q.shape)} (float64)",
                 rtol=1e-9, atol=1e-10, mistake="scale by 1/sqrt(hs), mask above the diagonal with -inf before the "
                 "softmax, softmax over the last axis (the keys)")


def test_by_hand_agrees_with_torch_sdpa(impl, seed):
    q, k, v = qkv(seed + 1, B=1, H=4, T=12, hs=16, dtype=torch.float32)
    assert_close(impl.causal_attention_by_hand(q, k, v), F.scaled_dot_product_attention(q, k, v, is_causal=True),
                 "causal_attention_by_hand(q, k, v) against F.scaled_dot_product_attention(q, k, v, is_causal=True) "
                 "in float32", rtol=1e-5, atol=1e-5)
    expect(impl.causal_attention_by_hand(q, k, v).dtype == torch.float32, "the result must keep q's dtype")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_large_scores(impl, seed, name):
    """q and k 40 times unit scale: scores in the thousands, where exp overflows even in float64."""
    q, k, v = qkv(seed)
    q, k = 40 * q, 40 * k
    assert_close(getattr(impl, name)(q, k, v), loop_attention(q, k, v), f"{name}(q, k, v) with scores in the thousands "
                 "(float64)", rtol=1e-9, atol=1e-10, mistake="torch.softmax subtracts the row max for you; "
                 "exp(scores) / exp(scores).sum() overflows to inf / inf = NaN")


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bfloat16", "float16"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_low_precision_values(impl, seed, name, dtype):
    """bf16 and fp16 inputs against the float64 attention of the same (rounded) inputs, to within one unit of the
    dtype's precision at the values' scale (eps * max |v|): computed in float32 (as the reference and PyTorch's fused
    kernels do) the error is about a third of that; with the scores and softmax in bf16 or fp16, several units."""
    q, k, v = (3 * x for x in qkv(seed, B=2, H=4, T=64, hs=32))
    low = [x.to(dtype) for x in (q, k, v)]
    expected = F.scaled_dot_product_attention(*(x.double() for x in low), is_causal=True)
    got = getattr(impl, name)(*low)
    expect(got.dtype == dtype, f"{name} returned {got.dtype} for {dtype} inputs; keep q's dtype")
    unit = torch.finfo(dtype).eps * low[2].double().abs().max().item()
    assert_close(got.double(), expected, f"{name}(q, k, v) in {dtype} against float64 on the same inputs "
                 f"(tolerance eps * max|v| = {unit:.3g})", rtol=0, atol=unit,
                 mistake="compute the scores, softmax and weighted sum in float32 (q.to(torch.float32), ...), then "
                         "cast the result back to q's dtype")


def _assert_causal(fn, name, seed, dtype, device):
    T = 10
    q, k, v = qkv(seed, T=T, dtype=dtype, device=device)
    s = 1 + seed % (T - 3)
    q2, k2, v2 = (x.clone() for x in (q, k, v))
    for x in (q2, k2, v2):  # big changes to every position after s
        x[..., s + 1:, :] = 10 * torch.randn_like(x[..., s + 1:, :])
    a, b = fn(q, k, v), fn(q2, k2, v2)
    expect(a.dtype == dtype, f"{name} returned {a.dtype} for {dtype} inputs; keep q's dtype")
    atol = 1e-5 if dtype == torch.float32 else 2e-2
    assert_close(b[..., :s + 1, :], a[..., :s + 1, :], f"{name}(q, k, v)[..., :{s + 1}, :] after changing q, k, v at "
                 f"positions {s + 1}..{T - 1} ({dtype}, {device})", rtol=0, atol=atol,
                 mistake="output t must not depend on positions after t: mask every score above the diagonal")
    expect(not torch.equal(a[..., s + 1:, :], b[..., s + 1:, :]), f"{name}: outputs after position {s} did not change "
           "when their own inputs did")


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["float32", "bfloat16"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_causal_on_cpu(impl, seed, name, dtype):
    _assert_causal(getattr(impl, name), name, seed, dtype, "cpu")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_causal_on_accelerator(impl, seed, name):
    """cuda or mps when present: a known MPS bug once let half-precision causal attention see the future."""
    _assert_causal(getattr(impl, name), name, seed, torch.float32, "cpu")  # runs the learner's code everywhere
    devices = accelerators()
    if not devices:
        pytest.skip("no cuda or mps device here")
    for device in devices:
        for dtype in (torch.float32, torch.float16) + ((torch.bfloat16,) if device == "cuda" else ()):
            _assert_causal(getattr(impl, name), name, seed, dtype, device)


def compare_inputs(rng):
    seed = int(rng.integers(2**31))
    return [(f"{name}(q, k, v) with q, k, v (2, 3, 7, 8)", name, tuple(qkv(seed)), {}) for name in FUNCTIONS]
