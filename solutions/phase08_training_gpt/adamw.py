"""AdamW (Loshchilov & Hutter, 2019): Adam's update plus weight decay applied to the weights directly.

Adam (Kingma & Ba, 2015) keeps, per parameter, running means of the gradient (m) and of its square (v):
    m = beta1 m + (1 - beta1) g          v = beta2 v + (1 - beta2) g^2
    m_hat = m / (1 - beta1^t)            v_hat = v / (1 - beta2^t)        (t = 1, 2, ...: bias correction)
    p = p - lr m_hat / (sqrt(v_hat) + eps)
AdamW first shrinks the weight, p = p - lr wd p, instead of adding wd p to g (L2): with L2 the decay
would be divided by sqrt(v_hat) like the gradient, so weights with large gradients would barely decay.

The update is written in multi-tensor form: each line is one torch._foreach_* call over all the tensors of a
group (GPT-2 Small has 148), not a Python loop of one small op per tensor. On a GPU every op is a kernel
launch, so a loop costs about ten launches per tensor and a step; the foreach form costs about ten per group.
The step count t stays a Python int on the host: the bias corrections 1 - beta^t are then plain floats that
cost no op at all (a tensor t costs an op to advance and one to read back, per tensor and step, and a wait for
the device when it lives there).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two groups for the optimiser: [{"params": decayed, "weight_decay": weight_decay},
    {"params": the rest, "weight_decay": 0.0}].

    Only the weight matrices of nn.Linear layers decay. Biases, LayerNorm weights and embeddings do not: they
    set offsets, scales and lookup rows, which decay would pull towards zero for no gain. Each parameter
    appears exactly once (a head tied to the token embedding is one tensor, and it is an embedding).
    """
    # BEGIN SOLUTION
    embedding = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    linear = {id(m.weight) for m in model.modules() if isinstance(m, nn.Linear)}
    decay, no_decay = [], []
    for p in model.parameters():    # parameters() yields a shared tensor once
        if not p.requires_grad:
            continue
        (decay if id(p) in linear and id(p) not in embedding else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    # END SOLUTION


def adamw_update(params: list[torch.Tensor], grads: list[torch.Tensor], exp_avgs: list[torch.Tensor],
                 exp_avg_sqs: list[torch.Tensor], steps: list[int], *, lr: float, beta1: float, beta2: float,
                 eps: float, weight_decay: float) -> None:
    """One AdamW step, in place, of every tensor in `params` (the i-th of each list belong together; each
    exp_avg (m) and exp_avg_sq (v) is shaped like its parameter; steps[i] is t for params[i], already counting
    this step). Each operation is one torch._foreach_* call over the whole list.

    The bias corrections are folded into two per-tensor floats, as torch.optim.AdamW does:
        lr m_hat / (sqrt(v_hat) + eps) = (lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    """
    # BEGIN SOLUTION
    if weight_decay != 0:
        torch._foreach_mul_(params, 1 - lr * weight_decay)               # p = p - lr wd p (decoupled decay)
    torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)                      # m = beta1 m + (1 - beta1) g
    torch._foreach_mul_(exp_avg_sqs, beta2)                               # v = beta2 v + (1 - beta2) g^2
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, value=1 - beta2)
    denom = torch._foreach_sqrt(exp_avg_sqs)                              # sqrt(v_hat) + eps, without v_hat
    torch._foreach_div_(denom, [math.sqrt(1 - beta2 ** t) for t in steps])
    torch._foreach_add_(denom, eps)
    torch._foreach_addcdiv_(params, exp_avgs, denom, [-lr / (1 - beta1 ** t) for t in steps])
    # END SOLUTION


class AdamW(torch.optim.Optimizer):
    """AdamW with torch.optim.AdamW's defaults and state layout: per parameter {"step", "exp_avg", "exp_avg_sq"},
    "step" a Python int (torch keeps a tensor; a checkpoint of either loads into the other).

    torch.optim.Optimizer supplies param_groups, state, zero_grad(), state_dict() and load_state_dict().
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def tensors_to_step(self, group: dict) -> tuple[list, list, list, list, list[int]]:
        """(params, grads, exp_avgs, exp_avg_sqs, steps) of the group's parameters that have a gradient; the
        rest are left out entirely (no decay either). A parameter's state is created at its first step: "step"
        0, "exp_avg" and "exp_avg_sq" zeros like the parameter. Each step count is advanced by one here, on the
        host (int() also turns a tensor step from torch's checkpoints into an int, once)."""
        # BEGIN SOLUTION
        params = [p for p in group["params"] if p.grad is not None]
        for p in params:
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["step"] = int(state["step"]) + 1
        states = [self.state[p] for p in params]
        return (params, [p.grad for p in params], [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                [s["step"] for s in states])
        # END SOLUTION

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter with a gradient, group by group (each group has its own lr and
        weight_decay)."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, exp_avgs, exp_avg_sqs, steps = self.tensors_to_step(group)
            if params:
                beta1, beta2 = group["betas"]
                adamw_update(params, grads, exp_avgs, exp_avg_sqs, steps, lr=group["lr"], beta1=beta1, beta2=beta2,
                             eps=group["eps"], weight_decay=group["weight_decay"])
        return loss
