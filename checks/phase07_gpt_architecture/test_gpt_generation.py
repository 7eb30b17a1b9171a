"""Checks for phase07_gpt_architecture/generation.py: temperature, top-k, top-p, sampling and generate.

Expected probabilities are computed here from the definitions with torch.softmax; generation is compared
with a plain greedy loop over the reference model, and cached generation with uncached, token for token.
"""
import math

import pytest
import torch

from checks.helpers import assert_close, expect
from checks.phase07_gpt_architecture.common import SMALL, one_thread, randomize_, tokens  # noqa: F401 - one_thread: autouse


def random_logits(seed, B=4, V=30):
    return 3 * torch.randn(B, V, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_temperature_divides_the_logits(impl, seed, temperature):
    logits = random_logits(seed)
    assert_close(impl.next_token_probs(logits.clone(), temperature=temperature), torch.softmax(logits / temperature, -1),
                 f"next_token_probs(logits, temperature={temperature})", rtol=1e-9, atol=1e-12,
                 mistake="temperature divides the logits before the softmax: softmax(logits / T)")


@pytest.mark.parametrize("k", [1, 5])
def test_top_k_keeps_exactly_k(impl, seed, k):
    logits = random_logits(seed + k)
    probs = impl.next_token_probs(logits.clone(), temperature=0.8, top_k=k)
    kept = (probs > 0).sum(-1)
    expect(torch.all(kept == k).item(), f"next_token_probs(logits, top_k={k}) leaves {kept.tolist()} tokens per row with "
           f"nonzero probability; expected {k}", mistake="keep logits >= the k-th largest (topk(logits, k).values[..., -1])")
    top = torch.topk(logits, k, dim=-1)
    expected = torch.zeros_like(logits).scatter(-1, top.indices, torch.softmax(top.values / 0.8, -1))
    assert_close(probs, expected, f"next_token_probs(logits, temperature=0.8, top_k={k})", rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("k", [30, 100])
def test_top_k_of_the_whole_vocabulary_or_more(impl, seed, k):
    """A fixed corner case: top_k at or beyond the vocabulary size (30 here) keeps every token."""
    logits = random_logits(seed)
    assert_close(impl.next_token_probs(logits.clone(), top_k=k), torch.softmax(logits, -1),
                 f"next_token_probs(logits over 30 tokens, top_k={k})", rtol=1e-9, atol=1e-12,
                 mistake="torch.topk(logits, k) fails for k > V: take min(top_k, logits.size(-1))")


def test_top_p_keeps_the_nucleus(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(5, generator=gen)
    p = torch.tensor([0.45, 0.3, 0.15, 0.07, 0.03], dtype=torch.float64)
    logits = torch.log(p)[perm].unsqueeze(0)  # shuffled, so sorting and scattering back both matter
    for top_p, kept in [(0.05, 1), (0.6, 2), (0.8, 3), (0.95, 4), (1.0, 5)]:
        expected = torch.where(torch.arange(5) < kept, p, torch.zeros_like(p))
        expected = (expected / expected.sum())[perm].unsqueeze(0)
        assert_close(impl.next_token_probs(logits.clone(), top_p=top_p), expected,
                     f"next_token_probs(logits, top_p={top_p}) for probabilities {p.tolist()} (shuffled)",
                     rtol=1e-9, atol=1e-12, mistake="keep the most probable tokens until their mass reaches top_p "
                     "(the token that crosses it stays), zero the rest, renormalise")


def by_definition(logits, temperature=1.0, top_k=None, top_p=None):
    """next_token_probs written out from its docstring, in float64."""
    z = logits / temperature
    if top_k is not None:
        z = z.masked_fill(z < torch.topk(z, top_k, dim=-1).values[..., -1:], float("-inf"))
    p = torch.softmax(z, -1)
    if top_p is not None:
        sorted_p, order = torch.sort(p, dim=-1, descending=True)
        keep = (torch.cumsum(sorted_p, -1) - sorted_p) < top_p
        p = torch.zeros_like(p).scatter(-1, order, sorted_p * keep)
        p = p / p.sum(-1, keepdim=True)
    return p


@pytest.mark.parametrize("options", [dict(temperature=2.0, top_k=8, top_p=0.6), dict(temperature=0.5, top_p=0.9),
                                     dict(top_k=3, top_p=0.95), dict(temperature=0.7, top_k=12)],
                         ids=["all-three", "temperature-top-p", "top-k-top-p", "temperature-top-k"])
def test_options_in_combination(impl, seed, options):
    logits = random_logits(seed, B=6, V=30)
    expected = by_definition(logits, **options)
    expect(((expected > 0).sum(-1) < 30).all().item(), "precondition of this check: the options cut the distribution")
    assert_close(impl.next_token_probs(logits.clone(), **options), expected, f"next_token_probs(logits, {options})",
                 rtol=1e-9, atol=1e-12, mistake="all options together, in order: divide by temperature, keep the "
                 "top_k logits, softmax, then keep the top_p nucleus and renormalise")


def test_large_logits(impl, seed):
    """Logits in the thousands: the softmax must not overflow (PyTorch's softmax subtracts the max)."""
    logits = 300 * random_logits(seed)
    for options in (dict(temperature=0.7), dict(temperature=0.7, top_k=5, top_p=0.9)):
        assert_close(impl.next_token_probs(logits.clone(), **options), by_definition(logits, **options),
                     f"next_token_probs(logits in the thousands, {options})", rtol=1e-9, atol=1e-12,
                     mistake="exp(logits) overflows for large logits: use F.softmax, which subtracts the row max")


def test_greedy_and_seeded_sampling(impl, seed):
    logits = random_logits(seed, B=64, V=12)  # 64 draws: a sampler ignoring the generator cannot match by luck
    greedy = impl.sample_next_token(logits.clone(), temperature=0)
    assert_close(greedy, logits.argmax(-1, keepdim=True), "sample_next_token(logits, temperature=0): greedy, shape (B, 1)")
    a = impl.sample_next_token(logits.clone(), generator=torch.Generator().manual_seed(seed))
    torch.manual_seed(seed + 1)  # a sampler using the global generator would now draw differently
    b = impl.sample_next_token(logits.clone(), generator=torch.Generator().manual_seed(seed))
    assert_close(b, a, "two draws of sample_next_token(logits, generator=...) with identically seeded generators",
                 mistake="pass generator=generator to torch.multinomial")


def test_sample_frequencies(impl):
    """30,000 draws of one distribution (rows of a batch) through top_k=3: a chi-square test on the counts."""
    logits = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0], dtype=torch.float64)
    n = 30_000
    draws = impl.sample_next_token(logits.repeat(n, 1), temperature=1.0, top_k=3,
                                   generator=torch.Generator().manual_seed(1234))
    expect(tuple(draws.shape) == (n, 1), f"sample_next_token on (n, V) logits returned shape {tuple(draws.shape)}, "
           f"expected ({n}, 1)")
    counts = torch.bincount(draws.view(-1), minlength=5).double()
    expect(counts[3:].sum().item() == 0, f"top_k=3 drew tokens outside the top 3: counts {counts.tolist()}",
           mistake="top-k keeps exactly k tokens")
    expected = torch.softmax(logits[:3], -1) * n
    chi2 = float(((counts[:3] - expected) ** 2 / expected).sum())
    # 2 degrees of freedom: P(chi2 > 25) is about 4e-6 for a correct sampler
    expect(chi2 < 25, f"sample frequencies {(counts / n).tolist()} are far from {(expected / n).tolist()} "
           f"(chi-square {chi2:.1f})", mistake="sample from softmax(logits / T) over the kept tokens")


def model_and_prompt(ref_tree, seed, B=2, T=3):
    model_module = ref_tree.load("phase07_gpt_architecture.model")
    config = model_module.GPTConfig(**SMALL)
    model = randomize_(model_module.GPT(config), seed).double().eval()  # float64: no ties, no rounding doubts
    return model, tokens(torch.Generator().manual_seed(seed), B, T, config.vocab_size)


def test_generate_greedy_matches_a_plain_loop(impl, ref_tree, seed):
    model, idx = model_and_prompt(ref_tree, seed)
    n = SMALL["block_size"] + 4  # past block_size: the context must be cropped
    got = impl.generate(model, idx.clone(), n, temperature=0)
    expected = idx
    with torch.no_grad():
        for _ in range(n):
            logits, _ = model(expected[:, -SMALL["block_size"]:])
            expected = torch.cat([expected, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    assert_close(got, expected, f"generate(model, idx, {n}, temperature=0) (greedy) against argmax of the model's "
                 "last-position logits, one token at a time", mistake="feed at most the last block_size tokens; use "
                 "logits[:, -1, :]; append the new token and repeat")


@pytest.mark.parametrize("sampling", [dict(temperature=0), dict(temperature=0.9, top_k=10, top_p=0.9)],
                         ids=["greedy", "sampled"])
def test_cached_generation_equals_uncached(impl, ref_tree, seed, sampling):
    model, idx = model_and_prompt(ref_tree, seed)
    n = SMALL["block_size"] + 3
    gen = lambda: torch.Generator().manual_seed(seed)  # noqa: E731
    plain = impl.generate(model, idx.clone(), n, generator=gen(), use_cache=False, **sampling)
    cached = impl.generate(model, idx.clone(), n, generator=gen(), use_cache=True, **sampling)
    expect(tuple(plain.shape) == (2, 3 + n), f"generate(model, idx (2, 3), {n}) has shape {tuple(plain.shape)}, "
           f"expected (2, {3 + n})")
    assert_close(cached, plain, f"generate(model, idx, {n}, use_cache=True, {sampling}) against use_cache=False",
                 mistake="with the cache, feed the prompt once and then only the newest token; when the sequence "
                 "outgrows block_size, restart the cache on the cropped window")


@pytest.mark.parametrize("sampling", [dict(temperature=0.8, top_k=6), dict(temperature=1.2, top_p=0.7),
                                      dict(temperature=0.9, top_k=10, top_p=0.8)], ids=["top-k", "top-p", "both"])
def test_sampled_generation_equals_the_reference(impl, ref, ref_tree, seed, sampling):
    """Cached and uncached generation agreeing with each other is not enough (a mistake in both agrees too): the
    same model, prompt, options and seeded generator must give the reference's tokens."""
    model, idx = model_and_prompt(ref_tree, seed)
    n = SMALL["block_size"] + 2
    for use_cache in (False, True):
        got = impl.generate(model, idx.clone(), n, generator=torch.Generator().manual_seed(seed), use_cache=use_cache,
                            **sampling)
        expected = ref.generate(model, idx.clone(), n, generator=torch.Generator().manual_seed(seed), **sampling)
        assert_close(got, expected, f"generate(model, idx, {n}, use_cache={use_cache}, {sampling}) against the "
                     "reference with an identically seeded generator", mistake="pass temperature, top_k, top_p and "
                     "generator on to sample_next_token at every step")


def test_each_call_starts_a_fresh_cache(impl, ref_tree, seed):
    """Two cached generations in a row on the same model, the first stopping before block_size: the second must not
    see anything the first left behind."""
    model, idx = model_and_prompt(ref_tree, seed)
    impl.generate(model, idx.clone(), 4, temperature=0, use_cache=True)
    other = (idx + 1) % SMALL["vocab_size"]
    got = impl.generate(model, other.clone(), 6, temperature=0, use_cache=True)
    expected = impl.generate(model, other.clone(), 6, temperature=0, use_cache=False)
    assert_close(got, expected, "a second generate(model, idx, 6, use_cache=True) on the same model against "
                 "use_cache=False", mistake="make a new KVCache in every call of generate: keep no cache on the model "
                 "or in a global")


def compare_inputs(rng):
    logits = torch.from_numpy(rng.normal(size=(2, 10)) * 3)
    return [("next_token_probs(logits, temperature=0.7)", "next_token_probs", (logits,), dict(temperature=0.7)),
            ("next_token_probs(logits, top_k=3)", "next_token_probs", (logits,), dict(top_k=3)),
            ("next_token_probs(logits, top_p=0.8)", "next_token_probs", (logits,), dict(top_p=0.8)),
            ("sample_next_token(logits, temperature=0)", "sample_next_token", (logits,), dict(temperature=0))]
