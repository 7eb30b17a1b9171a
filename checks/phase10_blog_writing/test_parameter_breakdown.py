"""Checks for phase10_blog_writing/param_breakdown.py: GPT-2 Small by component, from the tensors of a built model
(the tied head once) and from the config, against the counts of Radford et al.'s model."""
import torch

from checks.helpers import expect

GPT2_SMALL = {"token embedding": 50257 * 768, "position embedding": 1024 * 768,
              "attention": 12 * (768 * 3 * 768 + 3 * 768 + 768 * 768 + 768),
              "MLP": 12 * (768 * 4 * 768 + 4 * 768 + 4 * 768 * 768 + 768),
              "layer norms": 12 * 2 * 2 * 768 + 2 * 768, "total": 124_439_808}


def _gpt(ref_tree, device="cpu", **config):
    model = ref_tree.load("phase07_gpt_architecture.model")
    with torch.device(device):
        return model.GPT(model.GPTConfig(**config))


def test_component_of_names(impl):
    cases = {"transformer.wte.weight": "token embedding", "lm_head.weight": "token embedding",
             "transformer.wpe.weight": "position embedding", "transformer.h.11.attn.c_attn.bias": "attention",
             "transformer.h.0.attn.c_proj.weight": "attention", "transformer.h.3.mlp.c_fc.weight": "MLP",
             "transformer.h.3.ln_2.bias": "layer norms", "transformer.ln_f.weight": "layer norms"}
    for name, component in cases.items():
        got = impl.component_of(name)
        expect(got == component, f"component_of({name!r}) is {got!r}, expected {component!r}")
    try:
        impl.component_of("transformer.h.0.gate.weight")
    except ValueError:
        return
    expect(False, "component_of('transformer.h.0.gate.weight') returned instead of raising ValueError")


def test_gpt2_small_from_the_config(impl, ref_tree):
    config = ref_tree.load("phase07_gpt_architecture.model").GPTConfig()
    got = impl.table_by_component(config)
    expect(got == GPT2_SMALL, f"table_by_component(GPT-2 Small) gave {got}; expected {GPT2_SMALL}",
           mistake="layer norms: n_layer x (ln_1 + ln_2) + ln_f; the tied head adds nothing")


def test_gpt2_small_from_the_tensors(impl, ref_tree):
    got = impl.count_by_component(_gpt(ref_tree, device="meta"))
    expect(got == GPT2_SMALL, f"count_by_component(GPT-2 Small) gave {got}; expected {GPT2_SMALL}",
           mistake="count each tensor once (model.named_parameters()): lm_head.weight IS transformer.wte.weight")
    expect(list(got) == [*impl.COMPONENTS, "total"], f"count_by_component's keys are {list(got)}; expected COMPONENTS "
           "in order, then 'total'")


def test_a_small_model_without_biases(impl, ref, ref_tree):
    config = dict(block_size=16, vocab_size=37, n_layer=3, n_head=2, n_embd=12, bias=False)
    model = _gpt(ref_tree, **config)
    got = impl.count_by_component(model)
    expect(got == ref.count_by_component(model), f"count_by_component of a 3-layer GPT without biases gave {got}, "
           f"expected {ref.count_by_component(model)}")
    expect(got["total"] == model.num_parameters(), f"count_by_component(...)['total'] is {got['total']}, but the model "
           f"has {model.num_parameters()} parameters")
    table = impl.table_by_component(model.config)
    expect(table == got, f"table_by_component of the same config gave {table}; the model's tensors say {got}",
           mistake="without biases a LayerNorm has C parameters and a Linear n_in n_out")
