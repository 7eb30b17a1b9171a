"""Checks for phase07_gpt_architecture/kv_cache.py: KVCache.update appends keys AND values per layer."""
import torch

from checks.helpers import assert_close, expect
from checks.phase07_gpt_architecture.common import SMALL, one_thread, randomize_, tokens  # noqa: F401 - one_thread: autouse


def test_update_appends_along_time(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    B, H, hs = 2, 3, 4
    rand = lambda T: torch.randn(B, H, T, hs, generator=gen)  # noqa: E731
    cache = impl.KVCache(n_layer=2)
    expect(cache.length == 0, f"KVCache(2).length is {cache.length} before any update; expected 0")
    k1, v1, k2, v2, k3, v3 = rand(3), rand(3), rand(2), rand(2), rand(3), rand(3)
    got = cache.update(0, k1, v1)
    expect(isinstance(got, tuple) and len(got) == 2, "cache.update(layer, k, v) must return (keys, values)")
    assert_close(got[0], k1, "keys from the first cache.update(0, k, v)", rtol=0, atol=0)
    assert_close(got[1], v1, "values from the first cache.update(0, k, v)", rtol=0, atol=0)
    cache.update(1, k3, v3)
    expect(cache.length == 3, f"cache.length is {cache.length} after one update of 3 positions; expected 3")
    k, v = cache.update(0, k2, v2)
    assert_close(k, torch.cat([k1, k2], dim=2), "keys after cache.update(0, k1, v1) then cache.update(0, k2, v2)",
                 rtol=0, atol=0, mistake="append along the time axis, dim=-2")
    assert_close(v, torch.cat([v1, v2], dim=2), "values after cache.update(0, k1, v1) then cache.update(0, k2, v2)",
                 rtol=0, atol=0, mistake="the values must be appended just like the keys")
    expect(cache.length == 5, f"cache.length is {cache.length} after 3 + 2 positions; expected 5")
    k, v = cache.update(1, k2, v2)
    assert_close(v, torch.cat([v3, v2], dim=2), "values of layer 1 after its second update", rtol=0, atol=0,
                 mistake="each layer has its own keys and values")


def test_cached_greedy_decoding_equals_uncached(impl, ref_tree, seed):
    """Token by token through the reference GPT with your cache: the same tokens and logits as without it."""
    model_module = ref_tree.load("phase07_gpt_architecture.model")
    config = model_module.GPTConfig(**SMALL)
    model = randomize_(model_module.GPT(config), seed).double().eval()
    idx = tokens(torch.Generator().manual_seed(seed), 2, 4, config.vocab_size)
    cache = impl.KVCache(config.n_layer)
    with torch.no_grad():
        cached_logits, _ = model(idx, kv_cache=cache)
        plain = cached = idx
        for step in range(config.block_size - idx.size(1)):
            full_logits, _ = model(plain)
            assert_close(cached_logits[:, -1], full_logits[:, -1], f"next-token logits at step {step} with your "
                         "KVCache against a full forward pass", rtol=1e-9, atol=1e-9,
                         mistake="append the new keys AND values; return everything cached for that layer")
            plain = torch.cat([plain, full_logits[:, -1:].argmax(-1)], dim=1)
            cached = torch.cat([cached, cached_logits[:, -1:].argmax(-1)], dim=1)
            if cached.size(1) < config.block_size:
                cached_logits, _ = model(cached[:, -1:], kv_cache=cache)
    expect(torch.equal(cached, plain), "greedy tokens generated with your KVCache differ from those without it")
