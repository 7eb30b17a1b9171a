"""Checks for phase08_training_gpt/adamw.py: AdamW equal to torch.optim.AdamW (foreach), in as few dispatched
operators as torch's foreach form, and the parameter groups."""
import copy

import torch
import torch.nn as nn

from checks.helpers import assert_close, expect
from checks.phase08_training_gpt._standins import tiny_lm, token_batch
from grading.op_count import AtenOps


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
    torch_opt = torch.optim.AdamW(groups_by_hand(theirs, weight_decay), lr=lr, betas=betas, eps=eps, foreach=True)
    run(theirs, torch_opt, seed, steps, frozen)
    return mine, theirs, torch_opt


WHY = ("AdamW: p -= lr*wd*p (decoupled: not added to the gradient); m and v as running means; bias-correct "
       "both with 1 - beta^t (t counts from 1); p -= lr * m_hat / (sqrt(v_hat) + eps); use each group's lr and wd")


def gpt2_small_layout(seed: int, width: int = 8) -> list[tuple[str, nn.Parameter]]:
    """GPT-2 Small's 148 parameter tensors in its layout (token and position tables, 12 blocks of 12 tensors, the
    final LayerNorm; the head is tied to the token table), every size shrunk to `width`: an optimiser's operator
    count depends on how many tensors it steps, not on their sizes."""
    g = torch.Generator().manual_seed(seed)
    shapes = [("wte.weight", (20, width)), ("wpe.weight", (8, width))]
    for i in range(12):
        shapes += [(f"h.{i}.{name}", shape) for name, shape in (
            ("ln_1.weight", (width,)), ("ln_1.bias", (width,)),
            ("attn.c_attn.weight", (3 * width, width)), ("attn.c_attn.bias", (3 * width,)),
            ("attn.c_proj.weight", (width, width)), ("attn.c_proj.bias", (width,)),
            ("ln_2.weight", (width,)), ("ln_2.bias", (width,)),
            ("mlp.c_fc.weight", (4 * width, width)), ("mlp.c_fc.bias", (4 * width,)),
            ("mlp.c_proj.weight", (width, 4 * width)), ("mlp.c_proj.bias", (width,)))]
    shapes += [("ln_f.weight", (width,)), ("ln_f.bias", (width,))]
    return [(name, nn.Parameter(torch.randn(shape, generator=g))) for name, shape in shapes]


def gpt2_small_groups(named, weight_decay=0.1):
    """The 48 block matrices decay at the base rate; the rest, without decay, at half of it (written out)."""
    decay = [p for name, p in named if name.startswith("h.") and name.endswith(".weight") and p.dim() == 2]
    rest = [p for name, p in named if not (name.startswith("h.") and name.endswith(".weight") and p.dim() == 2)]
    assert len(named) == 148 and len(decay) == 48
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0, "lr_scale": 0.5}]


def step_with_random_grads(named, optimizer, seed: int, step: int, lr: float, no_grad=()):
    """Seeded random gradients (the same for every optimiser), this step's lr in every group (times the group's
    lr_scale, as a schedule would set it), then optimizer.step(). Parameters named in no_grad get .grad = None."""
    g = torch.Generator().manual_seed(seed * 1000 + step)
    for name, p in named:
        p.grad = None if name in no_grad else torch.randn(p.shape, generator=g)
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_scale", 1.0)
    optimizer.step()


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


def test_equals_torch_foreach_in_float32_with_a_schedule_and_missing_grads(impl, seed):
    """GPT-2 Small's 148 tensors in float32, two groups (the second at half the rate, without decay), the rate
    changed before every step, ln_f without a gradient at every other step (its step count falls behind the
    others') and wpe without one at all."""
    mine, theirs = gpt2_small_layout(seed), gpt2_small_layout(seed)
    optimizers = (impl.AdamW(gpt2_small_groups(mine), lr=1e-3, betas=(0.9, 0.95), eps=1e-8),
                  torch.optim.AdamW(gpt2_small_groups(theirs), lr=1e-3, betas=(0.9, 0.95), eps=1e-8, foreach=True))
    for step in range(8):
        no_grad = {"wpe.weight"} | ({"ln_f.weight", "ln_f.bias"} if step % 2 else set())
        for named, optimizer in zip((mine, theirs), optimizers):
            step_with_random_grads(named, optimizer, seed, step, lr=3e-2 * (1 + step) / 8, no_grad=no_grad)
    for (name, p), (_, q) in zip(mine, theirs):
        assert_close(p, q, f"{name} after 8 float32 steps of AdamW(betas=(0.9, 0.95), weight_decay=0.1 on the block "
                     f"matrices), lr set before each step, against torch.optim.AdamW(foreach=True)",
                     mistake=WHY + "; read the lr from the group at every step; a parameter whose .grad is None this "
                     "step is skipped and its own step count t does not advance")
    lagging = float(optimizers[0].state[mine[-1][1]].get("step", -1))
    expect(lagging == 4, f"state['step'] of ln_f.bias, which had a gradient at 4 of 8 steps, is {lagging}, expected "
           f"4: each parameter counts its own steps")


def test_dispatches_no_more_operators_than_torch_foreach(impl, seed):
    """One step of GPT-2 Small's 148 tensors (in two groups) counted after the state exists: the multi-tensor form
    costs about ten operators per group; a Python loop over the tensors costs about ten per tensor."""
    counts = {}
    for label, make in (("yours", impl.AdamW), ("torch.optim.AdamW(foreach=True)",
                                               lambda groups, **kw: torch.optim.AdamW(groups, foreach=True, **kw))):
        named = gpt2_small_layout(seed)
        optimizer = make(gpt2_small_groups(named), lr=1e-3)
        step_with_random_grads(named, optimizer, seed, 0, lr=1e-3)     # the first step also creates the state
        for _, p in named:
            p.grad = torch.ones_like(p)
        with AtenOps() as ops:
            optimizer.step()
        counts[label] = ops
    mine, theirs = counts["yours"], counts["torch.optim.AdamW(foreach=True)"]
    expect(mine.total <= theirs.total,
           f"one AdamW step of 148 tensors dispatched {mine.total} aten operators ({mine.total / theirs.total:.1f}x "
           f"torch.optim.AdamW(foreach=True)'s {theirs.total}, counted in this check); yours most often: "
           f"{', '.join(f'{name} x{n}' for name, n in mine.by_name.most_common(3))}",
           mistake="one torch._foreach_* call per operation over the group's list of tensors, not a loop of per-tensor "
           "ops; keep t a Python int (a tensor step costs an op to advance and one to read, per tensor)")


def test_state_layout(impl, seed):
    model = tiny_lm(seed)
    optimizer = impl.AdamW(groups_by_hand(model, 0.1), lr=1e-3)
    run(model, optimizer, seed, 3)
    state = optimizer.state[model.fc.weight]
    expect({"step", "exp_avg", "exp_avg_sq"} <= set(state), f"optimizer.state[p] has keys {sorted(state)}, expected "
           f"'step', 'exp_avg' and 'exp_avg_sq' (torch's names: checkpoints and resumes rely on them)")
    expect(type(state["step"]) is int, f"state['step'] is a {type(state['step']).__name__}, expected a Python int: "
           f"the step count lives on the host, so that 1 - beta^t is a float that costs no op (a tensor step costs "
           f"an op to advance and an .item() to read, per parameter and step, and a wait when it is on a GPU)")
    expect(state["step"] == 3, f"state['step'] is {state['step']} after 3 steps, expected 3")
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
