"""Checks for phase10_blog_writing/attention_map.py: one head's weights are a causal distribution per row, equal to
the reference's on a seeded GPT, and reproduce the model's own attention output."""
import torch

from checks.helpers import assert_close, expect

TINY = dict(block_size=16, vocab_size=29, n_layer=2, n_head=4, n_embd=32)


def _model(ref_tree, seed):
    """A small GPT with weights large enough that every head attends unevenly."""
    gpt = ref_tree.load("phase07_gpt_architecture.model")
    model = gpt.GPT(gpt.GPTConfig(**TINY))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            noise = torch.randn(p.shape, generator=gen)
            p.copy_(0.5 * noise if p.dim() > 1 else 1 + 0.1 * noise)
    return model, torch.randint(0, TINY["vocab_size"], (1, 11), generator=gen)


def test_rows_are_causal_distributions(impl, ref_tree, seed):
    model, idx = _model(ref_tree, seed)
    weights = impl.attention_weights(model, idx, layer=1, head=2)
    expect(tuple(weights.shape) == (11, 11), f"attention_weights(model, idx (1, 11), 1, 2) has shape "
           f"{tuple(weights.shape)}, expected (11, 11)")
    assert_close(weights.sum(-1), torch.ones(11), "each row of attention_weights summed", rtol=1e-5,
                 mistake="softmax over the keys (the last axis), after masking")
    future = torch.ones(11, 11, dtype=torch.bool).triu(1)
    expect(bool(torch.all(weights[future] == 0)), "attention_weights puts weight on future positions "
           f"(largest {float(weights[future].abs().max()):.3g}); the causal mask makes them exactly 0",
           mistake="mask scores with s > t to -inf before the softmax")
    expect(bool(torch.all(weights >= 0)), "attention_weights has negative entries")


def test_equals_the_reference_on_a_seeded_gpt(impl, ref, ref_tree, seed):
    model, idx = _model(ref_tree, seed)
    for layer, head in ((0, 0), (1, 3)):
        assert_close(impl.attention_weights(model, idx, layer, head), ref.attention_weights(model, idx, layer, head),
                     f"attention_weights(model, idx, layer={layer}, head={head})", rtol=1e-4, atol=1e-6,
                     mistake="q . k / sqrt(hs) on ln_1's output of that layer, head h's channels h hs .. (h + 1) hs")


def test_reproduces_the_models_own_attention(impl, ref_tree, seed):
    """The weights times the head's values give what the model's attention itself computed (c_proj's input)."""
    model, idx = _model(ref_tree, seed)
    block, C, hs = model.transformer.h[1], TINY["n_embd"], TINY["n_embd"] // TINY["n_head"]
    seen = {}
    hooks = [block.ln_1.register_forward_hook(lambda m, a, out: seen.setdefault("x", out)),
             block.attn.c_proj.register_forward_hook(lambda m, a, out: seen.setdefault("y", a[0]))]
    with torch.no_grad():
        model.eval()(idx)
    for h in hooks:
        h.remove()
    weights = impl.attention_weights(model, idx, layer=1, head=1)
    v = block.attn.c_attn(seen["x"]).split(C, dim=2)[2][0, :, hs:2 * hs]
    assert_close((weights @ v).detach(), seen["y"][0, :, hs:2 * hs], "attention_weights(..., layer=1, head=1) @ v "
                 "against the model's attention output for that head", rtol=1e-4, atol=1e-5,
                 mistake="scale by 1 / sqrt(hs), the head's size, not of C")


def test_leaves_the_model_as_it_found_it(impl, ref_tree, seed):
    model, idx = _model(ref_tree, seed)
    model.train()
    impl.attention_weights(model, idx, 0, 0)
    expect(model.training, "attention_weights left the model in eval mode; put it back in the mode it was in")
    impl.attention_weights(model, idx, 0, 0)
    hooks = sum(len(m._forward_hooks) for m in model.modules())
    expect(hooks == 0, f"attention_weights left {hooks} forward hook(s) on the model; remove them (handle.remove())")


def test_most_attended(impl):
    weights = torch.tensor([[1.0, 0.0, 0.0], [0.3, 0.7, 0.0], [0.4, 0.4, 0.2]])
    got = impl.most_attended(weights, ["a", "b", "c"])
    expected = [("a", "a", 1.0), ("b", "b", 0.7), ("c", "a", 0.4)]
    expect([(q, k) for q, k, _ in got] == [(q, k) for q, k, _ in expected],
           f"most_attended(...) gave {got}, expected {expected}", mistake="argmax over the keys; ties to the earliest")
    assert_close([w for _, _, w in got], [w for _, _, w in expected], "most_attended's weights", rtol=1e-6)
