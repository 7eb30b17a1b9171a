"""Checks for phase07_gpt_architecture/hf.py: Hugging Face GPT-2 weights into our GPT.

The expected logits come from transformers' GPT2LMHeadModel itself (random weights, no download).
"""
import torch

from checks.helpers import assert_close, expect, fail
from checks.phase07_gpt_architecture.common import SMALL, hf_gpt2, one_thread, tokens  # noqa: F401 - one_thread: autouse


def reference_gpt(ref_tree, sd, convert):
    model_module = ref_tree.load("phase07_gpt_architecture.model")
    model = model_module.GPT(model_module.GPTConfig(**SMALL))
    converted = convert(sd)
    expect(isinstance(converted, dict), f"convert_hf_state_dict(sd) returned {type(converted).__name__}, expected a dict")
    try:
        model.load_state_dict(converted)
    except RuntimeError as err:
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        fail(f"GPT(config).load_state_dict(convert_hf_state_dict(sd)) failed: {' '.join(lines[1:3])[:400]}",
             mistake="drop the attn.bias / attn.masked_bias buffers and transpose the four Conv1D weights")
    return model.eval()


def test_logits_match_transformers(impl, ref_tree, seed):
    hf = hf_gpt2(seed)
    model = reference_gpt(ref_tree, hf.state_dict(), impl.convert_hf_state_dict)
    idx = tokens(torch.Generator().manual_seed(seed), 3, SMALL["block_size"], SMALL["vocab_size"])
    with torch.no_grad():
        expected = hf(idx).logits
        logits, _ = model(idx)
    assert_close(logits, expected, "logits of GPT(config) loaded with convert_hf_state_dict(hf.state_dict()) against "
                 "GPT2LMHeadModel's own", rtol=1e-5, atol=1e-5,
                 mistake="every Conv1D weight (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj) needs .t(); the square "
                 "ones (attn.c_proj) load without complaint when forgotten")


def test_keys_shapes_and_input_untouched(impl, seed):
    hf = hf_gpt2(seed)
    sd = dict(hf.state_dict())
    T, C = SMALL["block_size"], SMALL["n_embd"]
    sd["transformer.h.0.attn.bias"] = torch.tril(torch.ones(T, T)).view(1, 1, T, T)  # what older versions saved
    sd["transformer.h.1.attn.masked_bias"] = torch.tensor(-1e4)
    before = {k: v.clone() for k, v in sd.items()}
    out = impl.convert_hf_state_dict(sd)
    expect(isinstance(out, dict), f"convert_hf_state_dict(sd) returned {type(out).__name__}, expected a dict")
    for key in ("transformer.h.0.attn.bias", "transformer.h.1.attn.masked_bias"):
        expect(key not in out, f"convert_hf_state_dict(sd) kept the mask buffer {key!r}; GPT has no such entry")
    expect(set(sd) == set(before) and all(torch.equal(sd[k], before[k]) for k in sd),
           "convert_hf_state_dict(sd) changed its input dict; build and return a new one")
    for name, shape in [("attn.c_attn.weight", (3 * C, C)), ("attn.c_proj.weight", (C, C)),
                        ("mlp.c_fc.weight", (4 * C, C)), ("mlp.c_proj.weight", (C, 4 * C))]:
        key = f"transformer.h.1.{name}"
        expect(key in out, f"convert_hf_state_dict(sd) lost {key!r}")
        assert_close(out[key], before[key].t(), f"convert_hf_state_dict(sd)[{key!r}] (an nn.Linear weight, {shape})",
                     rtol=0, atol=0, mistake="Conv1D stores (in, out); nn.Linear stores (out, in): transpose")
    for key in ("transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.ln_1.weight",
                "transformer.h.0.attn.c_attn.bias", "transformer.ln_f.bias"):
        assert_close(out[key], before[key], f"convert_hf_state_dict(sd)[{key!r}]", rtol=0, atol=0,
                     mistake="only the four Conv1D weights are transposed; everything else is copied as it is")


def test_missing_head_is_the_embedding(impl, seed):
    sd = dict(hf_gpt2(seed).state_dict())
    del sd["lm_head.weight"]
    out = impl.convert_hf_state_dict(sd)
    expect(isinstance(out, dict) and "lm_head.weight" in out,
           "convert_hf_state_dict(sd) without 'lm_head.weight' must still give one (the head is tied to wte)")
    assert_close(out["lm_head.weight"], sd["transformer.wte.weight"], "convert_hf_state_dict(sd)['lm_head.weight'] "
                 "when sd has no head", rtol=0, atol=0)
