"""Counting GPT-2's parameters by hand, from the config alone (no model built)."""
from __future__ import annotations


def parameter_table(config) -> dict[str, int]:
    """Parameters of each part of a GPT built from `config` (a GPTConfig), counted from the shapes.

    Keys, in order:
      "wte"    token embedding, V x C (the tied lm_head adds nothing: it is the same tensor)
      "wpe"    position embedding, block_size x C
      "ln_1", "attn.c_attn", "attn.c_proj", "ln_2", "mlp.c_fc", "mlp.c_proj"   ONE block's parts
      "block"  one block: the sum of the six above
      "blocks" n_layer blocks
      "ln_f"   the final layer norm
      "total"  wte + wpe + blocks + ln_f
    A LayerNorm has a weight and, when config.bias, a bias of C each; a Linear(n_in, n_out) has n_in * n_out
    weights and, when config.bias, n_out biases. The MLP's hidden width is 4C.
    """
    raise NotImplementedError("parameter_table is not written yet (exercise 'gpt_parameter_count'; hints: make hint ex=gpt_parameter_count)")


def parameter_count(config) -> int:
    """All parameters, the tied embedding counted once: GPT-2 Small has 124,439,808."""
    return parameter_table(config)["total"]
