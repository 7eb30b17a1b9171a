"""Checks for phase09_modern_developments/swiglu.py: SwiGLU's forward by its formula, LLaMA's hidden widths."""
import torch

from checks.helpers import assert_close, expect


def test_llama_hidden_widths(impl):
    # LLaMA 7B, 13B and 65B (Touvron et al., 2023, with multiple_of 256), and the capstone's width 128 (multiple_of 32)
    for n_embd, multiple_of, expected in ((4096, 256, 11008), (5120, 256, 13824), (8192, 256, 22016), (128, 32, 352),
                                          (768, 256, 2048)):
        got = impl.swiglu_hidden_size(n_embd, multiple_of)
        expect(got == expected, f"swiglu_hidden_size({n_embd}, {multiple_of}) is {got}; expected {expected}",
               "int(2 * 4 * n_embd / 3), then round UP to a multiple of multiple_of")


def random_swiglu_and_formula(impl, seed, x_scale):
    """SwiGLU(8, 12) with N(0, 1) weights in float64, an input x_scale times unit size, and the formula's output."""
    gen = torch.Generator().manual_seed(seed)
    mlp = impl.SwiGLU(8, 12).double()
    with torch.no_grad():
        for p in mlp.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    x = x_scale * torch.randn(2, 5, 8, generator=gen, dtype=torch.float64)
    gate = x @ mlp.w_gate.weight.T
    return mlp, x, (gate * torch.sigmoid(gate) * (x @ mlp.w_up.weight.T)) @ mlp.w_down.weight.T


def test_forward_is_the_gated_formula(impl, seed):
    mlp, x, expected = random_swiglu_and_formula(impl, seed, 1.0)
    assert_close(mlp(x), expected, "SwiGLU(8, 12)(x) for x of shape (2, 5, 8)", rtol=1e-10, atol=1e-12,
                 mistake="w_down(silu(w_gate(x)) * w_up(x)): SiLU (z sigmoid z, not GELU) on the GATE projection, "
                         "times the up projection")


def test_large_gates(impl, seed):
    """Inputs in the hundreds, so gate pre-activations reach the thousands: silu(z) is z there, and 0 for -z."""
    mlp, x, expected = random_swiglu_and_formula(impl, seed, 400.0)
    assert_close(mlp(x), expected, "SwiGLU(8, 12)(x) with gate pre-activations in the thousands", rtol=1e-10, atol=1e-8,
                 mistake="F.silu (or z * torch.sigmoid(z)) is finite for any z; z e^z / (1 + e^z) is inf / inf")
