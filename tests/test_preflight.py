"""The capstone's preflight: the learner's GPT, in a child process on the run's device and dtype, must keep the
future out; a GPT that leaks is the learner's fault, a device that leaks only at low precision is the device's,
and a GPT that cannot be built stops the run before it starts. No solutions/ is needed (a class's release)."""
from __future__ import annotations

import pytest

from grading import UsageError, stubs
from grading.capstone import preflight
from tests.support import copy_solutions

SHAPE = dict(block_size=32, n_head=2, n_embd=32)
CAUSAL_CALL = "F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)"

# Loaded at start-up of the preflight's child (PYTHONPATH): SDPA that drops the causal mask for inputs below
# float32, as a broken fused half-precision kernel would (PyTorch once shipped one on MPS).
LEAKY_LOW_PRECISION = '''
import torch
import torch.nn.functional as F

_real = F.scaled_dot_product_attention


def _leaky(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, **kwargs):
    if q.dtype == torch.float32:
        return _real(q, k, v, attn_mask=attn_mask, dropout_p=dropout_p, is_causal=is_causal, **kwargs)
    return torch.softmax(q @ k.transpose(-2, -1) / q.size(-1) ** 0.5, dim=-1) @ v


F.scaled_dot_product_attention = _leaky
'''


def leaking_tree(tmp_path):
    """The reference with the causal flag dropped from its attention: a learner's GPT that sees the future."""
    tree = copy_solutions(tmp_path / "tree")
    model = tree / "phase07_gpt_architecture" / "model.py"
    source = model.read_text()
    assert source.count(CAUSAL_CALL) == 1
    model.write_text(source.replace(CAUSAL_CALL, CAUSAL_CALL.replace("is_causal=True", "is_causal=False")))
    return tree


def test_a_causal_gpt_on_the_cpu_passes():
    preflight.refuse_leaking_attention("cpu", SHAPE, "solutions")


def test_a_gpt_that_sees_the_future_is_the_learners_to_fix(tmp_path):
    with pytest.raises(UsageError) as err:
        preflight.refuse_leaking_attention("cpu", SHAPE, leaking_tree(tmp_path))
    message = str(err.value)
    assert "\n" not in message and message.startswith("refusing to train: your GPT lets a position see later tokens "
                                                      "on cpu at float32"), message
    assert "make check phase=7" in message


def test_a_llama_run_probes_the_llama_it_will_train(tmp_path):
    """variant=llama: the probe is the model the trainer builds (phase 9's LLaMA), so a LLaMA whose attention is
    not causal is refused for a llama run, while the same tree's phase 7 GPT passes for a gpt2 run."""
    tree = copy_solutions(tmp_path / "tree")
    llama = tree / "phase09_modern_developments" / "llama.py"
    source = llama.read_text()
    causal = "            y = grouped_query_attention(q, k, v, is_causal=True)"
    assert source.count(causal) == 1
    llama.write_text(source.replace(causal, "            y = grouped_query_attention(q, k, v)"))
    preflight.refuse_leaking_attention("cpu", SHAPE, tree)
    with pytest.raises(UsageError, match="refusing to train: your GPT lets a position see later tokens"):
        preflight.refuse_leaking_attention("cpu", {**SHAPE, "variant": "llama", "bias": False}, tree)


def test_a_device_that_leaks_only_in_bfloat16_is_refused_as_the_device(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(LEAKY_LOW_PRECISION)
    monkeypatch.setenv("PYTHONPATH", str(site))
    preflight.refuse_leaking_attention("cpu", SHAPE, "solutions")          # float32: the real kernel
    with pytest.raises(UsageError) as err:
        preflight.refuse_leaking_attention("cpu", {**SHAPE, "dtype": "bfloat16"}, "solutions")
    message = str(err.value)
    assert "\n" not in message and message.startswith("refusing cpu: its causal attention at bfloat16 lets a "
                                                      "position see later tokens"), message
    assert "the same GPT on the CPU at float32 keeps them out" in message


def test_a_gpt_that_cannot_be_built_stops_the_run_in_one_line(tmp_path):
    tree = tmp_path / "stubs"
    stubs.generate(tree)
    with pytest.raises(UsageError) as err:
        preflight.refuse_leaking_attention("cpu", SHAPE, tree)
    message = str(err.value)
    assert "\n" not in message and message.startswith("the preflight could not run your GPT on cpu:"), message
    assert "not written yet" in message, message


def test_a_capstone_whose_gpt_leaks_stops_before_a_run_folder(tmp_path, monkeypatch):
    from grading.capstone import record as record_io
    from grading.capstone import run

    monkeypatch.setattr(record_io, "RUNS", tmp_path / "runs")
    with pytest.raises(UsageError, match="refusing to train: your GPT"):
        run.start("smoke", impl=str(leaking_tree(tmp_path)), device="cpu")
    assert not (tmp_path / "runs").exists()
