"""Muon (Jordan et al., 2024): momentum, orthogonalised by a Newton-Schulz iteration, for weight matrices.

SGD with momentum steps along M, the running sum of gradients. The gradient of a weight matrix is typically
dominated by a few directions (its singular values fall off fast), so such steps mostly grow a few already
large directions. Muon replaces M = U S V^T by its orthogonal part U V^T: the same directions, every singular
value set to 1, so rare directions get as much step as common ones. U V^T costs an SVD; five steps of an odd
polynomial iteration get close enough on a GPU in bf16:
    X <- X / ||X||_F,   then 5 times:   A = X X^T,   X <- a X + (b A + c A^2) X,   (a, b, c) = (3.4445, -4.7750, 2.0315)
which pushes every singular value of X into roughly [0.7, 1.2] (it trades exact convergence for speed).

Muon is for the 2-D matrices inside the network. Embeddings, the head, gains and biases are not like linear
maps between hidden spaces: they stay with AdamW (muon_param_groups, MuonWithAdamW).

Update scale: 0.2 sqrt(max(rows, cols)) (Liu et al., 2025), which gives Muon's step the root-mean-square of a
typical AdamW step (about 0.2 lr): the two can share one learning rate, schedule and weight decay.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def newton_schulz(G: torch.Tensor, steps: int = 5, eps: float = 1e-7) -> torch.Tensor:
    """G (..., m, n) -> (..., m, n): approximately U V^T for G = U S V^T.

    Normalise by the Frobenius norm (every singular value <= 1 then), work on the wide orientation (m <= n:
    X X^T is the smaller m x m matrix; transpose a tall G and transpose back), iterate `steps` times with
    NS_COEFFICIENTS. Computed in G's dtype.
    """
    raise NotImplementedError("newton_schulz is not written yet (exercise 'muon'; hints: make hint ex=muon)")


class Muon(torch.optim.Optimizer):
    """For 2-D parameters only. Per parameter, state {"momentum_buffer"}; per step, with g the gradient:
        buf = momentum buf + g;   u = g + momentum buf (Nesterov) or buf;
        p -= lr weight_decay p;   p -= lr 0.2 sqrt(max(rows, cols)) newton_schulz(u, ns_steps).
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.95, nesterov: bool = True, ns_steps: int = 5,
                 weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=nesterov, ns_steps=ns_steps,
                                      weight_decay=weight_decay))
        for group in self.param_groups:
            for p in group["params"]:
                if p.dim() != 2:
                    raise ValueError(f"Muon steps 2-D weight matrices only; got a parameter of shape {tuple(p.shape)}")

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        raise NotImplementedError("step is not written yet (exercise 'muon'; hints: make hint ex=muon)")
        return loss


def muon_param_groups(model: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """(matrices for Muon, the rest for AdamW): Muon gets the weights of the nn.Linear layers that are not tied
    to an embedding; embeddings (and a head tied to one), gains and biases go to AdamW. Each parameter once."""
    raise NotImplementedError("muon_param_groups is not written yet (exercise 'muon'; hints: make hint ex=muon)")


class MuonWithAdamW:
    """Muon for the hidden matrices and phase 8's AdamW for everything else, stepped as one optimiser.

    param_groups is both optimisers' groups (the same dicts: setting group["lr"] reaches both), and
    state_dict() / load_state_dict() carry both, so a trainer and its checkpoints use it like one optimiser.
    """

    def __init__(self, model: nn.Module, lr: float, weight_decay: float, betas=(0.9, 0.95), momentum: float = 0.95):
        from ..phase08_training_gpt.adamw import AdamW

        matrices, rest = muon_param_groups(model)
        self.muon = Muon(matrices, lr=lr, momentum=momentum, weight_decay=weight_decay)
        self.adamw = AdamW([{"params": rest, "weight_decay": 0.0}], lr=lr, betas=betas, eps=1e-8)

    @property
    def param_groups(self) -> list[dict]:
        """Read afresh each time: load_state_dict gives each optimiser new group dicts."""
        return self.muon.param_groups + self.adamw.param_groups

    def step(self) -> None:
        self.muon.step()
        self.adamw.step()

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.muon.zero_grad(set_to_none=set_to_none)
        self.adamw.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict:
        return {"muon": self.muon.state_dict(), "adamw": self.adamw.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.muon.load_state_dict(state["muon"])
        self.adamw.load_state_dict(state["adamw"])
