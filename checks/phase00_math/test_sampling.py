"""Checks for phase00_math/sampling.py: inverse-CDF sampling with a given generator."""
import numpy as np

from checks.helpers import assert_close, expect


class FixedDraws:
    """Stands in for a np.random.Generator whose uniform draws are given: the corner cases a random draw all but
    never hits. random(n) (or random() n times, or uniform(0, 1, n)) returns them in order."""

    def __init__(self, values):
        self.values, self.used = list(values), 0

    def random(self, size=None):
        n = 1 if size is None else int(np.prod(size))
        draws = np.array(self.values[self.used:self.used + n], dtype=np.float64)
        expect(len(draws) == n, f"sample_categorical drew more than {len(self.values)} uniforms for "
                                f"{len(self.values)} samples", mistake="one uniform u per sample")
        self.used += n
        return float(draws[0]) if size is None else draws.reshape(size)

    def uniform(self, low=0.0, high=1.0, size=None):
        return low + (high - low) * self.random(size)


def test_corner_draws(impl):
    """u = 0 exactly must skip outcomes of probability 0; u on a cdf step goes to the next outcome; the
    largest u the generator can return must land on the last outcome although the cdf ends just below 1."""
    got = impl.sample_categorical(np.array([0.0, 0.5, 0.5]), 2, FixedDraws([0.0, 0.5]))
    assert_close(got, np.array([1, 2]), "sample_categorical([0, 0.5, 0.5], 2, draws u = 0.0 and 0.5)",
                 mistake="the FIRST index whose cdf EXCEEDS u (np.searchsorted(cdf, u, side='right')); "
                         "with side='left' u = 0 picks an outcome of probability 0")
    probs = np.full(10, 0.1)
    u = np.nextafter(1.0, 0.0)               # the largest value generator.random() returns
    expect(np.cumsum(probs)[-1] < 1.0 and u >= np.cumsum(probs)[-1],
           "precondition of this check: rounding leaves cumsum([0.1] * 10)[-1] below 1, under the largest draw")
    got = impl.sample_categorical(probs, 1, FixedDraws([u]))
    assert_close(got, np.array([9]), "sample_categorical([0.1] * 10, 1, draw u = 1 - 2^-53)",
                 mistake="np.cumsum(probs)[-1] is 0.9999999999999999 here: set the last cdf entry to 1 so that no u "
                         "falls past it (the index would be 10, out of range)")


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
