"""Checks for phase08_training_gpt/clipping.py: one global norm, one scale for every gradient."""
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
