"""PyTorch's tensors, autograd and nn.Module, checked against phase 1's Value on the same expressions.

A float64 tensor made with requires_grad=True is a leaf. Every operation on it records a node (`grad_fn`)
holding what its derivative needs, as Value keeps `_prev` and `_backward`; `backward()` walks those nodes
from the output back and adds into each leaf's `.grad`. The difference is the unit: one number for Value,
a whole array for a tensor, so one node stands for a million multiplications instead of one.
"""
import torch
from torch import nn


def gradients(f, xs: list[float]) -> tuple[float, list[float]]:
    """Evaluate f on float64 scalar leaves made from xs and differentiate it.

    f(*leaves) must return a scalar tensor; the same f runs on phase 1's Values, since both support
    + - * / **, tanh(), relu(), exp() and log(). Returns (f's value, [df/dx_i for each x_i]) as floats;
    an input that f ignores has gradient 0.0 (PyTorch leaves its .grad as None).
    """
    raise NotImplementedError("gradients is not written yet (exercise 'torch_autograd'; hints: make hint ex=torch_autograd)")


class MLP(nn.Module):
    """Phase 1's MLP as an nn.Module: float64 nn.Linear layers nin -> nouts[0] -> ... -> nouts[-1].

    tanh after every layer but the last, as in phase 1. `self.layers` is an nn.ModuleList, so that
    `parameters()` finds every layer's weight (nout, nin) and bias (nout,).
    """

    def __init__(self, nin: int, nouts: list[int]):
        super().__init__()
        raise NotImplementedError("__init__ is not written yet (exercise 'torch_autograd'; hints: make hint ex=torch_autograd)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, nin) -> (N, nouts[-1])."""
        raise NotImplementedError("forward is not written yet (exercise 'torch_autograd'; hints: make hint ex=torch_autograd)")

    @classmethod
    def from_value_mlp(cls, mlp) -> "MLP":
        """A module with phase 1's MLP weights: neuron j of layer l gives row j of layers[l].weight and
        entry j of layers[l].bias. Copied under torch.no_grad(), so the copy is not part of any graph."""
        raise NotImplementedError("from_value_mlp is not written yet (exercise 'torch_autograd'; hints: make hint ex=torch_autograd)")
