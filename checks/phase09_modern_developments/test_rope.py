"""Checks for phase09_modern_developments/rope.py: apply_rope equals the complex-number form, pairs ADJACENT
channels, and makes a rotated query-key dot product depend only on the offset between their positions."""
import math

import torch

from checks.helpers import assert_close, expect

WHY = ("rotate each adjacent pair (x[2i], x[2i+1]) by p * base^(-2i/d): out[2i] = x[2i] cos - x[2i+1] sin, "
       "out[2i+1] = x[2i] sin + x[2i+1] cos")


def rope_by_complex_numbers(x, positions, base):
    """Meta's LLaMA formulation: each adjacent pair as one complex number, times e^(j p theta_i)."""
    d = x.size(-1)
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    rotation = torch.polar(torch.ones(len(positions), d // 2, dtype=torch.float64), positions.double()[:, None] * theta)
    pairs = torch.view_as_complex(x.reshape(*x.shape[:-1], d // 2, 2).contiguous())
    return torch.view_as_real(pairs * rotation).flatten(-2)


def test_equals_the_complex_number_formulation(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 3, 7, 16, generator=gen, dtype=torch.float64)
    positions = torch.arange(7) + 5
    assert_close(impl.apply_rope(x, positions), rope_by_complex_numbers(x, positions, 10000),
                 "apply_rope(x, positions 5..11) for x of shape (2, 3, 7, 16)", rtol=1e-10, atol=1e-12, mistake=WHY)
    scattered = torch.tensor([0, 3, 1, 100, 7, 2, 50])
    assert_close(impl.apply_rope(x, scattered, base=500), rope_by_complex_numbers(x, scattered, 500),
                 "apply_rope(x, positions [0, 3, 1, 100, 7, 2, 50], base=500)", rtol=1e-10, atol=1e-12,
                 mistake="use the given positions (not 0..T-1) and the given base")


def test_pairs_are_adjacent_channels(impl):
    """Only pair 1 (channels 2 and 3) is non-zero: the rotation must keep it in channels 2 and 3."""
    d, p = 8, 3
    x = torch.zeros(1, d, dtype=torch.float64)
    x[0, 2], x[0, 3] = 1.0, 2.0
    angle = p * 10000 ** (-2 / d)
    expected = torch.zeros(1, d, dtype=torch.float64)
    expected[0, 2] = math.cos(angle) - 2 * math.sin(angle)
    expected[0, 3] = math.sin(angle) + 2 * math.cos(angle)
    assert_close(impl.apply_rope(x, torch.tensor([p])), expected,
                 f"apply_rope of [0, 0, 1, 2, 0, 0, 0, 0] at position {p} (d = 8)", rtol=1e-12, atol=1e-12,
                 mistake="the convention here pairs adjacent channels (2i, 2i+1), not channel i with i + d/2; "
                         "pair i turns by p * base^(-2i/d)")


def test_dot_product_depends_only_on_the_offset(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    q, k = torch.randn(1, 32, generator=gen, dtype=torch.float64), torch.randn(1, 32, generator=gen, dtype=torch.float64)

    def score(m, n):
        return (impl.apply_rope(q, torch.tensor([m])) * impl.apply_rope(k, torch.tensor([n]))).sum().item()

    for m, n in ((5, 2), (2, 5), (9, 9)):
        for shift in (1, 17, 300):
            got, expected = score(m + shift, n + shift), score(m, n)
            expect(abs(got - expected) <= 1e-9 * (1 + abs(expected)),
                   f"rotated q.k at positions ({m + shift}, {n + shift}) is {got:.10f}, but at ({m}, {n}) it is "
                   f"{expected:.10f}: with RoPE the score may depend only on the offset m - n", WHY)
    expect(abs(score(5, 2) - score(6, 2)) > 1e-6, "rotated q.k is the same at offsets 3 and 4: are the queries and "
           "keys rotated at all?")


def test_rotation_keeps_lengths_and_position_zero(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(3, 6, 10, generator=gen, dtype=torch.float64)
    out = impl.apply_rope(x, torch.arange(6))
    assert_close(out.norm(dim=-1), x.norm(dim=-1), "lengths of apply_rope(x) rows", rtol=1e-10,
                 mistake="a rotation keeps every pair's length: cos and sin of the same angle")
    assert_close(out[:, 0], x[:, 0], "apply_rope at position 0", rtol=0, atol=1e-12, mistake="position 0 is angle 0")


def test_dtype_and_broadcast_positions(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 4, 5, 8, generator=gen)
    got = impl.apply_rope(x, torch.arange(5))
    expect(got.dtype == torch.float32 and got.shape == x.shape, f"apply_rope of a float32 (2, 4, 5, 8) tensor returned "
           f"{got.dtype} {tuple(got.shape)}; expected float32 with x's shape")
    per_row = torch.tensor([[0, 1, 2, 3, 4], [10, 11, 12, 13, 14]])[:, None, :]    # (B, 1, T): a position per row
    batched = impl.apply_rope(x.double(), per_row)
    for b in range(2):
        assert_close(batched[b], rope_by_complex_numbers(x[b].double(), per_row[b, 0], 10000),
                     f"apply_rope with positions of shape (2, 1, 5), batch row {b}", rtol=1e-10, atol=1e-12,
                     mistake="positions broadcast against x.shape[:-1]: angles = positions[..., None] * theta")


def test_half_precision_at_large_positions(impl, seed):
    """bf16 and fp16 queries at positions in the thousands, against the complex-number form in float64 on the same
    inputs, to within 4 units of the dtype's precision: the angles need float32 (bf16 spaces integers 32 apart there)."""
    gen = torch.Generator().manual_seed(seed)
    positions = torch.randint(1000, 8000, (6,), generator=gen)
    for dtype in (torch.bfloat16, torch.float16):
        x = torch.randn(2, 3, 6, 16, generator=gen).to(dtype)
        got = impl.apply_rope(x, positions)
        expect(got.dtype == dtype, f"apply_rope of a {dtype} tensor returned {got.dtype}; keep x's dtype")
        expected = rope_by_complex_numbers(x.double(), positions, 10000)
        unit = torch.finfo(dtype).eps * x.double().abs().max().item()
        assert_close(got.double(), expected, f"apply_rope(x in {dtype}, positions in the thousands) against float64 "
                     f"(tolerance 4 eps max|x| = {4 * unit:.3g})", rtol=0, atol=4 * unit,
                     mistake="compute the angles p * theta in float32 for half-precision x (float64 for float64), then "
                             "cast the result back to x's dtype")
