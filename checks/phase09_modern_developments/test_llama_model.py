"""Checks for phase09_modern_developments/llama.py: the LLaMA-style GPT's logits equal the reference's for the same
weights, its parameters are counted by hand, it is causal, its KV cache changes nothing, and it trains."""
import torch
import torch.nn as nn

from checks.helpers import assert_close, expect
from checks.phase09_modern_developments.common import TINY, randomize_, tokens

WHY = ("x = wte(idx) (no position table); blocks: x + attn(ln_1(x), positions), x + mlp(ln_2(x)); ln_f; tied head. "
       "attention: q from c_q, k then v from c_kv, RoPE on q and k at their positions, grouped-query attention")


def pair(impl, ref, seed, **overrides):
    """Your model and the reference with the same random weights, in float64."""
    config = dict(TINY, **overrides)
    mine = randomize_(impl.Llama(impl.LlamaConfig(**config)), seed).double().eval()
    theirs = ref.Llama(ref.LlamaConfig(**config)).double().eval()
    theirs.load_state_dict(mine.state_dict())
    return mine, theirs


def test_logits_equal_the_reference(impl, ref, seed):
    for overrides in ({}, dict(n_kv_head=1), dict(n_kv_head=4), dict(sliding_window=5)):
        mine, theirs = pair(impl, ref, seed, **overrides)
        idx = tokens(seed, 2, TINY["block_size"], TINY["vocab_size"])
        with torch.no_grad():
            got, loss = mine(idx, idx)
            expected, expected_loss = theirs(idx, idx)
        label = ", ".join(f"{k}={v}" for k, v in overrides.items()) or "the tiny config"
        assert_close(got, expected, f"logits of Llama({label}) for idx of shape (2, 24)", rtol=1e-9, atol=1e-9, mistake=WHY)
        assert_close(loss, expected_loss, f"loss of Llama({label})", rtol=1e-9, atol=1e-9,
                     mistake="mean cross-entropy over all B * T positions")


def test_dropout_in_eval_and_in_training(impl, ref, seed):
    """dropout=0.3: in eval mode nothing is dropped (twice the same logits, the reference's); in training mode, with
    the same seed before each forward pass, the same units are dropped as in the reference (after the embedding,
    after attention's c_proj, after the MLP), so the logits and loss are the reference's."""
    mine, theirs = pair(impl, ref, seed, dropout=0.3)
    idx = tokens(seed, 2, 10, TINY["vocab_size"])
    with torch.no_grad():
        first, _ = mine(idx)
        second, _ = mine(idx)
        expected, _ = theirs(idx)
    assert_close(first, second, "two eval-mode forward passes with dropout=0.3", rtol=0, atol=0,
                 mistake="use the model's nn.Dropout modules (self.transformer.drop, ...): F.dropout(x, p) drops in "
                         "eval mode too unless given training=self.training")
    assert_close(first, expected, "eval-mode logits with dropout=0.3 against the reference", rtol=1e-9, atol=1e-9)
    mine.train()
    theirs.train()
    with torch.no_grad():
        torch.manual_seed(seed)
        got, loss = mine(idx, idx)
        torch.manual_seed(seed)
        expected, expected_loss = theirs(idx, idx)
    assert_close(got, expected, "training-mode logits with dropout=0.3 and the same seed as the reference", rtol=1e-9,
                 atol=1e-9, mistake="dropout in three places, in this order: on wte's output, on attention's output "
                 "after c_proj (resid_dropout), on the MLP's output before the residual sum (the block's dropout)")
    assert_close(loss, expected_loss, "training-mode loss with dropout=0.3 against the reference", rtol=1e-9, atol=1e-9)


def test_parameters_counted_by_hand(impl, seed):
    torch.manual_seed(seed)
    model = impl.Llama(impl.LlamaConfig(**TINY))
    V, C, L, hs, H_kv, hidden = 41, 32, 2, 8, 2, 88           # hidden: int(2/3 * 128) = 85, up to a multiple of 8
    per_block = 2 * C + C * C + C * 2 * H_kv * hs + C * C + 3 * C * hidden
    expected = V * C + L * per_block + C
    expect(model.num_parameters() == expected, f"the tiny Llama has {model.num_parameters():,} parameters; expected "
           f"{expected:,} = wte {V * C} + {L} blocks of {per_block} + ln_f {C}")
    expect(not any(n.endswith("bias") for n, _ in model.named_parameters()), "a LLaMA-style model has no biases")
    expect(model.lm_head.weight is model.transformer.wte.weight, "lm_head must be tied to the token embedding")


def test_init(impl, seed):
    torch.manual_seed(seed)
    model = impl.Llama(impl.LlamaConfig(**dict(TINY, n_layer=8, n_embd=64, n_head=4, n_kv_head=2)))
    q_std = model.transformer.h[0].attn.c_q.weight.std().item()
    proj_std = torch.cat([b.attn.c_proj.weight.flatten() for b in model.transformer.h]).std().item()
    down_std = torch.cat([b.mlp.w_down.weight.flatten() for b in model.transformer.h]).std().item()
    expect(abs(q_std - 0.02) < 0.003, f"c_q weights have std {q_std:.4f}; expected GPT-2's 0.02")
    for name, std in (("attn.c_proj", proj_std), ("mlp.w_down", down_std)):
        expect(abs(std - 0.005) < 0.0008, f"{name} weights have std {std:.4f}; expected 0.02 / sqrt(2 * 8) = 0.005",
               "the two projections into the residual stream are scaled by 1 / sqrt(2 n_layer)")
    expect(torch.equal(model.transformer.h[0].ln_1.weight, torch.ones(64)), "RMSNorm gains start at one")


def test_causal_and_cache(impl, ref, ref_tree, seed):
    mine, _ = pair(impl, ref, seed)
    idx = tokens(seed, 2, 12, TINY["vocab_size"])
    changed = idx.clone()
    changed[:, 8:] = (changed[:, 8:] + 1) % TINY["vocab_size"]
    with torch.no_grad():
        a, _ = mine(idx)
        b, _ = mine(changed)
        assert_close(b[:, :8], a[:, :8], "logits at positions 0..7 after changing tokens 8..11", rtol=0, atol=1e-12,
                     mistake="attention must be causal: use is_causal=True (or a lower-triangular mask)")
        cache = ref_tree.load("phase07_gpt_architecture.kv_cache").KVCache(TINY["n_layer"])
        first, _ = mine(idx[:, :5], kv_cache=cache)
        second, _ = mine(idx[:, 5:9], kv_cache=cache)      # 4 new tokens after 5 cached: an explicit mask
        third, _ = mine(idx[:, 9:10], kv_cache=cache)      # one new token
    assert_close(torch.cat([first, second, third], dim=1), a[:, :10], "logits computed 5 + 4 + 1 tokens at a time with "
                 "phase 7's KVCache against one forward pass", rtol=1e-9, atol=1e-9,
                 mistake="positions = arange(P, P + T) with P = kv_cache.length; RoPE before the cache; with cached keys "
                         "query i sees keys 0..P + i")


def test_it_learns_a_batch(impl, ref_tree, seed):
    torch.manual_seed(seed)
    model = impl.Llama(impl.LlamaConfig(**TINY))
    optimizer = ref_tree.load("phase08_training_gpt.adamw").AdamW(model.parameters(), lr=3e-3)
    x = tokens(seed, 4, 17, TINY["vocab_size"])
    losses = []
    for _ in range(30):
        _, loss = model(x[:, :-1].contiguous(), x[:, 1:].contiguous())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    expect(losses[0] > 3.4 and losses[-1] < losses[0] - 1.0, f"training loss {losses[0]:.3f} -> {losses[-1]:.3f} over 30 "
           f"AdamW steps on one batch; expected about log(41) = 3.71 at first and a fall of over 1 nat",
           "every block must add to the residual stream and the gradient must reach every weight")
    expect(all(isinstance(m, nn.Linear) and m.bias is None for m in model.modules() if isinstance(m, nn.Linear)),
           "no Linear layer may have a bias")
