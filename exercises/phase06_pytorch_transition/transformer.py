"""Phase 5's encoder-decoder transformer as one nn.Module, and a training step with torch.optim.Adam.

The same model and the same configuration (phase 5's TransformerConfig): src_embed, tgt_embed (nn.Embedding),
enc and dec (nn.ModuleDict with layers "0" .. "n_layer - 1" and, for pre-norm, "ln_f"), proj_out (the W_out,
b_out of phase 5). With these names, layers.from_numpy(Transformer(config), params) loads phase 5's params
as they are, and autograd replaces phase 5's 100-odd lines of backward.
"""
import math

import torch
from torch import nn
from torch.nn import functional as F

from ..phase05_transformer.layers import sinusoidal_positional_encoding
from ..phase05_transformer.transformer import TransformerConfig
from .blocks import DecoderLayer, EncoderLayer
from .layers import LayerNorm


class Transformer(nn.Module):
    """src (B, S), tgt_in (B, T) int64 token ids -> logits (B, T, tgt_vocab), as phase 5's transformer_forward."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.config = config
        raise NotImplementedError("__init__ is not written yet (exercise 'torch_transformer'; hints: make hint ex=torch_transformer)")

    def padding_mask(self, tokens: torch.Tensor) -> torch.Tensor | None:
        """tokens (B, T) -> (B, 1, 1, T) boolean, True where not config.pad_id; None when pad_id is None."""
        raise NotImplementedError("padding_mask is not written yet (exercise 'torch_transformer'; hints: make hint ex=torch_transformer)")

    def embed(self, tokens: torch.Tensor, table: nn.Embedding) -> torch.Tensor:
        """tokens (B, T) -> sqrt(C) table(tokens) + PE(T, C) (B, T, C), PE from phase 5."""
        raise NotImplementedError("embed is not written yet (exercise 'torch_transformer'; hints: make hint ex=torch_transformer)")

    def encode(self, src: torch.Tensor, src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """src (B, S) -> memory (B, S, C): the encoder layers in order, then ln_f for pre-norm."""
        raise NotImplementedError("encode is not written yet (exercise 'torch_transformer'; hints: make hint ex=torch_transformer)")

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, tgt_mask: torch.Tensor | None = None,
               memory_mask: torch.Tensor | None = None) -> torch.Tensor:
        """tgt_in (B, T), memory (B, S, C) -> logits (B, T, tgt_vocab)."""
        raise NotImplementedError("decode is not written yet (exercise 'torch_transformer'; hints: make hint ex=torch_transformer)")

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """The source's padding mask for the encoder and the cross-attention, the target's for the decoder."""
        raise NotImplementedError("forward is not written yet (exercise 'torch_transformer'; hints: make hint ex=torch_transformer)")

    def loss(self, src: torch.Tensor, tgt_in: torch.Tensor, tgt_out: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of tgt_out (B, T) over the positions whose target is not pad_id (phase 5's
        loss_and_grads); a 0-d tensor."""
        raise NotImplementedError("loss is not written yet (exercise 'torch_transformer'; hints: make hint ex=torch_transformer)")


def train_step(model: Transformer, optimizer: torch.optim.Optimizer, src: torch.Tensor, tgt_in: torch.Tensor,
               tgt_out: torch.Tensor) -> float:
    """One step: gradients of model.loss from zero, then optimizer.step(). Returns the loss before the step."""
    raise NotImplementedError("train_step is not written yet (exercise 'torch_transformer'; hints: make hint ex=torch_transformer)")
