"""Checks for phase06_pytorch_transition/attention.py: multi-head self- and cross-attention as an nn.Module.

Compared with PyTorch's own nn.MultiheadAttention (same weights), and, with phase 4's weights loaded, with
phase 4's self-attention and phase 5's cross-attention forward and backward: the reference's and the
learner's own. Weights load through the reference's layers.from_numpy, so that this exercise is checked
on its own.
"""
import numpy as np
import pytest
import torch

from checks.helpers import assert_close, expect
from checks.phase06_pytorch_transition.common import (ATOL, RTOL, compare_grads, compare_output, input_grad, load,
                                                      numpy64, randomize, tensor)

NAMES = ("W_q", "b_q", "W_k", "b_k", "W_v", "b_v", "W_o", "b_o")


def attention_params(rng, C):
    return randomize({name: np.zeros((C, C) if name.startswith("W") else C) for name in NAMES}, rng)


def loaded(impl, ref_tree, params, C, n_head):
    converter = ref_tree.load("phase06_pytorch_transition.layers")
    return load(converter, impl.MultiHeadAttention(C, n_head), params, f"MultiHeadAttention({C}, {n_head})"), converter


def test_registers_four_projections(impl):
    shapes = {name: tuple(p.shape) for name, p in impl.MultiHeadAttention(8, 2).named_parameters()}
    expected = {f"proj_{s}.{kind}": (8, 8) if kind == "weight" else (8,) for s in "qkvo" for kind in ("weight", "bias")}
    expect(shapes == expected, f"MultiHeadAttention(8, 2) has parameters {shapes}; expected {expected}",
           mistake="proj_q, proj_k, proj_v, proj_o = nn.Linear(C, C), each assigned as an attribute")


def test_split_heads_takes_channel_groups(impl, rng):
    x = tensor(rng.normal(size=(2, 5, 12)), requires_grad=False)
    heads = impl.MultiHeadAttention(12, 3).split_heads(x)
    expect(tuple(heads.shape) == (2, 3, 5, 4), f"split_heads(x (2, 5, 12)) with 3 heads has shape {tuple(heads.shape)}, "
           "expected (2, 3, 5, 4)")
    for h in range(3):
        assert_close(numpy64(heads[:, h]), numpy64(x[:, :, 4 * h:4 * h + 4]), f"split_heads(x)[:, {h}] against x[:, :, "
                     f"{4 * h}:{4 * h + 4}]", rtol=0, atol=0,
                     mistake="view as (B, T, n_head, hs), THEN transpose(1, 2); a straight view to (B, n_head, T, hs) "
                             "mixes positions")


def test_matches_torch_multihead_attention(impl, ref_tree, rng):
    C, n_head, T = 8, 2, 5
    params = attention_params(rng, C)
    mha, _ = loaded(impl, ref_tree, params, C, n_head)
    torch_mha = torch.nn.MultiheadAttention(C, n_head, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        torch_mha.in_proj_weight.copy_(torch.from_numpy(np.concatenate([params[f"W_{s}"].T for s in "qkv"])))
        torch_mha.in_proj_bias.copy_(torch.from_numpy(np.concatenate([params[f"b_{s}"] for s in "qkv"])))
        torch_mha.out_proj.weight.copy_(torch.from_numpy(params["W_o"].T))
        torch_mha.out_proj.bias.copy_(torch.from_numpy(params["b_o"]))
    x = tensor(rng.normal(size=(2, T, C)), requires_grad=False)
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    expected, _ = torch_mha(x, x, x, attn_mask=~causal, need_weights=False)  # PyTorch's mask: True = may NOT attend
    compare_output(mha(x, mask=causal), numpy64(expected),
                   "MultiHeadAttention(8, 2)(x, mask=causal) against torch.nn.MultiheadAttention with the same weights",
                   mistake="scale by 1/sqrt(hs) (the head size), mask with -inf before the softmax")


def test_self_attention_equals_numpy(impl, ref_tree, numpy_tree, rng):
    tree, whose = numpy_tree
    phase4 = tree.load("phase04_attention.multihead")
    C, n_head, T = 8, 2, 4
    params = attention_params(rng, C)
    x_np, upstream = rng.normal(size=(2, T, C)), rng.normal(size=(2, T, C))
    causal = np.tril(np.ones((T, T), dtype=bool))
    expected, cache = phase4.multi_head_attention_forward(x_np, params, n_head, causal)
    dx, grads = phase4.multi_head_attention_backward(upstream, cache)

    mha, converter = loaded(impl, ref_tree, params, C, n_head)
    x = tensor(x_np)
    out = mha(x, mask=torch.from_numpy(causal))
    compare_output(out, expected, f"MultiHeadAttention(8, 2)(x, mask=causal) against {whose} phase 4 "
                   "multi_head_attention_forward", mistake="merge the heads back: transpose(1, 2), then reshape to (B, T, C)")
    out.backward(torch.from_numpy(upstream))
    assert_close(input_grad(x, "MultiHeadAttention"), dx, f"dx against {whose} phase 4 multi_head_attention_backward",
                 rtol=RTOL, atol=ATOL)
    compare_grads(converter.grads_to_numpy(mha, NAMES), grads, f"against {whose} phase 4 multi_head_attention_backward")


def test_cross_attention_equals_numpy(impl, ref_tree, numpy_tree, rng):
    tree, whose = numpy_tree
    phase5 = tree.load("phase05_transformer.blocks")
    C, n_head, Tq, Tk = 8, 4, 3, 5
    params = attention_params(rng, C)
    x_np, memory_np, upstream = rng.normal(size=(2, Tq, C)), rng.normal(size=(2, Tk, C)), rng.normal(size=(2, Tq, C))
    keep = np.ones((2, 1, 1, Tk), dtype=bool)
    keep[1, ..., 3:] = False  # the second source is padded after 3 tokens
    expected, cache = phase5.cross_attention_forward(x_np, memory_np, params, n_head, keep)
    dx, dmemory, grads = phase5.cross_attention_backward(upstream, cache)

    mha, converter = loaded(impl, ref_tree, params, C, n_head)
    x, memory = tensor(x_np), tensor(memory_np)
    out = mha(x, memory, torch.from_numpy(keep))
    compare_output(out, expected, f"MultiHeadAttention(8, 4)(x (2, 3, 8), memory (2, 5, 8), padding mask) against "
                   f"{whose} phase 5 cross_attention_forward",
                   mistake="queries from x, keys and values from memory; the padding mask hides keys")
    out.backward(torch.from_numpy(upstream))
    assert_close(input_grad(x, "cross-attention"), dx, f"dx against {whose} phase 5 cross_attention_backward",
                 rtol=RTOL, atol=ATOL)
    assert_close(input_grad(memory, "cross-attention (memory)"), dmemory,
                 f"dmemory against {whose} phase 5 cross_attention_backward", rtol=RTOL, atol=ATOL,
                 mistake="keys and values both come from memory")
    compare_grads(converter.grads_to_numpy(mha, NAMES), grads, f"against {whose} phase 5 cross_attention_backward")


def test_without_a_mask_and_with_one_head_one_query(impl, ref_tree, rng):
    """mask=None attends to every key (nothing is causal unless asked); one head; a single query of a batch of one."""
    phase4 = ref_tree.load("phase04_attention.multihead")
    phase5 = ref_tree.load("phase05_transformer.blocks")
    for C, n_head, B, T in ((8, 2, 2, 5), (6, 1, 1, 4)):
        params = attention_params(rng, C)
        mha, _ = loaded(impl, ref_tree, params, C, n_head)
        x = rng.normal(size=(B, T, C))
        with torch.no_grad():
            got = mha(tensor(x, requires_grad=False))
        compare_output(got, phase4.multi_head_attention_forward(x, params, n_head, None)[0],
                       f"MultiHeadAttention({C}, {n_head})(x ({B}, {T}, {C})) without a mask against phase 4",
                       mistake="mask=None means no mask at all: every query sees every key (only a mask makes it causal)")
    query, memory = rng.normal(size=(1, 1, 6)), rng.normal(size=(1, 3, 6))
    with torch.no_grad():
        got = mha(tensor(query, requires_grad=False), tensor(memory, requires_grad=False))
    compare_output(got, phase5.cross_attention_forward(query, memory, params, 1)[0],
                   "MultiHeadAttention(6, 1)(x (1, 1, 6), memory (1, 3, 6)) against phase 5's cross_attention_forward",
                   mistake="one query reads all of memory: Tq = 1 and n_head = 1 are no special cases")


def test_scores_in_the_thousands(impl, ref_tree, rng):
    """Inputs 30 times unit size, so scores reach the thousands: forward and backward against phase 4 in float64."""
    phase4 = ref_tree.load("phase04_attention.multihead")
    C, n_head, T = 8, 2, 5
    params = attention_params(rng, C)
    mha, converter = loaded(impl, ref_tree, params, C, n_head)
    x_np, upstream = 30 * rng.normal(size=(2, T, C)), rng.normal(size=(2, T, C))
    for mask in (None, np.tril(np.ones((T, T), dtype=bool))):
        label = "causal mask" if mask is not None else "no mask"
        expected, cache = phase4.multi_head_attention_forward(x_np, params, n_head, mask)
        dx, grads = phase4.multi_head_attention_backward(upstream, cache)
        mha.zero_grad()
        x = tensor(x_np)
        out = mha(x, mask=None if mask is None else torch.from_numpy(mask))
        compare_output(out, expected, f"MultiHeadAttention(8, 2)(x, {label}) with scores in the thousands",
                       mistake="exp(1000) overflows: softmax with scores.softmax(dim=-1) (it subtracts the max)")
        out.backward(torch.from_numpy(upstream))
        assert_close(input_grad(x, "MultiHeadAttention"), dx, f"dx with scores in the thousands ({label})",
                     rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bfloat16", "float16"])
def test_half_precision_values(impl, ref_tree, rng, dtype):
    """The module and its inputs in bf16 or fp16, causal and padding masks, against float64 on the same rounded
    weights and inputs, to within 8 units of the dtype's precision at the output's scale (eps max|out|; the
    reference is off by at most 1.5 units over 200 draws)."""
    phase4 = ref_tree.load("phase04_attention.multihead")
    C, n_head, T = 8, 2, 6
    params = attention_params(rng, C)
    mha, _ = loaded(impl, ref_tree, params, C, n_head)
    mha = mha.to(dtype)
    rounded = {name: torch.from_numpy(value).to(dtype).double().numpy() for name, value in params.items()}
    x = torch.from_numpy(rng.normal(size=(2, T, C))).to(dtype)
    causal = np.tril(np.ones((T, T), dtype=bool))
    keep = np.ones((2, 1, 1, T), dtype=bool)
    keep[1, ..., 4:] = False
    for mask, label in ((causal, "causal mask"), (keep, "padding mask")):
        with torch.no_grad():
            got = mha(x, mask=torch.from_numpy(mask))
        expect(got.dtype == dtype, f"MultiHeadAttention in {dtype} returned {got.dtype}; keep the input's dtype")
        expected = phase4.multi_head_attention_forward(x.double().numpy(), rounded, n_head, mask)[0]
        unit = torch.finfo(dtype).eps * np.abs(expected).max()
        assert_close(got.double().numpy(), expected, f"MultiHeadAttention(8, 2) in {dtype} ({label}) against float64 on "
                     f"the same rounded weights and inputs (tolerance 8 eps max|out| = {8 * unit:.3g})", rtol=0,
                     atol=8 * unit, mistake="mask with float('-inf'): -1e9 does not fit in float16 (largest 65504)")


def test_causal_mask_hides_the_future(impl, ref_tree, rng):
    C, T = 8, 6
    mha, _ = loaded(impl, ref_tree, attention_params(rng, C), C, 2)
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    x = tensor(rng.normal(size=(1, T, C)), requires_grad=False)
    x2 = x.clone()
    x2[:, 3:] = tensor(rng.normal(size=(1, T - 3, C)), requires_grad=False)
    with torch.no_grad():
        a, b = mha(x, mask=causal), mha(x2, mask=causal)
    assert_close(numpy64(b[:, :3]), numpy64(a[:, :3]), "outputs 0..2 after changing inputs 3..5 under a causal mask",
                 rtol=0, atol=1e-13, mistake="masked_fill(~mask, -inf) on the scores before the softmax")
