"""Loading Hugging Face GPT-2 weights: the same tensors under the same names, four of them transposed.

Hugging Face's GPT2LMHeadModel keeps OpenAI's original layout: its attn.c_attn, attn.c_proj, mlp.c_fc and
mlp.c_proj are `Conv1D` layers whose weight is stored (in_features, out_features) and applied as x @ W.
nn.Linear stores (out_features, in_features) and computes x @ W.T, so those four weights need a transpose.
"""
from __future__ import annotations

import torch

TRANSPOSED = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
BUFFERS = (".attn.bias", ".attn.masked_bias")  # causal-mask buffers older transformers versions saved


def config_kwargs_from_hf(sd: dict) -> dict:
    """GPTConfig keyword arguments read off the tensor shapes. Every GPT-2 size uses 64 channels a head."""
    vocab_size, n_embd = sd["transformer.wte.weight"].shape
    layers = {int(key.split(".")[2]) for key in sd if key.startswith("transformer.h.")}
    return dict(vocab_size=int(vocab_size), n_embd=int(n_embd), n_head=int(n_embd) // 64, n_layer=len(layers),
                block_size=int(sd["transformer.wpe.weight"].shape[0]),
                bias="transformer.ln_f.bias" in sd)


def convert_hf_state_dict(sd: dict) -> dict[str, torch.Tensor]:
    """A GPT2LMHeadModel state dict -> a state dict for model.GPT (a new dict; `sd` is left unchanged).

    Keep every key except the mask buffers (names ending in BUFFERS); transpose the weights whose names end
    in TRANSPOSED (a (C, 3C) Conv1D weight becomes the (3C, C) nn.Linear weight); if "lm_head.weight" is
    missing (the head is tied), use the token embedding for it.
    """
    raise NotImplementedError("convert_hf_state_dict is not written yet (exercise 'gpt_from_hf'; hints: make hint ex=gpt_from_hf)")
