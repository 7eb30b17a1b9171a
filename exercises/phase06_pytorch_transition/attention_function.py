"""Attention as a torch.autograd.Function whose forward and backward are phase 4's NumPy functions.

autograd needs two things from a node: the output, and a rule that turns dL/d(output) into dL/d(inputs).
PyTorch derives the rule for its own operations; a Function supplies it by hand, here the backward that
phase 4 wrote and gradient-checked. `torch.autograd.gradcheck` then compares that rule with central
differences in float64, entry by entry of the Jacobian.
"""
import torch

from ..phase04_attention.attention import scaled_dot_product_attention, scaled_dot_product_attention_backward


class Attention(torch.autograd.Function):
    """softmax(q k^T / sqrt(d) + mask) v, computed in NumPy; gradients from phase 4's backward."""

    @staticmethod
    def forward(ctx, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None):
        """q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv) with the same leading dims, mask boolean broadcastable
        to (..., Tq, Tk) or None.

        Returns out (..., Tq, dv) with q's dtype and device. Saves q, k, v (save_for_backward) and the
        attention weights (a NumPy array on ctx) for the backward.
        """
        raise NotImplementedError("forward is not written yet (exercise 'attention_function'; hints: make hint ex=attention_function)")

    @staticmethod
    def backward(ctx, dout: torch.Tensor):
        """dout (..., Tq, dv) = dL/dout -> (dq, dk, dv, None): one gradient per forward input, None for the mask."""
        raise NotImplementedError("backward is not written yet (exercise 'attention_function'; hints: make hint ex=attention_function)")


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Attention.apply(q, k, v, mask): a differentiable call that autograd records as one node."""
    return Attention.apply(q, k, v, mask)
