"""Checks for phase08_training_gpt/precision.py: bf16 autocast on cuda and mps, fp32 on cpu."""
import torch

from checks.helpers import assert_close, expect


def test_training_dtype_per_device(impl):
    cases = [
        ("cuda", True, torch.bfloat16, "a CUDA GPU with bf16 trains under bf16 autocast"),
        ("cuda", False, torch.float32, "without bf16 support (pre-Ampere GPUs) stay in float32"),
        ("mps", True, torch.bfloat16, "an Apple GPU is not a CPU: MPS with bf16 autocast trains in bf16"),
        ("mps", False, torch.float32, "an older torch or macOS without bf16 on MPS stays in float32"),
        ("cpu", True, torch.float32, "on the CPU train in float32"),
        ("cpu", False, torch.float32, "on the CPU train in float32"),
    ]
    for device, supported, expected, why in cases:
        got = impl.training_dtype(device, supported)
        expect(got == expected, f"training_dtype({device!r}, bf16_supported={supported}) = {got}, expected {expected}",
               mistake=why)


def test_autocast_context_runs_matmuls_in_bf16(impl):
    """The CPU can autocast to bf16 too: enough to see that the context really switches matmuls to bf16."""
    a = torch.randn(4, 8)
    w = torch.nn.Parameter(torch.randn(8, 3))
    for _ in range(2):       # a fresh context each call
        with impl.autocast_context("cpu", torch.bfloat16):
            out = a @ w
        expect(out.dtype == torch.bfloat16, f"a matmul inside autocast_context('cpu', torch.bfloat16) gave {out.dtype}, "
               f"expected torch.bfloat16", mistake="return torch.autocast(device_type=device_type, dtype=dtype)")
    out.float().sum().backward()
    expect(w.dtype == torch.float32 and w.grad.dtype == torch.float32,
           "weights and their gradients must stay float32 under autocast (only the matmul runs in bf16)")


def test_float32_context_changes_nothing(impl):
    a, b = torch.randn(3, 5), torch.randn(5, 2)
    with impl.autocast_context("cpu", torch.float32):
        out = a @ b
    expect(out.dtype == torch.float32, f"a matmul inside autocast_context('cpu', torch.float32) gave {out.dtype}")
    expect(torch.equal(out, a @ b), "autocast_context('cpu', torch.float32) must leave float32 arithmetic unchanged")


def test_float16_is_lower_precision_too(impl):
    """Not only bf16: any dtype below float32 (float16 on older GPUs) gets autocast; the CPU runs float16 autocast."""
    a, w = torch.randn(4, 8), torch.randn(8, 3)
    with impl.autocast_context("cpu", torch.float16):
        out = a @ w
    expect(out.dtype == torch.float16, f"a matmul inside autocast_context('cpu', torch.float16) gave {out.dtype}, "
           "expected torch.float16", mistake="autocast whenever dtype is not float32, not only for bfloat16")
    assert_close(out.float(), a @ w, "the float16 matmul against float32", rtol=4e-3, atol=4e-3 * float((a @ w).abs().max()))
