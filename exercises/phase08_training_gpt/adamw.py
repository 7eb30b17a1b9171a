"""AdamW (Loshchilov & Hutter, 2019): Adam's update plus weight decay applied to the weights directly.

Adam (Kingma & Ba, 2015) keeps, per parameter, running means of the gradient (m) and of its square (v):
    m = beta1 m + (1 - beta1) g          v = beta2 v + (1 - beta2) g^2
    m_hat = m / (1 - beta1^t)            v_hat = v / (1 - beta2^t)        (t = 1, 2, ...: bias correction)
    p = p - lr m_hat / (sqrt(v_hat) + eps)
AdamW first shrinks the weight, p = p - lr wd p, instead of adding wd p to g (L2): with L2 the decay
would be divided by sqrt(v_hat) like the gradient, so weights with large gradients would barely decay.
"""
from __future__ import annotations

import torch
import torch.nn as nn


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two groups for the optimiser: [{"params": decayed, "weight_decay": weight_decay},
    {"params": the rest, "weight_decay": 0.0}].

    Only the weight matrices of nn.Linear layers decay. Biases, LayerNorm weights and embeddings do not: they
    set offsets, scales and lookup rows, which decay would pull towards zero for no gain. Each parameter
    appears exactly once (a head tied to the token embedding is one tensor, and it is an embedding).
    """
    raise NotImplementedError("parameter_groups is not written yet (exercise 'adamw'; hints: make hint ex=adamw)")


class AdamW(torch.optim.Optimizer):
    """AdamW with torch.optim.AdamW's defaults and state layout: per parameter {"step", "exp_avg", "exp_avg_sq"}.

    torch.optim.Optimizer supplies param_groups, state, zero_grad(), state_dict() and load_state_dict().
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        """One update of every parameter with a gradient, group by group (each group has its own lr and
        weight_decay). State per parameter, created at its first step: "step" (a float tensor holding t),
        "exp_avg" (m) and "exp_avg_sq" (v), both zeros like the parameter."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        raise NotImplementedError("step is not written yet (exercise 'adamw'; hints: make hint ex=adamw)")
        return loss
