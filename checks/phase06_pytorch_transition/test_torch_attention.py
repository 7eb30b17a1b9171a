"""Checks for phase06_pytorch_transition/attention.py: multi-head self- and cross-attention as an nn.Module.

Compared with PyTorch's own nn.MultiheadAttention (same weights), and, with phase 4's weights loaded, with
phase 4's self-attention and phase 5's cross-attention forward and backward: the reference's and the
learner's own. Weights load through the reference's layers.from_numpy, so that this exercise is checked
on its own.
"""
import numpy as np
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
