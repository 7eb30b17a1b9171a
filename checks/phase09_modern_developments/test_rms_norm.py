"""Checks for phase09_modern_developments/norm.py: rms_norm equals torch's, is scale invariant, does not centre."""
import torch
from torch.nn import functional as F

from checks.helpers import assert_close, expect

WHY = "x / sqrt(mean(x^2 over the last axis) + eps) * weight: no mean subtracted, eps inside the square root"


def test_equals_torch_rms_norm(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    x = 3 * torch.randn(2, 5, 16, generator=gen, dtype=torch.float64) + 1.5     # a mean far from zero
    weight = 1 + 0.3 * torch.randn(16, generator=gen, dtype=torch.float64)
    for eps in (1e-6, 0.5):
        assert_close(impl.rms_norm(x, weight, eps=eps), F.rms_norm(x, (16,), weight, eps=eps),
                     f"rms_norm(x, weight, eps={eps}) for x of shape (2, 5, 16) against F.rms_norm", rtol=1e-10,
                     atol=1e-12, mistake=WHY if eps < 1e-3 else "eps goes inside the square root, added to mean(x^2)")
    assert_close(impl.rms_norm(x, weight), F.rms_norm(x, (16,), weight, eps=1e-6),
                 "rms_norm(x, weight) with the default eps (1e-6)", rtol=1e-10, atol=1e-12, mistake="the default eps is 1e-6")


def test_scale_invariant_with_unit_rms(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(4, 32, generator=gen, dtype=torch.float64)
    ones = torch.ones(32, dtype=torch.float64)
    y = impl.rms_norm(x, ones, eps=1e-12)
    assert_close(y.pow(2).mean(-1), torch.ones(4, dtype=torch.float64), "mean(rms_norm(x, ones)^2) over each row",
                 rtol=1e-9, mistake="divide by the root of the mean of squares, not by the standard deviation")
    assert_close(impl.rms_norm(7.25 * x, ones, eps=1e-12), y, "rms_norm(7.25 x) against rms_norm(x)", rtol=1e-9,
                 mistake="the normalisation must cancel any scale of x")


def test_half_precision_is_normalised_in_float32(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    x = (40 * torch.randn(3, 64, generator=gen)).bfloat16()
    weight = (1 + 0.2 * torch.randn(64, generator=gen)).bfloat16()
    got = impl.rms_norm(x, weight)
    expect(got.dtype == torch.bfloat16, f"rms_norm of a bfloat16 tensor returned {got.dtype}; expected bfloat16")
    h = x.float()
    expected = (h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + 1e-6)).bfloat16() * weight
    assert_close(got.float(), expected.float(), "rms_norm(x, weight) for bfloat16 x", rtol=1e-2, atol=1e-2,
                 mistake="normalise in float32 (x.float()), cast back to x's dtype, then multiply by the weight")


def test_float16_in_the_hundreds(impl, seed):
    """float16 entries in the hundreds: their squares pass float16's largest value (65504), so the mean of squares must
    be taken in float32. Against float64 on the same inputs, to within 4 units of float16's precision."""
    gen = torch.Generator().manual_seed(seed)
    x = (300 * torch.randn(3, 64, generator=gen)).half()
    weight = (1 + 0.2 * torch.randn(64, generator=gen)).half()
    got = impl.rms_norm(x, weight)
    expect(got.dtype == torch.float16, f"rms_norm of a float16 tensor returned {got.dtype}; expected float16")
    expected = F.rms_norm(x.double(), (64,), weight.double(), eps=1e-6)
    unit = torch.finfo(torch.float16).eps * expected.abs().max().item()
    assert_close(got.double(), expected, f"rms_norm(x, weight) for float16 x with entries in the hundreds against float64 "
                 f"(tolerance 4 eps max|out| = {4 * unit:.3g})", rtol=0, atol=4 * unit,
                 mistake="normalise float16 in float32 too: 300^2 = 90000 is inf in float16")


def test_rmsnorm_module(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    norm = impl.RMSNorm(8, eps=1e-5)
    with torch.no_grad():
        norm.weight.copy_(torch.randn(8, generator=gen))
    x = torch.randn(2, 3, 8, generator=gen)
    assert_close(norm(x), F.rms_norm(x, (8,), norm.weight, eps=1e-5), "RMSNorm(8, eps=1e-5)(x)", rtol=1e-5, atol=1e-6,
                 mistake=WHY)
