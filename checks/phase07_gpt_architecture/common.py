"""Shared pieces of the phase-7 checks: small configs, non-degenerate random weights, the transformers twin."""
from __future__ import annotations

import os

import pytest
import torch

from grading.stubs import unwritten

# Small enough for a 2-core CPU, large enough that every mistake shows: 2 layers, 4 heads of 8 channels.
SMALL = dict(block_size=16, vocab_size=97, n_layer=2, n_head=4, n_embd=32, dropout=0.0, bias=True)


def randomize_(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Overwrite every parameter with seeded random values of a useful size, in place.

    GPT-2's own init (std 0.02, zero biases, unit layer norms) makes logits tiny and hides mistakes such as
    a swapped layer norm or an ignored bias; these weights make every part matter. Layer norm weights
    ~ 1 + 0.2 N(0, 1); other vectors (biases) ~ 0.1 N(0, 1); matrices ~ 0.15 N(0, 1).
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float64).to(p.dtype)
            if p.dim() == 1 and ("ln" in name.split(".")[-2]) and name.endswith("weight"):
                p.copy_(1 + 0.2 * noise)
            elif p.dim() == 1:
                p.copy_(0.1 * noise)
            else:
                p.copy_(0.15 * noise)
    return model


def hf_gpt2(seed: int, **overrides):
    """A randomly initialised transformers GPT2LMHeadModel (no download) in eval mode, with the SMALL shape."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import GPT2Config, GPT2LMHeadModel
    from transformers.utils import logging

    logging.set_verbosity_error()
    shape = dict(SMALL, **overrides)
    config = GPT2Config(n_positions=shape["block_size"], vocab_size=shape["vocab_size"], n_layer=shape["n_layer"],
                        n_head=shape["n_head"], n_embd=shape["n_embd"], activation_function="gelu_new",
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, layer_norm_epsilon=1e-5,
                        bos_token_id=0, eos_token_id=0)
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config).eval()
    return randomize_(model, seed)


def accelerators() -> list[str]:
    """Accelerator device types present here: 'cuda' and/or 'mps'."""
    found = ["cuda"] if torch.cuda.is_available() else []
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return found


def tokens(gen: torch.Generator, B: int, T: int, vocab_size: int) -> torch.Tensor:
    return torch.randint(0, vocab_size, (B, T), generator=gen)


@pytest.fixture(autouse=True)
def one_thread():
    """Every phase-7 check runs single-threaded (imported into each check file, where it applies automatically).

    The models here are tiny: a second thread gains nothing, and on a busy machine waking it for each small
    operation costs far more than the operation (measured: 13 ms per layer_norm call instead of microseconds).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def require_written(cls, *methods: str) -> None:
    """Methods whose stubs are no-ops (GPT.__init__ calls tie_weights and init_weights, so their stubs do
    nothing and GPT can be built before they are written): while one is still a no-op, its checks are
    not started rather than failed."""
    for name in methods:
        if unwritten(getattr(cls, name)):
            raise NotImplementedError(f"{cls.__name__}.{name} is not written yet (it is still the stub's `pass`)")
