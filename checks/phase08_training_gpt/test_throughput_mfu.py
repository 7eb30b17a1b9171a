"""Checks for phase08_training_gpt/throughput.py: 6N + 12 L H Q T FLOPs per token, and MFU."""
import torch

from checks.helpers import assert_close


def test_gpt2_small_flops_per_token(impl):
    n = 124_439_808 - 1024 * 768           # GPT-2 Small without its position embedding
    expected = 6 * n + 12 * 12 * 12 * 64 * 1024
    assert_close(impl.flops_per_token(n, 12, 12, 64, 1024), expected,
                 "flops_per_token(123_653_376, n_layer=12, n_head=12, head_size=64, seq_len=1024)", rtol=1e-12,
                 mistake="6 * n_params + 12 * n_layer * n_head * head_size * seq_len")
    assert_close(expected / 1e6, 855.0, "GPT-2 Small's MFLOP per token (6N + 12·L·H·Q·T, notes/phase08_training_gpt.md)", rtol=1e-3)


def test_model_flops_per_token(impl, ref_tree, rng):
    gpt = ref_tree.load("phase07_gpt_architecture.model")
    with torch.device("meta"):          # shapes only: no memory, no initialisation cost
        small = gpt.GPT(gpt.GPTConfig())
    expected = 6 * (124_439_808 - 1024 * 768) + 12 * 12 * 12 * 64 * 1024
    assert_close(impl.model_flops_per_token(small), expected, "model_flops_per_token(GPT(GPTConfig()))", rtol=1e-12,
                 mistake="count every parameter once (tied head = embedding) except transformer.wpe; head_size = n_embd // n_head")
    layers, heads, width, block = int(rng.integers(1, 4)), 2, 8 * int(rng.integers(1, 4)), int(rng.integers(4, 64))
    with torch.device("meta"):
        tiny = gpt.GPT(gpt.GPTConfig(block_size=block, vocab_size=50, n_layer=layers, n_head=heads, n_embd=width))
    seen, n = set(), 0
    for name, p in tiny.named_parameters():
        if id(p) not in seen and "wpe" not in name:
            seen.add(id(p))
            n += p.numel()
    assert_close(impl.model_flops_per_token(tiny), 6 * n + 12 * layers * heads * (width // heads) * block,
                 f"model_flops_per_token of a GPT with n_layer={layers}, n_embd={width}, block_size={block}", rtol=1e-12)


def test_mfu(impl, rng):
    # nanoGPT on one H200: 511K tokens/s at 855 MFLOP a token of a 989 TFLOP/s peak is 44% (nanoGPT's bench.py; notes/phase08_training_gpt.md).
    assert_close(impl.mfu(511e3, 855e6, 989e12), 511e3 * 855e6 / 989e12, "mfu(511e3, 855e6, 989e12)", rtol=1e-12,
                 mistake="MFU = tokens_per_second * flops_per_token / peak")
    assert_close(round(impl.mfu(511e3, 855e6, 989e12), 2), 0.44, "MFU of nanoGPT on an H200", atol=1e-12)
    t = float(rng.uniform(1e3, 1e6))
    assert_close(impl.mfu(2 * t, 1e6, 1e13), 2 * impl.mfu(t, 1e6, 1e13), "mfu at twice the throughput", rtol=1e-12)
