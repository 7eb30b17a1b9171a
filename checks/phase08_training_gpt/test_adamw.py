"""Checks for phase08_training_gpt/adamw.py: AdamW equal to torch.optim.AdamW, and the parameter groups."""
import copy

import torch
import torch.nn as nn

from checks.helpers import assert_close, expect
from checks.phase08_training_gpt._standins import tiny_lm, token_batch


def groups_by_hand(model, weight_decay, lr_scale=1.0):
    """Linear weights decay; the tied embedding, biases and the LayerNorm do not (written out, not computed)."""
    decay = [model.fc.weight, model.proj.weight]
    rest = [model.wte.weight, model.fc.bias, model.proj.bias, model.ln.weight, model.ln.bias]
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": rest, "weight_decay": 0.0, "lr": 3e-3 * lr_scale}]


def run(model, optimizer, rng_seed, steps, frozen=None):
    """`steps` optimiser steps on fresh random batches (the same for every optimiser given the same seed)."""
    import numpy as np
    rng = np.random.default_rng(rng_seed)
    for _ in range(steps):
        x, y = token_batch(rng, 4, 5)
        optimizer.zero_grad(set_to_none=True)
        _, loss = model(x, y)
        loss.backward()
        if frozen is not None:
            model.get_parameter(frozen).grad = None     # a parameter without a gradient this step must not move
        optimizer.step()


def compare_with_torch(impl, seed, *, lr, betas, eps, weight_decay, steps=100, frozen=None):
    mine = tiny_lm(seed)
    theirs = copy.deepcopy(mine)
    run(mine, impl.AdamW(groups_by_hand(mine, weight_decay), lr=lr, betas=betas, eps=eps), seed, steps, frozen)
    torch_opt = torch.optim.AdamW(groups_by_hand(theirs, weight_decay), lr=lr, betas=betas, eps=eps)
    run(theirs, torch_opt, seed, steps, frozen)
    return mine, theirs, torch_opt


WHY = ("AdamW: p -= lr*wd*p (decoupled: not added to the gradient); m and v as running means; bias-correct "
       "both with 1 - beta^t (t counts from 1); p -= lr * m_hat / (sqrt(v_hat) + eps); use each group's lr and wd")


def test_equals_torch_adamw_over_100_steps(impl, seed):
    mine, theirs, torch_opt = compare_with_torch(impl, seed, lr=1e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    for (name, p), q in zip(mine.named_parameters(), theirs.parameters()):
        assert_close(p, q, f"{name} after 100 steps of AdamW(lr=1e-2, betas=(0.9, 0.95), weight_decay=0.1) "
                     f"against torch.optim.AdamW", rtol=1e-7, atol=1e-9, mistake=WHY)


def test_equals_torch_with_large_eps_and_decay(impl, seed):
    """eps = 1e-3 shows where eps sits; weight decay 0.5 shows how decay is applied; a frozen parameter (proj.weight,
    whose .grad is None at every step, in the decayed group) is skipped, decay included."""
    before = tiny_lm(seed).proj.weight.detach().clone()
    mine, theirs, torch_opt = compare_with_torch(impl, seed, lr=3e-2, betas=(0.8, 0.99), eps=1e-3,
                                                 weight_decay=0.5, steps=30, frozen="proj.weight")
    expect(torch.equal(theirs.proj.weight, before) and theirs.proj.weight.grad is None
           and not torch.equal(theirs.proj.bias, tiny_lm(seed).proj.bias),
           "precondition of this check: proj.weight is frozen (no gradient, so torch.optim.AdamW left it as it was) "
           "while proj.bias trained")
    for (name, p), q in zip(mine.named_parameters(), theirs.parameters()):
        assert_close(p, q, f"{name} after 30 steps of AdamW(lr=3e-2, betas=(0.8, 0.99), eps=1e-3, weight_decay=0.5)",
                     rtol=1e-7, atol=1e-9, mistake=WHY + "; eps is added after the square root; "
                     "a parameter whose .grad is None is skipped entirely (no decay either)")


def test_state_layout(impl, seed):
    model = tiny_lm(seed)
    optimizer = impl.AdamW(groups_by_hand(model, 0.1), lr=1e-3)
    run(model, optimizer, seed, 3)
    state = optimizer.state[model.fc.weight]
    expect({"step", "exp_avg", "exp_avg_sq"} <= set(state), f"optimizer.state[p] has keys {sorted(state)}, expected "
           f"'step', 'exp_avg' and 'exp_avg_sq' (torch's names: checkpoints and resumes rely on them)")
    expect(float(state["step"]) == 3.0, f"state['step'] is {state['step']} after 3 steps, expected 3")
    expect(tuple(state["exp_avg"].shape) == tuple(model.fc.weight.shape), "exp_avg must have the parameter's shape")


def test_parameter_groups_of_a_small_model(impl, seed):
    model = tiny_lm(seed)
    groups = impl.parameter_groups(model, 0.25)
    expect(isinstance(groups, list) and len(groups) == 2, f"parameter_groups returned {type(groups).__name__} "
           f"of length {len(groups) if hasattr(groups, '__len__') else '?'}, expected a list of 2 groups")
    decay, rest = groups
    expect(decay.get("weight_decay") == 0.25 and rest.get("weight_decay") == 0.0,
           f"group weight decays are {decay.get('weight_decay')} and {rest.get('weight_decay')}, expected 0.25 and 0.0")
    names = {id(p): n for n, p in model.named_parameters()}
    got_decay = sorted(names[id(p)] for p in decay["params"])
    expect(got_decay == ["fc.weight", "proj.weight"], f"decayed parameters: {got_decay}, expected only the Linear "
           f"weights ['fc.weight', 'proj.weight']",
           mistake="no weight decay on biases, LayerNorm parameters or embeddings (a head tied to the embedding is the embedding)")
    everything = [id(p) for g in groups for p in g["params"]]
    expect(len(everything) == len(set(everything)) == len(names),
           f"the groups hold {len(everything)} entries ({len(set(everything))} distinct) for {len(names)} parameters: "
           f"each parameter must appear exactly once (the tied head and embedding are one tensor)")


def test_parameter_groups_of_gpt(impl, ref_tree, seed):
    model_module = ref_tree.load("phase07_gpt_architecture.model")
    torch.manual_seed(seed)
    gpt = model_module.GPT(model_module.GPTConfig(block_size=8, vocab_size=20, n_layer=2, n_head=2, n_embd=8))
    decay, rest = impl.parameter_groups(gpt, 0.1)
    names = {id(p): n for n, p in gpt.named_parameters()}
    expected = sorted(n for n, p in gpt.named_parameters() if n.endswith(".weight") and p.dim() == 2
                      and "wte" not in n and "wpe" not in n)
    got = sorted(names[id(p)] for p in decay["params"])
    expect(got == expected, f"decayed GPT parameters: {got}, expected the 4 Linear weights of each block: {expected}",
           mistake="decay nn.Linear weights only; wte (tied to lm_head) and wpe are embeddings")
    expect(len(decay["params"]) + len(rest["params"]) == len(names), "every GPT parameter must be in exactly one group")
