"""Checks for phase06_pytorch_transition/attention_function.py: attention as a torch.autograd.Function.

The expected values come from attention written with PyTorch's own operations (which autograd
differentiates by itself), from torch.autograd.gradcheck (central differences in float64), and from the
learner's own phase 4 NumPy functions, loaded from the same tree.
"""
import math

import pytest
import torch

from checks.helpers import assert_close, expect, fail
from checks.phase06_pytorch_transition.common import numpy64

# (batch dims, Tq, Tk, d, dv, causal): self-attention with and without the mask, and cross-attention shapes.
CASES = [((2,), 4, 4, 3, 3, False), ((2, 2), 5, 5, 4, 2, True), ((1, 3), 3, 6, 4, 5, False)]
IDS = ["self", "causal multi-head", "cross"]


def tensors(seed, batch, Tq, Tk, d, dv, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    shapes = [(*batch, Tq, d), (*batch, Tk, d), (*batch, Tk, dv)]
    return [torch.randn(s, generator=gen, dtype=torch.float64).to(dtype).requires_grad_() for s in shapes]


def causal(T):
    return torch.ones(T, T, dtype=torch.bool).tril()


def torch_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(dim=-1) @ v


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_matches_torch_operations(impl, seed, case):
    *shape, is_causal = case
    q, k, v = tensors(seed, *shape)
    mask = causal(shape[1]) if is_causal else None
    out = impl.attention(q, k, v, mask)
    expect(isinstance(out, torch.Tensor) and out.dtype == torch.float64,
           f"attention(q, k, v) returned {type(out).__name__} {getattr(out, 'dtype', '')}; expected a float64 tensor",
           mistake="return torch.from_numpy(out).to(dtype=q.dtype, device=q.device)")
    assert_close(numpy64(out), numpy64(torch_attention(q, k, v, mask)),
                 f"attention(q, k, v{', causal mask' if is_causal else ''}) for q {tuple(q.shape)}, k {tuple(k.shape)}",
                 rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradients_match_torch_autograd(impl, seed, case):
    *shape, is_causal = case
    q, k, v = tensors(seed, *shape)
    mask = causal(shape[1]) if is_causal else None
    upstream = torch.randn(q.shape[:-1] + v.shape[-1:], generator=torch.Generator().manual_seed(seed + 1), dtype=torch.float64)
    out = impl.attention(q, k, v, mask)
    expect(out.grad_fn is not None and isinstance(out.grad_fn, impl.Attention._backward_cls),
           f"attention(q, k, v).grad_fn is {type(out.grad_fn).__name__}; expected Attention's own backward node",
           mistake="compute forward in NumPy inside Attention.forward and return a new tensor; autograd then calls "
                   "Attention.backward for it")
    got = torch.autograd.grad(out, (q, k, v), upstream)
    expected = torch.autograd.grad(torch_attention(q, k, v, mask), (q, k, v), upstream)
    for name, g, e in zip("qkv", got, expected):
        assert_close(numpy64(g), numpy64(e), f"d{name} from Attention.backward{' (causal mask)' if is_causal else ''}, "
                     "against PyTorch's own autograd", rtol=1e-10, atol=1e-12,
                     mistake="return (dq, dk, dv, None) in the order of forward's inputs, each shaped like its input")


@pytest.mark.parametrize("is_causal", [False, True], ids=["no mask", "causal mask"])
def test_passes_gradcheck(impl, seed, is_causal):
    q, k, v = tensors(seed, (2,), 3, 3, 2, 2)
    mask = causal(3) if is_causal else None
    try:
        ok = torch.autograd.gradcheck(lambda q_, k_, v_: impl.attention(q_, k_, v_, mask), (q, k, v), eps=1e-6, atol=1e-7)
    except torch.autograd.gradcheck.GradcheckError as err:
        fail(f"torch.autograd.gradcheck(attention, (q, k, v){', causal mask' if is_causal else ''}) failed: "
             f"{str(err).splitlines()[0]}", mistake="backward must return dL/dq, dL/dk, dL/dv for THIS dout; reuse "
             "phase 4's scaled_dot_product_attention_backward with the weights saved in forward")
    expect(ok, "torch.autograd.gradcheck(attention, (q, k, v)) returned False")


@pytest.mark.parametrize("is_causal", [False, True], ids=["no mask", "causal mask"])
def test_scores_in_the_thousands(impl, seed, is_causal):
    """q and k 30 times unit size (scores in the thousands): forward and backward against PyTorch's own operations."""
    q, k, v = tensors(seed, (2,), 5, 5, 4, 3)
    with torch.no_grad():
        q.mul_(30)
        k.mul_(30)
    mask = causal(5) if is_causal else None
    label = "causal mask, " if is_causal else ""
    out = impl.attention(q, k, v, mask)
    assert_close(numpy64(out), numpy64(torch_attention(q, k, v, mask)), f"attention(q, k, v) ({label}scores in the "
                 "thousands)", rtol=1e-10, atol=1e-12)
    upstream = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed + 3), dtype=torch.float64)
    got = torch.autograd.grad(out, (q, k, v), upstream)
    expected = torch.autograd.grad(torch_attention(q, k, v, mask), (q, k, v), upstream)
    for name, g, e in zip("qkv", got, expected):
        assert_close(numpy64(g), numpy64(e), f"d{name} from Attention.backward ({label}scores in the thousands)",
                     rtol=1e-8, atol=1e-10, mistake="use the weights the forward saved (ctx.weights): recomputing "
                     "exp(scores) in backward overflows")


def test_equals_your_phase4(impl, impl_tree, seed):
    phase4 = impl_tree.load("phase04_attention.attention")
    q, k, v = tensors(seed, (2,), 4, 4, 3, 3)
    mask = causal(4)
    out = impl.attention(q, k, v, mask)
    expected, weights = phase4.scaled_dot_product_attention(numpy64(q), numpy64(k), numpy64(v), mask.numpy())
    assert_close(numpy64(out), expected, "attention(q, k, v, causal) against your phase 4 scaled_dot_product_attention",
                 rtol=1e-12, atol=1e-13)
    upstream = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed + 2), dtype=torch.float64)
    got = torch.autograd.grad(out, (q, k, v), upstream)
    grads = phase4.scaled_dot_product_attention_backward(upstream.numpy(), numpy64(q), numpy64(k), numpy64(v), weights)
    for name, g, e in zip("qkv", got, grads):
        assert_close(numpy64(g), e, f"d{name} against your phase 4 scaled_dot_product_attention_backward",
                     rtol=1e-12, atol=1e-13)


def test_keeps_dtype_and_works_after_sum(impl, seed):
    q, k, v = tensors(seed, (2,), 3, 4, 2, 3, dtype=torch.float32)
    out = impl.attention(q, k, v)
    expect(out.dtype == torch.float32, f"attention of float32 inputs returned {out.dtype}; keep q's dtype")
    out.sum().backward()  # dout is a broadcast tensor of ones here
    for name, t in zip("qkv", (q, k, v)):
        expect(t.grad is not None and t.grad.shape == t.shape and t.grad.dtype == torch.float32,
               f"{name}.grad after attention(q, k, v).sum().backward() is "
               f"{None if t.grad is None else (tuple(t.grad.shape), t.grad.dtype)}; expected {tuple(t.shape)} float32")
    assert_close(q.grad, torch.autograd.grad(torch_attention(q, k, v).sum(), q)[0], "q.grad in float32", rtol=1e-4, atol=1e-6)


def compare_inputs(rng):
    q, k, v = (torch.tensor(rng.normal(size=shape)) for shape in ((2, 4, 3), (2, 5, 3), (2, 5, 2)))
    return [("attention(q (2, 4, 3), k (2, 5, 3), v (2, 5, 2))", "attention", (q, k, v), {}),
            ("attention(q, k, v, causal mask) for q, k, v (2, 4, 3)", "attention", (q, q.clone(), q.clone(), causal(4)), {})]
