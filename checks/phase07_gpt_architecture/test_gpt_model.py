"""Checks for phase07_gpt_architecture/model.py: GPT-2, to the parameter and to the logit.

The logits are compared with Hugging Face's GPT2LMHeadModel (an independent implementation), holding the
same random weights; causality, the tied head, GPT-2's init and the loss at init are checked as properties.
"""
import math

import pytest
import torch
from torch.nn import functional as F

from checks.helpers import assert_close, expect, fail
from checks.phase07_gpt_architecture.common import (SMALL, accelerators, hf_gpt2, one_thread, randomize_,  # noqa: F401
                                                    require_written, tokens)  # one_thread: autouse

GPT2_SMALL_PARAMETERS = 124_439_808  # Radford et al. (2019)'s "117M" model, counted exactly (see params check)


def small(module, **overrides):
    return module.GPTConfig(**dict(SMALL, **overrides))


def learner_model(impl, ref, seed, dtype=torch.float32, **overrides):
    """The learner's GPT holding seeded random weights (made with the reference so both trees agree)."""
    config = small(impl, **overrides)
    weights = randomize_(ref.GPT(small(ref, **overrides)), seed).state_dict()
    model = impl.GPT(config)
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        fail(f"GPT(config).load_state_dict(reference state_dict) failed: {str(err).splitlines()[0]}",
             mistake="submodule and parameter names are fixed in the given __init__ code: keep them")
    return model.eval().to(dtype)


def test_state_dict_names_and_shapes(impl, ref):
    got = {k: tuple(v.shape) for k, v in impl.GPT(small(impl)).state_dict().items()}
    expected = {k: tuple(v.shape) for k, v in ref.GPT(small(ref)).state_dict().items()}
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    expect(not missing and not extra, f"GPT(config).state_dict() keys differ from the reference: missing {missing[:4]}, "
           f"extra {extra[:4]}", mistake="keep the module names of the given __init__ code (nanoGPT's names)")
    wrong = [k for k in expected if got[k] != expected[k]]
    expect(not wrong, f"state_dict()[{wrong[:1]}] has shape {got[wrong[0]] if wrong else ''}, "
           f"expected {expected[wrong[0]] if wrong else ''}")
    model = learner_model(impl, ref, 0)          # the reference's weights load, and the model runs on them
    with torch.no_grad():
        logits, _ = model(torch.zeros(2, 3, dtype=torch.long))
    expect(tuple(logits.shape) == (2, 3, SMALL["vocab_size"]), f"GPT(config)(idx (2, 3)) gave logits of shape "
           f"{tuple(logits.shape)}, expected (2, 3, {SMALL['vocab_size']})")


def test_head_is_tied_and_gpt2_small_has_124439808_parameters(impl):
    require_written(impl.GPT, "tie_weights")
    model = impl.GPT(small(impl))
    expect(model.lm_head.weight is model.transformer.wte.weight,
           "model.lm_head.weight is not the same Parameter as model.transformer.wte.weight",
           mistake="tie them: self.lm_head.weight = self.transformer.wte.weight (one (V, C) matrix, Press & Wolf 2017)")
    c = impl.GPTConfig()
    got = (c.block_size, c.vocab_size, c.n_layer, c.n_head, c.n_embd, c.dropout, c.bias)
    expect(got == (1024, 50257, 12, 12, 768, 0.0, True),
           f"GPTConfig() is {got}; expected (block_size, vocab_size, n_layer, n_head, n_embd, dropout, bias) = "
           "(1024, 50257, 12, 12, 768, 0.0, True), GPT-2 Small")
    with torch.device("meta"):  # shapes only: no memory, no arithmetic
        gpt2 = impl.GPT(c)
    n = gpt2.num_parameters()
    expect(n == GPT2_SMALL_PARAMETERS, f"GPT(GPTConfig()).num_parameters() is {n:,}; GPT-2 Small has "
           f"{GPT2_SMALL_PARAMETERS:,}", mistake="an untied head adds 50257 * 768 = 38,597,376 parameters"
           if n == GPT2_SMALL_PARAMETERS + 50257 * 768 else None)


def test_logits_and_loss_match_transformers(impl, ref_tree, seed):
    """The same random weights in Hugging Face's GPT2LMHeadModel and in your GPT give the same logits."""
    hf = hf_gpt2(seed)
    model = impl.GPT(small(impl))
    model.load_state_dict(ref_tree.load("phase07_gpt_architecture.hf").convert_hf_state_dict(hf.state_dict()))
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    for T in (SMALL["block_size"], 5):
        idx, targets = tokens(gen, 3, T, SMALL["vocab_size"]), tokens(gen, 3, T, SMALL["vocab_size"])
        with torch.no_grad():
            expected = hf(idx).logits
            logits, loss = model(idx, targets)
        assert_close(logits, expected, f"GPT(config)(idx)[0] for idx of shape {tuple(idx.shape)} against "
                     "transformers' GPT2LMHeadModel with the same weights", rtol=1e-5, atol=1e-5,
                     mistake="pre-norm (x + attn(ln_1(x))), positions added to the token embeddings before the first "
                     "block, GELU's tanh form, the causal mask and ln_f before lm_head")
        expect(loss is not None, "GPT(config)(idx, targets) returned loss None")
        assert_close(loss, F.cross_entropy(expected.reshape(-1, expected.size(-1)), targets.reshape(-1)),
                     "the loss of GPT(config)(idx, targets): mean cross-entropy over all B * T positions",
                     rtol=1e-5, atol=1e-5)
    logits, loss = model(idx)
    expect(loss is None, "GPT(config)(idx) without targets must return loss None")


def _assert_causal(model, device, dtype, seed):
    gen = torch.Generator().manual_seed(seed)
    T, V = SMALL["block_size"], SMALL["vocab_size"]
    s = int(torch.randint(2, T - 2, (1,), generator=gen))
    a = tokens(gen, 2, T, V)
    b = a.clone()
    b[:, s + 1:] = (a[:, s + 1:] + 1 + tokens(gen, 2, T - s - 1, V - 1)) % V  # every later token changes
    with torch.no_grad():
        la, _ = model(a.to(device))
        lb, _ = model(b.to(device))
    atol = 1e-5 if dtype == torch.float32 else 3e-2
    assert_close(lb[:, :s + 1], la[:, :s + 1], f"logits at positions 0..{s} after changing only tokens {s + 1}..{T - 1} "
                 f"({dtype}, {device})", rtol=0, atol=atol,
                 mistake="position t must not see tokens after t: is_causal=True (or a lower-triangular mask)")
    expect(not torch.equal(la[:, s + 1:], lb[:, s + 1:]), "changing tokens after position s left their own logits "
           "unchanged: are the logits computed from the tokens at all?")


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["float32", "bfloat16"])
def test_causal_on_cpu(impl, ref, seed, dtype):
    _assert_causal(learner_model(impl, ref, seed, dtype), "cpu", dtype, seed)


def test_causal_on_accelerator(impl, ref, seed):
    """On cuda or mps when present (half-precision causal attention on MPS once saw the future)."""
    model = learner_model(impl, ref, seed)
    _assert_causal(model, "cpu", torch.float32, seed)  # the learner's code runs even where no accelerator is
    devices = accelerators()
    if not devices:
        pytest.skip("no cuda or mps device here")
    for device in devices:  # MPS: float16 is where the bug was; bfloat16 needs macOS 14, so it is left out there
        for dtype in (torch.float32, torch.float16) + ((torch.bfloat16,) if device == "cuda" else ()):
            _assert_causal(learner_model(impl, ref, seed, dtype).to(device), device, dtype, seed)


def test_gpt2_initialisation(impl, seed):
    require_written(impl.GPT, "init_weights")
    torch.manual_seed(seed)
    n_layer = 6
    config = impl.GPTConfig(block_size=256, vocab_size=1000, n_layer=n_layer, n_head=4, n_embd=128)
    model = impl.GPT(config)
    residual = 0.02 / math.sqrt(2 * n_layer)
    block = model.transformer.h[n_layer - 1]
    for what, tensor, std in [("transformer.wte.weight", model.transformer.wte.weight, 0.02),
                              ("transformer.wpe.weight", model.transformer.wpe.weight, 0.02),
                              ("attn.c_attn.weight", block.attn.c_attn.weight, 0.02),
                              ("mlp.c_fc.weight", block.mlp.c_fc.weight, 0.02),
                              ("attn.c_proj.weight", block.attn.c_proj.weight, residual),
                              ("mlp.c_proj.weight", block.mlp.c_proj.weight, residual)]:
        got = tensor.detach().double()
        # >= 16,384 samples: the sample std is within 2% of the true one with overwhelming probability
        expect(abs(got.std().item() / std - 1) < 0.08 and abs(got.mean().item()) < 0.1 * std,
               f"{what} has mean {got.mean().item():.4g} and std {got.std().item():.4g}; GPT-2's init has mean 0 "
               f"and std {std:.4g}", mistake="residual projections (attn.c_proj, mlp.c_proj) use 0.02 / sqrt(2 * n_layer)"
               if "c_proj" in what else "normal(0, 0.02) for every Linear and Embedding weight")
    for name, p in model.named_parameters():
        if name.endswith("bias"):
            expect(torch.count_nonzero(p).item() == 0, f"{name} is not all zeros at init")
        elif ".ln_" in name or "ln_f" in name:
            expect(torch.all(p == 1).item(), f"{name} is not all ones at init (layer norm starts as the identity)")


def test_loss_at_init_is_ln_vocab(impl, seed):
    """At init every next token is about equally likely, so the loss is about ln(50257) = 10.82."""
    require_written(impl.GPT, "tie_weights", "init_weights")
    torch.manual_seed(seed)
    model = impl.GPT(impl.GPTConfig(block_size=32, vocab_size=50257, n_layer=2, n_head=2, n_embd=64))
    gen = torch.Generator().manual_seed(seed)
    idx, targets = tokens(gen, 4, 32, 50257), tokens(gen, 4, 32, 50257)
    with torch.no_grad():
        _, loss = model(idx, targets)
    expected = math.log(50257)
    expect(loss is not None and abs(loss.item() - expected) < 0.15,
           f"the loss at init on random tokens is {loss.item() if loss is not None else None}; expected about "
           f"ln(50257) = {expected:.3f}", mistake="is GPT-2's init applied? PyTorch's N(0, 1) embedding, tied to the "
           "head, gives a first loss in the hundreds")


def test_kv_cache_forward_matches_full_forward(impl, ref, ref_tree, seed):
    """Feeding a sequence in pieces through a KVCache gives the logits of one full forward pass."""
    shape = SMALL
    model = learner_model(impl, ref, seed).double()
    kv = ref_tree.load("phase07_gpt_architecture.kv_cache")  # the reference cache: this checks your model's use of it
    gen = torch.Generator().manual_seed(seed)
    idx = tokens(gen, 2, shape["block_size"], shape["vocab_size"])
    with torch.no_grad():
        full, _ = model(idx)
        cache = kv.KVCache(shape["n_layer"])
        pieces, start = [], 0
        for length in (5, 4, 1, 1, 5):  # a prompt, a chunk (needs an offset mask), single tokens
            logits, _ = model(idx[:, start:start + length], kv_cache=cache)
            pieces.append(logits)
            start += length
    assert_close(torch.cat(pieces, dim=1), full, "logits of GPT(config)(chunk, kv_cache=cache) over chunks of 5, 4, 1, "
                 "1, 5 tokens against one forward pass over all 16", rtol=1e-9, atol=1e-9,
                 mistake="cached positions start at kv_cache.length; a chunk of T > 1 new tokens after P cached ones "
                 "needs a mask letting query i see keys 0..P + i (is_causal=True aligns it wrongly)")


def test_dropout_in_train_and_eval_mode(impl, ref, seed):
    """dropout = 0.2: in eval mode no dropout at all (the logits of dropout 0); in train mode the same dropout as
    the reference, draw for draw, given the same torch seed: after the embeddings (drop), on the attention
    weights (dropout_p), after attn.c_proj (resid_dropout) and after mlp.c_proj (mlp.dropout)."""
    model = learner_model(impl, ref, seed, dropout=0.2)
    reference = ref.GPT(small(ref, dropout=0.2))
    reference.load_state_dict(model.state_dict())
    gen = torch.Generator().manual_seed(seed)
    idx, targets = tokens(gen, 2, SMALL["block_size"], SMALL["vocab_size"]), tokens(gen, 2, SMALL["block_size"], SMALL["vocab_size"])
    with torch.no_grad():
        no_dropout = ref.GPT(small(ref)).eval()
        no_dropout.load_state_dict(model.state_dict())
        expected_eval, _ = no_dropout(idx)
        got_eval, _ = model.eval()(idx)
        assert_close(got_eval, expected_eval, "GPT(config with dropout=0.2).eval()(idx) against the same weights with "
                     "dropout 0", rtol=1e-5, atol=1e-5, mistake="dropout only in training: dropout_p=self.dropout if "
                     "self.training else 0.0, and nn.Dropout modules (which follow model.eval()) elsewhere")
        model.train(), reference.train()
        torch.manual_seed(seed)
        expected_train, expected_loss = reference(idx, targets)
        torch.manual_seed(seed)
        got_train, got_loss = model(idx, targets)
    expect(not torch.allclose(expected_train, expected_eval), "precondition of this check: dropout 0.2 changes the "
           "reference's logits in train mode")
    assert_close(got_train, expected_train, "GPT(config with dropout=0.2).train()(idx) against the reference under the "
                 "same torch.manual_seed", rtol=1e-5, atol=1e-5,
                 mistake="apply every dropout of the given __init__, in forward order: drop(wte + wpe), dropout_p in "
                 "scaled_dot_product_attention, resid_dropout after attn.c_proj, mlp.dropout after mlp.c_proj")
    assert_close(got_loss, expected_loss, "the loss in train mode with dropout 0.2", rtol=1e-5, atol=1e-5)


def test_corner_cases_match_the_reference(impl, ref, seed):
    """Fixed corner cases beside the random draws: bias=False, one head, one token, a batch of one."""
    for overrides, B, T in [(dict(bias=False), 2, 5), (dict(n_head=1), 2, 5), ({}, 1, 1), (dict(bias=False, n_head=1), 1, 1)]:
        what = ", ".join([f"{k}={v}" for k, v in overrides.items()] + [f"idx of shape ({B}, {T})"])
        torch.manual_seed(seed)
        try:
            built = impl.GPT(small(impl, **overrides))
        except Exception as err:  # noqa: BLE001
            if isinstance(err, NotImplementedError):
                raise
            fail(f"GPT(config with {what.rsplit(', idx', 1)[0] or 'the SMALL shape'}) raised {type(err).__name__}: {err}",
                 mistake="with bias=False the Linear layers have .bias None: skip them when zeroing biases")
        if overrides.get("bias") is False:
            expect(all(not n.endswith("bias") for n, _ in built.named_parameters()), "GPT(bias=False) has biases")
        model = learner_model(impl, ref, seed, **overrides).double()
        reference = randomize_(ref.GPT(small(ref, **overrides)), seed).double().eval()
        gen = torch.Generator().manual_seed(seed)
        idx, targets = tokens(gen, B, T, SMALL["vocab_size"]), tokens(gen, B, T, SMALL["vocab_size"])
        with torch.no_grad():
            logits, loss = model(idx, targets)
            expected, expected_loss = reference(idx, targets)
        assert_close(logits, expected, f"GPT(config)(idx) with {what} against the reference", rtol=1e-9, atol=1e-9)
        assert_close(loss, expected_loss, f"the loss with {what}", rtol=1e-9, atol=1e-9)
