"""Checks for phase09_modern_developments/sliding_window.py: the window's mask, windowed attention, and a rolling
cache whose generation equals generation without one."""
import math

import torch

from checks.helpers import assert_close, expect
from checks.phase09_modern_developments.common import TINY, randomize_, tokens

WHY = "query position i sees key position j when 0 <= i - j < window: `window` positions, itself included"


def test_mask_of_a_window_of_three(impl):
    got = impl.sliding_window_mask(torch.arange(5), torch.arange(5), 3)
    expected = torch.tensor([[1, 0, 0, 0, 0],
                             [1, 1, 0, 0, 0],
                             [1, 1, 1, 0, 0],
                             [0, 1, 1, 1, 0],
                             [0, 0, 1, 1, 1]], dtype=torch.bool)
    expect(isinstance(got, torch.Tensor) and got.dtype == torch.bool, "sliding_window_mask must return a bool tensor")
    expect(torch.equal(got, expected), f"sliding_window_mask(0..4, 0..4, window=3) is\n{got.int()}\nexpected\n"
           f"{expected.int()}", WHY)
    later = impl.sliding_window_mask(torch.tensor([9]), torch.arange(5, 10), 3)
    expect(torch.equal(later, torch.tensor([[False, False, True, True, True]])),
           f"sliding_window_mask([9], 5..9, window=3) is {later.int().tolist()}; expected [[0, 0, 1, 1, 1]]",
           "compare positions, not indices: a query at position 9 sees 7, 8 and 9")


def windowed_by_hand(q, k, v, window):
    out = torch.empty_like(q)
    for i in range(q.size(-2)):
        lo = max(0, i - window + 1)
        scores = q[..., i:i + 1, :] @ k[..., lo:i + 1, :].transpose(-2, -1) / math.sqrt(q.size(-1))
        out[..., i:i + 1, :] = scores.softmax(-1) @ v[..., lo:i + 1, :]
    return out


def test_attention_over_the_window(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    q, k, v = (torch.randn(2, 3, 11, 4, generator=gen, dtype=torch.float64) for _ in range(3))
    for window in (1, 4, 11):
        assert_close(impl.sliding_window_attention(q, k, v, window), windowed_by_hand(q, k, v, window),
                     f"sliding_window_attention(q, k, v, window={window}) for T = 11", rtol=1e-10, atol=1e-12, mistake=WHY)


def test_scores_in_the_thousands(impl, seed):
    """q and k 30 times unit size; windows of 1, 3 and 20 (longer than T = 7: every earlier position)."""
    gen = torch.Generator().manual_seed(seed)
    q, k = (30 * torch.randn(2, 2, 7, 4, generator=gen, dtype=torch.float64) for _ in range(2))
    v = torch.randn(2, 2, 7, 4, generator=gen, dtype=torch.float64)
    for window in (1, 3, 20):
        assert_close(impl.sliding_window_attention(q, k, v, window), windowed_by_hand(q, k, v, window),
                     f"sliding_window_attention(q, k, v, window={window}) with scores in the thousands", rtol=1e-9,
                     atol=1e-10, mistake="exp(1000) overflows: use F.scaled_dot_product_attention with the boolean mask")


def test_rolling_cache_keeps_the_last_window(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    cache = impl.RollingKVCache(n_layer=2, window=4)
    seen_k, seen_v = [], []
    for T in (3, 1, 1, 2, 1, 5, 1):
        k, v = torch.randn(1, 2, T, 3, generator=gen), torch.randn(1, 2, T, 3, generator=gen)
        kept = min(len(seen_k), 4)
        got_k, got_v = cache.update(0, k, v)
        seen_k += list(k.unbind(2))
        seen_v += list(v.unbind(2))
        expected_k = torch.stack(seen_k[len(seen_k) - T - kept:], dim=2)
        expected_v = torch.stack(seen_v[len(seen_v) - T - kept:], dim=2)
        assert_close(got_k, expected_k, f"keys returned by update(0, k, v) with {T} new positions after {len(seen_k) - T} "
                     f"seen (window 4)", rtol=0, atol=0, mistake="return the kept keys (at most `window`) followed by the "
                     "new ones, oldest first")
        assert_close(got_v, expected_v, "the values returned with them", rtol=0, atol=0,
                     mistake="values are kept and returned exactly like keys")
        expect(cache.length == len(seen_k), f"cache.length is {cache.length} after {len(seen_k)} positions; it counts every "
               "position seen (the next token's position), not only those kept")
        expect(cache.keys[0].size(-2) <= 4 and cache.values[0].size(-2) <= 4,
               f"the cache holds {cache.keys[0].size(-2)} positions; a window of 4 needs at most 4")
    expect(cache.keys[1] is None, "layer 1 was never updated, so it must hold nothing")


def test_generation_with_the_rolling_cache(impl, ref_tree, seed):
    """Greedy decoding by the reference LLaMA with a window of 6: with your rolling cache, the tokens and logits of
    full recomputation at every length, and those of phase 7's full cache while the text fits in the window."""
    llama = ref_tree.load("phase09_modern_developments.llama")
    full_cache = ref_tree.load("phase07_gpt_architecture.kv_cache").KVCache
    window = 6
    model = randomize_(llama.Llama(llama.LlamaConfig(**TINY, sliding_window=window)), seed).double().eval()
    idx = tokens(seed, 2, 3, TINY["vocab_size"])
    rolling, full = impl.RollingKVCache(TINY["n_layer"], window), full_cache(TINY["n_layer"])
    with torch.no_grad():
        rolling_logits, _ = model(idx, kv_cache=rolling)
        full_logits, _ = model(idx, kv_cache=full)
        for step in range(TINY["block_size"] - idx.size(1)):
            length = idx.size(1)
            recomputed, _ = model(idx)
            assert_close(rolling_logits[:, -1], recomputed[:, -1], f"next-token logits at length {length} (window 6) with "
                         "your RollingKVCache against recomputing the whole sequence", rtol=1e-9, atol=1e-9,
                         mistake="keep the last `window` keys and values and return them before the new ones; length "
                                 "counts every position seen, so RoPE keeps the true positions")
            if length <= window:
                assert_close(rolling_logits[:, -1], full_logits[:, -1], f"next-token logits at length {length} with your "
                             "RollingKVCache against phase 7's full KVCache (the text still fits in the window)",
                             rtol=1e-9, atol=1e-9, mistake="within the window nothing may be dropped yet")
            nxt = recomputed[:, -1:].argmax(-1)
            idx = torch.cat([idx, nxt], dim=1)
            if idx.size(1) < TINY["block_size"]:
                rolling_logits, _ = model(nxt, kv_cache=rolling)
                if idx.size(1) <= window:
                    full_logits, _ = model(nxt, kv_cache=full)
    expect(rolling.keys[0].size(-2) <= window, f"after {idx.size(1) - 1} positions your cache holds "
           f"{rolling.keys[0].size(-2)} per layer; the window is {window}")
