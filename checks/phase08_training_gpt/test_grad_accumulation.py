"""Checks for phase08_training_gpt/accumulation.py: n micro-batches give the gradient of one big batch."""
from contextlib import contextmanager

import torch

from checks.helpers import assert_close, expect
from checks.phase08_training_gpt._standins import tiny_lm, token_batch


def big_batch_grads(model, x, y):
    model.zero_grad(set_to_none=True)
    _, loss = model(x, y)
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in model.parameters()]


def test_equals_one_big_batch(impl, seed, rng):
    model = tiny_lm(seed)
    x, y = token_batch(rng, 8, 5)
    expected_loss, expected = big_batch_grads(model, x, y)
    model.zero_grad(set_to_none=True)
    micro = [(x[i:i + 2], y[i:i + 2]) for i in range(0, 8, 2)]
    loss = impl.accumulate_gradients(model, micro)
    for (name, p), g in zip(model.named_parameters(), expected):
        assert_close(p.grad, g, f"{name}.grad after accumulate_gradients over 4 micro-batches of 2, against one batch of 8",
                     rtol=1e-9, atol=1e-12, mistake="divide each micro-batch's loss by the number of micro-batches "
                     "before .backward(), and do not zero the gradients between micro-batches")
    expect(isinstance(loss, torch.Tensor), f"accumulate_gradients returned {type(loss).__name__}, expected a 0-d tensor")
    expect(not loss.requires_grad, "the returned loss must be detached (loss.detach()): it is for logging")
    assert_close(loss, expected_loss, "the returned loss against the big batch's mean loss", rtol=1e-9,
                 mistake="return the MEAN of the micro-batch losses")


def test_adds_to_existing_gradients_and_uses_autocast(impl, seed, rng):
    model = tiny_lm(seed)
    x, y = token_batch(rng, 6, 4)
    _, expected = big_batch_grads(model, x, y)
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    entered = []

    @contextmanager
    def counting():
        entered.append(1)
        yield

    impl.accumulate_gradients(model, [(x[:3], y[:3]), (x[3:], y[3:])], autocast=counting)
    for (name, p), g in zip(model.named_parameters(), expected):
        assert_close(p.grad, g + 1, f"{name}.grad when it held ones before accumulate_gradients", rtol=1e-9, atol=1e-12,
                     mistake=".backward() adds into .grad: never zero it inside accumulate_gradients (the trainer does)")
    expect(len(entered) == 2, f"autocast() was entered {len(entered)} times for 2 micro-batches, expected once per forward pass")
