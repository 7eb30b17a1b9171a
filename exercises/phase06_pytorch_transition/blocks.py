"""Phase 5's residual blocks and its encoder and decoder layers as nn.Modules.

    post-norm (Vaswani et al. 2017):      out = LN(x + sublayer(x))
    pre-norm (Xiong et al. 2020, GPT-2):  out = x + sublayer(LN(x))

The submodules carry phase 5's names (ln_1, attn, ln_2, ffn; ln_1, self_attn, ln_2, cross_attn, ln_3, ffn),
so that by layers.py's rule a phase 5 layer's parameters load straight into these modules. Masks are boolean
tensors, True = may attend, broadcastable to (B, n_head, Tq, Tk).
"""
import torch
from torch import nn

from ..phase05_transformer.blocks import NORMS
from .attention import MultiHeadAttention
from .layers import FeedForward, LayerNorm


def residual(x: torch.Tensor, sublayer, ln: LayerNorm, norm: str = "pre") -> torch.Tensor:
    """One sublayer (a function (B, T, C) -> (B, T, C)) in its residual connection with layer norm `ln`."""
    if norm not in NORMS:
        raise ValueError(f"norm must be 'pre' or 'post', got {norm!r}")
    raise NotImplementedError("residual is not written yet (exercise 'torch_blocks'; hints: make hint ex=torch_blocks)")


class EncoderLayer(nn.Module):
    """Self-attention then the feed-forward network, each in `residual` with its own layer norm."""

    def __init__(self, C: int, n_head: int, d_ff: int, norm: str = "pre", approximate: str = "none"):
        super().__init__()
        self.norm = norm
        raise NotImplementedError("__init__ is not written yet (exercise 'torch_blocks'; hints: make hint ex=torch_blocks)")

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, T, C), mask broadcastable to (B, n_head, T, T) or None -> (B, T, C)."""
        raise NotImplementedError("forward is not written yet (exercise 'torch_blocks'; hints: make hint ex=torch_blocks)")


class DecoderLayer(nn.Module):
    """Masked self-attention, cross-attention to the encoder's memory, then the feed-forward network."""

    def __init__(self, C: int, n_head: int, d_ff: int, norm: str = "pre", approximate: str = "none"):
        super().__init__()
        self.norm = norm
        raise NotImplementedError("__init__ is not written yet (exercise 'torch_blocks'; hints: make hint ex=torch_blocks)")

    def forward(self, y: torch.Tensor, memory: torch.Tensor, tgt_mask: torch.Tensor | None = None,
                memory_mask: torch.Tensor | None = None) -> torch.Tensor:
        """y (B, T, C), memory (B, Tk, C) -> (B, T, C), as phase 5's decoder_layer_forward: the layer adds the
        causal mask to its self-attention itself (and-ed with tgt_mask when given); the cross-attention
        uses memory_mask only."""
        raise NotImplementedError("forward is not written yet (exercise 'torch_blocks'; hints: make hint ex=torch_blocks)")
