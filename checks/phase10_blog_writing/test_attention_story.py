"""Checks for phase10_blog_writing/length_story.py: exact-match accuracy by length on fresh strings, and every
model of the series on the same strings. Decoders here are made-up functions, so no training is needed."""
import numpy as np

from checks.helpers import assert_close, expect


def reverse(src):
    return src[:, ::-1]


def short_only(src):
    """Right up to length 8, then the last digit wrong."""
    out = src[:, ::-1].copy()
    if src.shape[1] > 8:
        out[:, -1] = (out[:, -1] + 1) % 10
    return out


def first_digit_even(src):
    """Right exactly on the strings whose first digit is even: accuracy about one half, different per seed."""
    out = src[:, ::-1].copy()
    out[src[:, 0] % 2 == 1, 0] += 1
    return out


def test_known_decoders(impl):
    got = impl.exact_match_by_length(reverse, [3, 9], 50, 0)
    expect(got == {3: 1.0, 9: 1.0}, f"exact_match_by_length(a perfect reverser, [3, 9], 50, 0) gave {got}, expected "
           "{3: 1.0, 9: 1.0}", mistake="compare with the target, the source reversed")
    got = impl.exact_match_by_length(short_only, [4, 8, 9, 12], 50, 0)
    expect(got == {4: 1.0, 8: 1.0, 9: 0.0, 12: 0.0}, f"exact_match_by_length(right up to length 8, [4, 8, 9, 12], ...) "
           f"gave {got}, expected {{4: 1.0, 8: 1.0, 9: 0.0, 12: 0.0}}",
           mistake="a string counts only when EVERY digit is right (np.all over the positions), not per digit")


def test_against_the_reference_with_the_same_seed(impl, ref, seed):
    lengths = [5, 3, 11]
    got = impl.exact_match_by_length(first_digit_even, lengths, 80, seed)
    expected = ref.exact_match_by_length(first_digit_even, lengths, 80, seed)
    expect(list(got) == lengths, f"exact_match_by_length's keys are {list(got)}, expected the lengths in order {lengths}")
    assert_close([got[L] for L in lengths], [expected[L] for L in lengths],
                 f"exact_match_by_length(right on strings starting with an even digit, {lengths}, 80, seed)",
                 mistake="one default_rng(seed) for the call, reversal_batch(n, length, rng) for each length in turn")


def test_fresh_strings_of_each_length(impl, seed):
    seen = []

    def recording(src):
        seen.append(np.array(src))
        return src[:, ::-1]

    impl.exact_match_by_length(recording, [6, 6, 10], 40, seed)
    expect([s.shape for s in seen] == [(40, 6), (40, 6), (40, 10)], f"decode was called on shapes "
           f"{[s.shape for s in seen]}, expected (40, 6), (40, 6), (40, 10)")
    expect(not np.array_equal(seen[0], seen[1]), "both lengths of 6 were tested on the same strings; each length gets "
           "fresh ones from the one rng", mistake="create the rng once, before the loop, not once per length")
    expect(all(s.min() >= 0 and s.max() <= 9 for s in seen), "decode got tokens outside the digits 0..9")


def test_every_model_sees_the_same_strings(impl, seed):
    seen = {}

    def recorder(name):
        def decode(src):
            seen.setdefault(name, []).append(np.array(src))
            return src[:, ::-1]
        return decode

    series = impl.length_series({"a": recorder("a"), "b": recorder("b")}, range(4, 7), n=30, seed=seed)
    expect(series["lengths"] == [4, 5, 6], f"length_series(...)['lengths'] is {series['lengths']}, expected [4, 5, 6]")
    expect(list(series["accuracy"]) == ["a", "b"], f"length_series(...)['accuracy'] has keys {list(series['accuracy'])}")
    expect(series["accuracy"]["a"] == [1.0, 1.0, 1.0], f"a perfect reverser's series is {series['accuracy']['a']}")
    expect(all(np.array_equal(x, y) for x, y in zip(seen["a"], seen["b"])),
           "the two models were tested on different strings: give each the same seed",
           mistake="exact_match_by_length(decode, lengths, n, seed) with the same seed for every model")


def test_series_against_the_reference(impl, ref, seed):
    decoders = {"short": short_only, "even": first_digit_even}
    got = impl.length_series(decoders, [7, 9], n=60, seed=seed)
    expected = ref.length_series(decoders, [7, 9], n=60, seed=seed)
    for name in decoders:
        assert_close(got["accuracy"][name], expected["accuracy"][name], f"length_series(...)['accuracy'][{name!r}]")
