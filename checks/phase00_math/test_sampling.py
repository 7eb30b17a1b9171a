"""Checks for phase00_math/sampling.py: inverse-CDF sampling with a given generator."""
import numpy as np

from checks.helpers import assert_close, expect


def test_matches_reference_with_same_generator(impl, ref, seed, rng):
    probs = rng.dirichlet(np.ones(6))
    got = impl.sample_categorical(probs, 50, np.random.default_rng(seed))
    assert_close(got, ref.sample_categorical(probs, 50, np.random.default_rng(seed)),
                 "sample_categorical(probs, 50, generator) against the reference with an identically seeded generator",
                 mistake="draw one u = generator.random() per sample and take the first index whose cdf exceeds u")


def test_reproducible_and_uses_the_generator(impl, seed, rng):
    probs = rng.dirichlet(np.ones(5))
    a = impl.sample_categorical(probs, 200, np.random.default_rng(seed))
    np.random.seed((seed + 1) % 2**32)  # a global-state sampler would now draw differently
    b = impl.sample_categorical(probs, 200, np.random.default_rng(seed))
    expect(np.array_equal(a, b), "two generators with the same seed gave different samples",
           mistake="randomness must come from the `generator` argument, not np.random or random")
    c = impl.sample_categorical(probs, 200, np.random.default_rng(seed + 1))
    expect(not np.array_equal(a, c), "generators with different seeds gave identical samples: is the generator ignored?")


def test_frequencies_match_probabilities(impl):
    """A chi-square test at 200,000 draws with a fixed generator: a biased sampler fails it by far."""
    probs = np.array([0.5, 0.25, 0.125, 0.0625, 0.0625, 0.0])
    n = 200_000
    samples = impl.sample_categorical(probs, n, np.random.default_rng(1234))
    expect(np.shape(samples) == (n,), f"sample_categorical(probs, {n}, g) has shape {np.shape(samples)}, expected ({n},)")
    expect(np.issubdtype(np.asarray(samples).dtype, np.integer), "samples must be integer indices")
    counts = np.bincount(samples, minlength=len(probs))
    expect(counts[-1] == 0, "an outcome of probability 0 was drawn")
    expected = probs[:-1] * n
    chi2 = float(np.sum((counts[:-1] - expected) ** 2 / expected))
    # 4 degrees of freedom: P(chi2 > 30) is about 5e-6 for a correct sampler.
    expect(chi2 < 30.0, f"observed frequencies {np.round(counts / n, 4).tolist()} are far from {probs.tolist()} "
           f"(chi-square {chi2:.1f}, 4 degrees of freedom)", mistake="is the cumulative sum compared with u the right way?")


def compare_inputs(rng):
    probs = rng.dirichlet(np.ones(6))
    return [("sample_categorical(probs, 20, default_rng(0))", "sample_categorical",
             (probs, 20, np.random.default_rng(0)), {})]
