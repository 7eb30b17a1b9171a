"""Checks for phase08_training_gpt/evaluate.py: the mean loss over the same validation batches every time."""
import numpy as np
import torch

from checks.helpers import assert_close, expect
from checks.phase08_training_gpt._standins import tiny_lm


def sampler_for(ref_tree, shards, seed):
    return ref_tree.load("phase08_training_gpt.sampler").BatchSampler(shards, 4, 6, seed=seed)


def by_hand(model, sampler, n):
    model.eval()
    with torch.no_grad():
        losses = [model(*sampler.batch_at(i))[1].item() for i in range(n)]
    model.train()
    return float(np.mean(losses))


def test_mean_loss_over_fixed_batches(impl, ref_tree, seed, rng):
    model = tiny_lm(seed, dropout=0.5)     # dropout on: only eval mode makes the loss deterministic
    shards = [rng.integers(0, 11, size=n).astype(np.uint16) for n in (60, 45)]
    sampler = sampler_for(ref_tree, shards, seed)
    expected = by_hand(model, sampler, 5)
    model.train()
    got = impl.evaluate(model, sampler, 5)
    expect(isinstance(got, float), f"evaluate returned {type(got).__name__}, expected a Python float (use .item())")
    assert_close(got, expected, "evaluate(model, sampler, 5) against the mean loss of batch_at(0..4) in eval mode",
                 rtol=1e-5, mistake="model.eval() (no dropout), batches sampler.batch_at(i) for i in range(n), their mean")
    expect(sampler.position == 0, f"evaluate moved the sampler to position {sampler.position}: use batch_at(i), not "
           f"next_batch(), so that every evaluation sees the same batches")
    again = impl.evaluate(model, sampler, 5)
    assert_close(again, got, "a second evaluate(model, sampler, 5) of the same model", rtol=1e-12,
                 mistake="the validation batches must be the same every time")


class GradModeSpy(torch.nn.Module):
    """The model, noting whether autograd was recording during each forward pass."""

    def __init__(self, model):
        super().__init__()
        self.model, self.grad_enabled = model, []

    def forward(self, idx, targets=None):
        self.grad_enabled.append(torch.is_grad_enabled())
        return self.model(idx, targets)


def test_restores_mode_and_builds_no_graph(impl, ref_tree, seed, rng):
    model = tiny_lm(seed, dropout=0.1)
    shards = [rng.integers(0, 11, size=50).astype(np.uint16)]
    sampler = sampler_for(ref_tree, shards, seed)
    model.train()
    impl.evaluate(model, sampler, 2)
    expect(model.training, "the model was in training mode before evaluate and is not after it",
           mistake="remember model.training and call model.train(was_training) at the end")
    expect(all(p.grad is None for p in model.parameters()), "evaluate left gradients on the parameters: run the "
           "forward passes under torch.no_grad() and never call backward")
    model.eval()
    impl.evaluate(model, sampler, 2)
    expect(not model.training, "a model in eval mode came back in training mode from evaluate")
    spy = GradModeSpy(model)
    expect(all(p.requires_grad for p in spy.parameters()), "precondition of this check: the parameters require grad, "
           "so a forward pass with autograd on would build a graph")
    impl.evaluate(spy, sampler, 2)
    expect(len(spy.grad_enabled) == 2 and not any(spy.grad_enabled), f"autograd was recording during "
           f"{sum(spy.grad_enabled)} of the {len(spy.grad_enabled)} forward passes of evaluate(model, sampler, 2)",
           mistake="run the forward passes under torch.no_grad() (the given @torch.no_grad() decorator does): "
                   "a graph per batch costs memory and time for nothing")
