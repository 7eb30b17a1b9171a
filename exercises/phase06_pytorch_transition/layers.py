"""Phase 5's layer norm, GELU and feed-forward network as nn.Modules, and phase 5's weights loaded into them.

Phase 5 keeps parameters in flat dicts of arrays (attn.W_q, ln_1.gamma, ...); an nn.Module keeps them as
named nn.Parameters, and `state_dict()` is the same kind of flat dict. One naming rule joins the two, for
every module of this phase (blocks.py, transformer.py):

    phase 5                     PyTorch                  array
    <prefix>.W_<s>  (in, out)   <prefix>.proj_<s>.weight  transposed: nn.Linear keeps (out, in), computes x W^T + b
    <prefix>.b_<s>  (out,)      <prefix>.proj_<s>.bias
    <prefix>.gamma, .beta (C,)  <prefix>.weight, .bias    a LayerNorm
    <name>          (V, C)      <name>.weight             an nn.Embedding table

so attn.W_q becomes attn.proj_q.weight and ffn.b_2 becomes ffn.proj_2.bias.
"""
import math

import torch
from torch import nn


def torch_name(name: str) -> str:
    """Phase 5's key -> the PyTorch state-dict key, by the table above: 'attn.W_q' -> 'attn.proj_q.weight'."""
    raise NotImplementedError("torch_name is not written yet (exercise 'torch_layers'; hints: make hint ex=torch_layers)")


def state_dict_from_numpy(params: dict) -> dict:
    """Phase 5's {name: array} -> {torch_name(name): float64 tensor}; W_* matrices transposed to (out, in)."""
    raise NotImplementedError("state_dict_from_numpy is not written yet (exercise 'torch_layers'; hints: make hint ex=torch_layers)")


def grads_to_numpy(module: nn.Module, names) -> dict:
    """The module's parameter gradients in phase 5's layout: {name: array} for each phase 5 key in `names`.

    The inverse of `state_dict_from_numpy`: the gradient of <prefix>.proj_<s>.weight, transposed back to
    (in, out), is the gradient of <prefix>.W_<s>. A parameter that got no gradient gives zeros.
    """
    raise NotImplementedError("grads_to_numpy is not written yet (exercise 'torch_layers'; hints: make hint ex=torch_layers)")


def from_numpy(module: nn.Module, params: dict) -> nn.Module:
    """Given: the module in float64 with phase 5's arrays copied into its parameters. Strict: every key of the
    state dict must match a parameter and every parameter must get a value (else load_state_dict says which)."""
    module = module.to(torch.float64)
    module.load_state_dict(state_dict_from_numpy(params))
    return module


class LayerNorm(nn.Module):
    """Phase 5's layer_norm over the last axis: weight (gamma) ones and bias (beta) zeros of shape (C,).

    forward: x (..., C) -> gamma (x - mean) / sqrt(var + eps) + beta, var the biased variance (divide by C).
    """

    def __init__(self, C: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        raise NotImplementedError("__init__ is not written yet (exercise 'torch_layers'; hints: make hint ex=torch_layers)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("forward is not written yet (exercise 'torch_layers'; hints: make hint ex=torch_layers)")


class GELU(nn.Module):
    """x Phi(x): approximate="none" uses erf, "tanh" GPT-2's tanh formula (as phase 5's gelu). No parameters."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("forward is not written yet (exercise 'torch_layers'; hints: make hint ex=torch_layers)")


class FeedForward(nn.Module):
    """Phase 5's feed-forward network: proj_2(gelu(proj_1(x))), proj_1 = nn.Linear(C, d_ff),
    proj_2 = nn.Linear(d_ff, C), so that W_1, b_1, W_2, b_2 load into it. x (..., C) -> (..., C)."""

    def __init__(self, C: int, d_ff: int, approximate: str = "none"):
        super().__init__()
        raise NotImplementedError("__init__ is not written yet (exercise 'torch_layers'; hints: make hint ex=torch_layers)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("forward is not written yet (exercise 'torch_layers'; hints: make hint ex=torch_layers)")
