"""Checks for phase00_math/bigram.py: the maximum-likelihood bigram model."""
import numpy as np

from checks.helpers import assert_close, expect

VOCAB = list("abcde ")


def random_text(rng, n=300):
    return "".join(rng.choice(VOCAB, size=n))


def test_counts_match_reference(impl, ref, rng):
    text = random_text(rng)
    assert_close(impl.bigram_counts(text, VOCAB), ref.bigram_counts(text, VOCAB), "bigram_counts(text, vocab)",
                 mistake="counts[i, j] counts vocab[j] FOLLOWING vocab[i]: index [current, next]")


def test_counts_known_value(impl):
    counts = impl.bigram_counts("abab", ["a", "b"])
    assert_close(counts, np.array([[0, 2], [1, 0]]), "bigram_counts('abab', ['a', 'b'])")


def test_counts_of_short_texts(impl):
    """Fixed corner cases: the empty string and one character have no pairs; two characters have one."""
    for text in ("", "a"):
        assert_close(impl.bigram_counts(text, VOCAB), np.zeros((6, 6), dtype=np.int64),
                     f"bigram_counts({text!r}, vocab) (no pairs: all zeros)",
                     mistake="a text shorter than 2 characters has no pairs; an empty index array must still be "
                             "integer (np.array([]) is float)")
    assert_close(impl.bigram_counts("ba", ["a", "b"]), np.array([[0, 0], [1, 0]]), "bigram_counts('ba', ['a', 'b'])")


def test_probabilities_match_reference(impl, ref, rng):
    counts = ref.bigram_counts(random_text(rng, 100), VOCAB)
    for smoothing in (0.0, 1.0):
        probs = impl.bigram_probabilities(counts, smoothing)
        assert_close(probs, ref.bigram_probabilities(counts, smoothing),
                     f"bigram_probabilities(counts, smoothing={smoothing})",
                     mistake="normalise each row (the current character), not each column")
        assert_close(probs.sum(axis=1), np.ones(len(VOCAB)), "row sums of bigram_probabilities")


def test_empty_row_is_uniform(impl):
    probs = impl.bigram_probabilities(np.array([[0, 3], [0, 0]]), 0.0)
    expect(not np.any(np.isnan(probs)), "a character never seen as 'current' gave NaN probabilities (0/0)")
    assert_close(probs[1], np.array([0.5, 0.5]), "the row of a character with no counts")


def test_nll_matches_reference_and_beats_uniform(impl, ref, rng):
    # A text with structure: each character usually followed by the next in VOCAB.
    idx = [0]
    for _ in range(2000):
        idx.append((idx[-1] + 1) % len(VOCAB) if rng.random() < 0.8 else int(rng.integers(len(VOCAB))))
    text = "".join(VOCAB[i] for i in idx)
    probs = ref.bigram_probabilities(ref.bigram_counts(text, VOCAB), 1.0)
    nll = impl.bigram_nll(text, VOCAB, probs)
    assert_close(nll, ref.bigram_nll(text, VOCAB, probs), "bigram_nll(text, vocab, probs)",
                 mistake="the mean of -log P(next | current) over the len(text) - 1 pairs")
    expect(nll < np.log(len(VOCAB)), f"bigram NLL {nll:.3f} is not below the uniform model's ln 6 = 1.792")


def compare_inputs(rng):
    text = random_text(rng)
    counts = np.zeros((6, 6), dtype=np.int64) + 1
    return [("bigram_counts(text, vocab)", "bigram_counts", (text, VOCAB), {}),
            ("bigram_probabilities(counts, 1.0)", "bigram_probabilities", (counts, 1.0), {})]
