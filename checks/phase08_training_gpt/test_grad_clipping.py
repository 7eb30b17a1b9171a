"""Checks for phase08_training_gpt/clipping.py: one global norm, one scale for every gradient."""
import pytest
import torch

from checks.helpers import assert_close, expect


def params_with_grads(rng, scale):
    shapes = [(7, 3), (3,), (4, 4, 2), (1,)]
    params = []
    for shape in shapes:
        p = torch.nn.Parameter(torch.zeros(shape, dtype=torch.float64))
        p.grad = torch.from_numpy(rng.normal(0.0, scale, size=shape))
        params.append(p)
    params.append(torch.nn.Parameter(torch.zeros(2, dtype=torch.float64)))   # no gradient: skipped
    return params


def test_matches_torch_when_clipping(impl, rng):
    mine = params_with_grads(rng, 3.0)
    theirs = [torch.nn.Parameter(p.detach().clone()) for p in mine]
    for p, q in zip(mine, theirs):
        q.grad = None if p.grad is None else p.grad.clone()
    before = [None if p.grad is None else p.grad.clone() for p in mine]
    norm = impl.clip_grad_norm(mine, 1.0)
    expected_norm = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert_close(norm, expected_norm, "clip_grad_norm(params, 1.0): the returned total norm", rtol=1e-10,
                 mistake="return the global norm sqrt(sum of every squared gradient entry), measured BEFORE clipping")
    for i, (p, q) in enumerate(zip(mine, theirs)):
        if q.grad is None:
            expect(p.grad is None, "a parameter without .grad must keep .grad None")
            continue
        assert_close(p.grad, q.grad, f"params[{i}].grad after clip_grad_norm(params, 1.0)", rtol=1e-9,
                     mistake="scale EVERY gradient by the same max_norm / (total_norm + 1e-6)")
    total = torch.sqrt(sum((p.grad ** 2).sum() for p in mine if p.grad is not None))
    assert_close(total, 1.0, "the global norm of the gradients after clipping to 1.0", rtol=1e-5)
    # Direction kept: every gradient scaled by the same factor.
    ratios = [float((p.grad.flatten()[0] / b.flatten()[0])) for p, b in zip(mine, before) if b is not None]
    assert_close(ratios, [ratios[0]] * len(ratios), "the factor each gradient was scaled by", rtol=1e-9,
                 mistake="clip by the GLOBAL norm over all parameters together, not each tensor by its own norm")


def test_small_gradients_untouched(impl, rng):
    params = params_with_grads(rng, 0.01)
    before = [p.grad.clone() for p in params if p.grad is not None]
    norm = impl.clip_grad_norm(params, 5.0)
    expected = torch.sqrt(sum((g ** 2).sum() for g in before))
    assert_close(norm, expected, "clip_grad_norm(params, 5.0) for gradients of norm below 5", rtol=1e-10)
    for i, (p, b) in enumerate(zip([p for p in params if p.grad is not None], before)):
        assert_close(p.grad, b, f"params[{i}].grad after clipping gradients already under max_norm", rtol=1e-6,
                     mistake="the scale is min(1, max_norm / total_norm): gradients below max_norm are left alone")


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
def test_half_precision_gradients(impl, rng, dtype):
    """Gradients stored in float16 (largest value 65504) or bfloat16, entries in the hundreds: squared, they overflow
    float16. The norm and the clipped gradients must match float64 to a few units of the dtype's precision."""
    params = []
    for shape in [(40, 30), (30,), (7,)]:
        p = torch.nn.Parameter(torch.zeros(shape, dtype=dtype))
        p.grad = torch.from_numpy(rng.normal(0.0, 300.0, size=shape)).to(dtype)
        params.append(p)
    exact = [p.grad.double() for p in params]
    total = torch.sqrt(sum((g ** 2).sum() for g in exact))
    expect(any(((p.grad.float() ** 2) > torch.finfo(torch.float16).max).any() for p in params),
           "precondition of this check: some squared gradient entry is beyond float16's range")
    tolerance = 4 * torch.finfo(dtype).eps
    norm = impl.clip_grad_norm(params, 1.0)
    assert_close(torch.as_tensor(norm).double(), total, f"clip_grad_norm(params with {dtype} gradients, 1.0)",
                 rtol=tolerance, mistake="square and sum in float32 (torch.linalg.vector_norm does for half-precision "
                 "tensors): g ** 2 overflows float16 to inf")
    for i, (p, g) in enumerate(zip(params, exact)):
        assert_close(p.grad.double(), g / total, f"params[{i}].grad ({dtype}) after clipping to 1.0", rtol=tolerance,
                     atol=tolerance * float((g / total).abs().max()))
