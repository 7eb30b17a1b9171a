"""The reference trainer's fast path, as far as a CPU can exercise it: the padded vocabulary (masked out of the
loss, cut off the checkpoint, which the capstone grader loads at the real size), compile settings per device,
TF32 on CUDA only, pinned non-blocking copies to CUDA, and SDPA in phase 7's attention (the capstone's preflight,
which refuses attention that sees the future, is tests/test_preflight.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from solutions.phase07_gpt_architecture.model import GPT, GPTConfig
from solutions.phase08_training_gpt import trainer
from tests.support import one_thread, tiny_char_data  # noqa: F401 - one_thread: an autouse fixture, applied by being here


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tiny_char_data(tmp_path_factory.mktemp("fast"), ["the king", "my aunt", "finds", "sees", "the moon.", "a hat."], seed=2)


def settings(data_dir, out, **changes):
    vocab = json.loads((data_dir / "meta.json").read_text())["vocab_size"]
    values = dict(data_dir=str(data_dir), out_dir=str(out), n_layer=1, n_head=2, n_embd=32, block_size=16,
                  vocab_size=vocab, batch_size=8, max_steps=12, lr=1e-2, min_lr=1e-3, warmup_steps=2, eval_interval=6,
                  eval_batches=2, log_interval=4, device="cpu", progress=False, seed=11)
    values.update(changes)
    return trainer.TrainConfig(**values)


def losses(out):
    return [json.loads(line)["loss"] for line in (out / "log.jsonl").read_text().splitlines() if '"loss"' in line]


def test_padded_vocabulary_sizes():
    assert trainer.padded_vocab_size(50257, 64) == 50304
    assert trainer.padded_vocab_size(50304, 64) == 50304 and trainer.padded_vocab_size(65, 1) == 65
    with pytest.raises(ValueError, match="at least 1"):
        trainer.padded_vocab_size(65, 0)


def test_pad_ids_never_win_and_get_no_probability():
    """A padded GPT whose pad rows are made huge: its logits stop at the real vocabulary, and its loss is the
    unpadded GPT's with the same real rows."""
    torch.manual_seed(0)
    V = 30
    padded = trainer.build_model(trainer.TrainConfig(data_dir="", out_dir="", n_layer=1, n_head=2, n_embd=16,
                                                     block_size=8, vocab_size=V, vocab_multiple=64))
    assert isinstance(padded, trainer.PaddedVocab) and padded.model.transformer.wte.weight.shape[0] == 64
    with torch.no_grad():
        padded.model.transformer.wte.weight[V:] = 100.0       # pad logits would dwarf the real ones
    plain = GPT(GPTConfig(block_size=8, vocab_size=V, n_layer=1, n_head=2, n_embd=16))
    plain.load_state_dict(padded.state_dict())                # the checkpoint's rows: the real vocabulary only
    idx, targets = torch.randint(0, V, (3, 8)), torch.randint(0, V, (3, 8))
    logits, loss = padded(idx, targets)
    expected_logits, expected_loss = plain(idx, targets)
    assert logits.shape == (3, 8, V) and int(logits.argmax(-1).max()) < V
    torch.testing.assert_close(logits, expected_logits)
    torch.testing.assert_close(loss, expected_loss)
    loss.backward()
    assert padded.model.transformer.wte.weight.grad[V:].abs().max() == 0, "a pad row got a gradient"


def test_a_padded_run_resumes_exactly_and_its_checkpoint_loads_in_the_grader(data_dir, tmp_path):
    whole = trainer.train(settings(data_dir, tmp_path / "whole", vocab_multiple=64))
    trainer.train(settings(data_dir, tmp_path / "parts", vocab_multiple=64, stop_at_step=5))
    trainer.train(settings(data_dir, tmp_path / "parts", vocab_multiple=64, resume=True))
    assert losses(tmp_path / "parts") == losses(tmp_path / "whole"), "resume from a sliced checkpoint"
    ckpt = torch.load(tmp_path / "whole" / "ckpt.pt", weights_only=True)
    vocab = ckpt["model_config"]["vocab_size"]
    assert vocab < 64 and ckpt["model"]["lm_head.weight"].shape[0] == vocab
    from data.prepare import split_tokens
    from grading.capstone.grade import load_weights, recompute_loss, reference_gpt, windows

    model = reference_gpt(ckpt["model_config"])
    assert load_weights(model, ckpt["model"]) == ""
    graded = recompute_loss(model, windows(split_tokens(data_dir, "val"), 16, 64), "cpu", 16)
    assert abs(graded - ckpt["val_loss"]) < 0.2, (graded, ckpt["val_loss"])


@pytest.mark.parametrize("choice, device, backend", [
    ("auto", "cuda", "inductor"), ("auto", "cpu", None), ("auto", "mps", None), (True, "cpu", "inductor"),
    (False, "cuda", None), ("off", "cuda", None), ("aot_eager", "mps", "aot_eager"),
])
def test_compile_backend_per_device(choice, device, backend):
    assert trainer.compile_backend(choice, device) == backend


def test_unknown_compile_setting_is_one_line():
    with pytest.raises(ValueError, match="unknown compile setting 'fast'; valid: auto, off, inductor, aot_eager"):
        trainer.compile_backend("fast", "cuda")


@pytest.mark.parametrize("device, calls", [("cuda", ["high"]), ("mps", []), ("cpu", [])])
def test_tf32_on_cuda_only(monkeypatch, device, calls):
    seen = []
    monkeypatch.setattr(torch, "set_float32_matmul_precision", seen.append)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", torch.backends.cudnn.allow_tf32)
    trainer.fast_matmuls(device)
    assert seen == calls


class Recording:
    """A stand-in tensor recording how it is moved."""

    def __init__(self, log):
        self.log = log

    def pin_memory(self):
        self.log.append("pin")
        return self

    def to(self, device, non_blocking=False):
        self.log.append(("to", str(device), non_blocking))
        return self


@pytest.mark.parametrize("device, expected", [
    ("cuda", ["pin", ("to", "cuda", True)]), ("mps", [("to", "mps", False)]), ("cpu", [("to", "cpu", False)]),
])
def test_pinned_non_blocking_copies_to_cuda_only(device, expected):
    log = []
    trainer.to_device((Recording(log),), torch.device(device))
    assert log == expected


def test_phase7_attention_goes_through_sdpa(monkeypatch):
    calls = []
    real = F.scaled_dot_product_attention

    def counted(*args, **kwargs):
        calls.append(kwargs.get("is_causal"))
        return real(*args, **kwargs)
    monkeypatch.setattr(F, "scaled_dot_product_attention", counted)
    GPT(GPTConfig(block_size=8, vocab_size=20, n_layer=3, n_head=2, n_embd=16))(torch.randint(0, 20, (1, 8)))
    assert calls == [True, True, True]


def test_compiled_run_trains_like_eager(data_dir, tmp_path):
    """compile="aot_eager" (traced, no code generation, so no C compiler needed) on the CPU: the same losses."""
    trainer.train(settings(data_dir, tmp_path / "eager", max_steps=4, eval_interval=100))
    trainer.train(settings(data_dir, tmp_path / "compiled", max_steps=4, eval_interval=100, compile="aot_eager"))
    np.testing.assert_allclose(losses(tmp_path / "compiled"), losses(tmp_path / "eager"), rtol=1e-5)
