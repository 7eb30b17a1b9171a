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
    # BEGIN SOLUTION
    leaves = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in xs]
    out = f(*leaves)
    out.backward()
    return out.item(), [0.0 if leaf.grad is None else leaf.grad.item() for leaf in leaves]
    # END SOLUTION


class MLP(nn.Module):
    """Phase 1's MLP as an nn.Module: float64 nn.Linear layers nin -> nouts[0] -> ... -> nouts[-1].

    tanh after every layer but the last, as in phase 1. `self.layers` is an nn.ModuleList, so that
    `parameters()` finds every layer's weight (nout, nin) and bias (nout,).
    """

    def __init__(self, nin: int, nouts: list[int]):
        super().__init__()
        # BEGIN SOLUTION
        sizes = [nin] + list(nouts)
        self.layers = nn.ModuleList(nn.Linear(a, b, dtype=torch.float64) for a, b in zip(sizes, sizes[1:]))
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, nin) -> (N, nouts[-1])."""
        # BEGIN SOLUTION
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.tanh(x)
        return x
        # END SOLUTION

    @classmethod
    def from_value_mlp(cls, mlp) -> "MLP":
        """A module with phase 1's MLP weights: neuron j of layer l gives row j of layers[l].weight and
        entry j of layers[l].bias. Copied under torch.no_grad(), so the copy is not part of any graph."""
        # BEGIN SOLUTION
        nin = len(mlp.layers[0].neurons[0].w)
        module = cls(nin, [len(layer.neurons) for layer in mlp.layers])
        with torch.no_grad():
            for linear, layer in zip(module.layers, mlp.layers):
                linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
                linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        return module
        # END SOLUTION
