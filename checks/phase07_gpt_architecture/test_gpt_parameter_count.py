"""Checks for phase07_gpt_architecture/params.py: GPT-2's parameters counted from the config alone.

Expected values: the parameters of actual models (the reference GPT and Hugging Face's GPT2LMHeadModel,
built on the meta device: shapes without memory) and the closed form 12 C^2 + 13 C for one block.
"""
import numpy as np
import torch

from checks.helpers import expect
from checks.phase07_gpt_architecture.common import one_thread  # noqa: F401 - autouse

KEYS = ["wte", "wpe", "ln_1", "attn.c_attn", "attn.c_proj", "ln_2", "mlp.c_fc", "mlp.c_proj", "block", "blocks",
        "ln_f", "total"]


def counted(model) -> dict[str, int]:
    """The same table, read off a built model's parameters."""
    params = dict(model.named_parameters())  # the tied head is listed once, as transformer.wte.weight
    n = lambda prefix: sum(p.numel() for name, p in params.items() if name.startswith(prefix))  # noqa: E731
    table = {"wte": n("transformer.wte."), "wpe": n("transformer.wpe."), "ln_f": n("transformer.ln_f.")}
    for part in ("ln_1", "attn.c_attn", "attn.c_proj", "ln_2", "mlp.c_fc", "mlp.c_proj"):
        table[part] = n(f"transformer.h.0.{part}.")
    table["block"], table["blocks"] = n("transformer.h.0."), n("transformer.h.")
    table["total"] = sum(p.numel() for p in params.values())
    return table


def _compare(got, expected, what):
    expect(isinstance(got, dict), f"{what} returned {type(got).__name__}, expected a dict")
    missing = [k for k in KEYS if k not in got]
    expect(not missing, f"{what} lacks the keys {missing}")
    for key in KEYS:
        expect(int(got[key]) == expected[key], f"{what}[{key!r}] is {int(got[key]):,}; the model has {expected[key]:,}",
               mistake="a Linear(n_in, n_out) has n_in * n_out weights and n_out biases; a LayerNorm(C) 2C (C without "
               "bias); the MLP is 4C wide; the tied head adds nothing")


def test_gpt2_small_is_124439808(impl, ref_tree):
    model_module = ref_tree.load("phase07_gpt_architecture.model")
    config = model_module.GPTConfig()
    total = impl.parameter_count(config)
    expect(total == 124_439_808, f"parameter_count(GPTConfig()) is {total:,}; GPT-2 Small has 124,439,808",
           mistake="count wte once (the head is tied) and include the position embedding and ln_f")
    C = config.n_embd
    table = impl.parameter_table(config)
    expect(table["block"] == 12 * C * C + 13 * C, f"parameter_table(GPTConfig())['block'] is {table['block']:,}; one "
           f"block has 12 C^2 + 13 C = {12 * C * C + 13 * C:,} (C = 768)")
    from checks.phase07_gpt_architecture.common import hf_gpt2  # noqa: F401 - sets HF_HUB_OFFLINE
    from transformers import GPT2Config, GPT2LMHeadModel
    with torch.device("meta"):
        hf = GPT2LMHeadModel(GPT2Config())
    _compare(table, counted(hf), "parameter_table(GPTConfig()) against transformers' GPT2LMHeadModel(GPT2Config())")


def test_random_configs_match_the_model(impl, ref_tree, rng):
    model_module = ref_tree.load("phase07_gpt_architecture.model")
    for i in range(4):  # bias alternates, so both kinds are always counted
        n_head = int(rng.integers(1, 5))
        config = model_module.GPTConfig(block_size=int(rng.integers(8, 300)), vocab_size=int(rng.integers(50, 5000)),
                                        n_layer=int(rng.integers(1, 5)), n_head=n_head,
                                        n_embd=n_head * int(rng.integers(2, 20)), bias=i % 2 == 0)
        with torch.device("meta"):
            model = model_module.GPT(config)
        _compare(impl.parameter_table(config), counted(model), f"parameter_table({config})")
        expect(impl.parameter_count(config) == counted(model)["total"], f"parameter_count({config}) is wrong")


def compare_inputs(rng):
    from solutions.phase07_gpt_architecture.model import GPTConfig
    return [("parameter_table(GPTConfig())", "parameter_table", (GPTConfig(),), {}),
            ("parameter_table(GPTConfig(n_layer=2, n_embd=64, n_head=2, bias=False))", "parameter_table",
             (GPTConfig(n_layer=2, n_embd=64, n_head=2, bias=False),), {})]
