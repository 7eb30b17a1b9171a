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
        # BEGIN SOLUTION
        C, n = config.d_model, config.n_layer
        layer_args = (C, config.n_head, config.d_ff, config.norm, config.approximate)
        self.src_embed = nn.Embedding(config.src_vocab, C)
        self.tgt_embed = nn.Embedding(config.tgt_vocab, C)
        self.enc = nn.ModuleDict({str(i): EncoderLayer(*layer_args) for i in range(n)})
        self.dec = nn.ModuleDict({str(i): DecoderLayer(*layer_args) for i in range(n)})
        if config.norm == "pre":
            self.enc["ln_f"], self.dec["ln_f"] = LayerNorm(C), LayerNorm(C)
        self.proj_out = nn.Linear(C, config.tgt_vocab)
        # END SOLUTION

    def padding_mask(self, tokens: torch.Tensor) -> torch.Tensor | None:
        """tokens (B, T) -> (B, 1, 1, T) boolean, True where not config.pad_id; None when pad_id is None."""
        # BEGIN SOLUTION
        if self.config.pad_id is None:
            return None
        return (tokens != self.config.pad_id)[:, None, None, :]
        # END SOLUTION

    def embed(self, tokens: torch.Tensor, table: nn.Embedding) -> torch.Tensor:
        """tokens (B, T) -> sqrt(C) table(tokens) + PE(T, C) (B, T, C), PE from phase 5."""
        # BEGIN SOLUTION
        T, C = tokens.shape[1], table.embedding_dim
        positions = torch.from_numpy(sinusoidal_positional_encoding(T, C)).to(table.weight)
        return math.sqrt(C) * table(tokens) + positions
        # END SOLUTION

    def encode(self, src: torch.Tensor, src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """src (B, S) -> memory (B, S, C): the encoder layers in order, then ln_f for pre-norm."""
        # BEGIN SOLUTION
        x = self.embed(src, self.src_embed)
        for i in range(self.config.n_layer):
            x = self.enc[str(i)](x, src_mask)
        return self.enc["ln_f"](x) if "ln_f" in self.enc else x
        # END SOLUTION

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, tgt_mask: torch.Tensor | None = None,
               memory_mask: torch.Tensor | None = None) -> torch.Tensor:
        """tgt_in (B, T), memory (B, S, C) -> logits (B, T, tgt_vocab)."""
        # BEGIN SOLUTION
        z = self.embed(tgt_in, self.tgt_embed)
        for i in range(self.config.n_layer):
            z = self.dec[str(i)](z, memory, tgt_mask, memory_mask)
        z = self.dec["ln_f"](z) if "ln_f" in self.dec else z
        return self.proj_out(z)
        # END SOLUTION

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """The source's padding mask for the encoder and the cross-attention, the target's for the decoder."""
        # BEGIN SOLUTION
        src_mask = self.padding_mask(src)
        return self.decode(tgt_in, self.encode(src, src_mask), self.padding_mask(tgt_in), src_mask)
        # END SOLUTION

    def loss(self, src: torch.Tensor, tgt_in: torch.Tensor, tgt_out: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of tgt_out (B, T) over the positions whose target is not pad_id (phase 5's
        loss_and_grads); a 0-d tensor."""
        # BEGIN SOLUTION
        logits = self(src, tgt_in)
        ignore = -100 if self.config.pad_id is None else self.config.pad_id
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1), ignore_index=ignore)
        # END SOLUTION


def train_step(model: Transformer, optimizer: torch.optim.Optimizer, src: torch.Tensor, tgt_in: torch.Tensor,
               tgt_out: torch.Tensor) -> float:
    """One step: gradients of model.loss from zero, then optimizer.step(). Returns the loss before the step."""
    # BEGIN SOLUTION
    optimizer.zero_grad()
    loss = model.loss(src, tgt_in, tgt_out)
    loss.backward()
    optimizer.step()
    return loss.item()
    # END SOLUTION
