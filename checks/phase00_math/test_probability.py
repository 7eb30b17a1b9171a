"""Checks for phase00_math/probability.py (core contract: softmax, log_softmax, cross_entropy)."""
import numpy as np

from checks.helpers import assert_close, expect


def test_softmax_matches_reference(impl, ref, rng):
    x = rng.normal(scale=3.0, size=(4, 7))
    assert_close(impl.softmax(x), ref.softmax(x), "softmax(x) for x of shape (4, 7)")


def test_softmax_rows_sum_to_one_on_any_axis(impl, rng):
    x = rng.normal(size=(3, 5, 2))
    assert_close(np.sum(impl.softmax(x, axis=1), axis=1), np.ones((3, 2)), "softmax(x, axis=1).sum(axis=1)",
                 mistake="softmax over the wrong axis: reduce along `axis` with keepdims=True")


def test_softmax_is_stable_for_large_inputs(impl, ref, rng):
    x = 1000.0 + rng.normal(size=(2, 5))
    assert_close(impl.softmax(x), ref.softmax(x), "softmax(x) for x near 1000",
                 mistake="exp(1000) overflows: subtract the row's max before exp")
    assert_close(impl.softmax(-x), ref.softmax(-x), "softmax(x) for x near -1000",
                 mistake="exp(-1000) underflows to 0 and 0/0 is NaN: subtract the row's max before exp")


def test_stable_when_rows_differ_in_scale(impl, ref, rng):
    """One row near +1000 and one near -1000 in the same array: each needs its OWN max subtracted."""
    x = rng.normal(size=(2, 5)) + np.array([[1000.0], [-1000.0]])
    for name in ("softmax", "log_softmax"):
        for axis, data in ((-1, x), (0, x.T)):
            assert_close(getattr(impl, name)(data, axis=axis), getattr(ref, name)(data, axis=axis),
                         f"{name}(x, axis={axis}) with one slice near 1000 and one near -1000", rtol=1e-7, atol=1e-12,
                         mistake="subtract the max of each slice along `axis` (np.max(x, axis=axis, keepdims=True)), "
                                 "not the max of the whole array: the row near -1000 underflows to 0/0")


def test_log_softmax_matches_reference(impl, ref, rng):
    x = rng.normal(scale=3.0, size=(5, 6))
    assert_close(impl.log_softmax(x), ref.log_softmax(x), "log_softmax(x) for x of shape (5, 6)")
    assert_close(impl.log_softmax(x, axis=0), ref.log_softmax(x, axis=0), "log_softmax(x, axis=0)")


def test_log_softmax_does_not_underflow(impl, rng):
    x = np.array([[0.0, -1000.0, 5.0], [800.0, 0.0, -300.0]]) + rng.normal(scale=0.1, size=(2, 3))
    expected = x - (np.max(x, axis=-1, keepdims=True)
                    + np.log(np.sum(np.exp(x - np.max(x, axis=-1, keepdims=True)), axis=-1, keepdims=True)))
    assert_close(impl.log_softmax(x), expected, "log_softmax(x) with entries 1000 apart",
                 mistake="log(softmax(x)) underflows to log(0) = -inf; compute x - logsumexp(x) directly")


def test_cross_entropy_matches_reference(impl, ref, rng):
    logits, targets = rng.normal(size=(8, 5)), rng.integers(0, 5, size=8)
    got = impl.cross_entropy(logits, targets)
    expect(np.ndim(got) == 0, f"cross_entropy(logits, targets) returned shape {np.shape(got)}; expected one number")
    assert_close(got, ref.cross_entropy(logits, targets), "cross_entropy(logits (8, 5), targets (8,))",
                 mistake="cross-entropy is the mean over the N examples, not the sum")


def test_cross_entropy_known_value_and_large_logits(impl):
    assert_close(impl.cross_entropy(np.zeros((3, 4)), np.array([0, 1, 3])), np.log(4.0),
                 "cross_entropy of uniform logits over 4 classes (ln 4)", mistake="is it the mean, not the sum?")
    logits = np.array([[1000.0, 0.0], [0.0, 1000.0]])
    assert_close(impl.cross_entropy(logits, np.array([1, 1])), 500.0, "cross_entropy([[1000, 0], [0, 1000]], [1, 1])",
                 mistake="use log_softmax, not log(softmax): the tiny probability underflows")


def test_entropy_and_kl(impl, ref, rng):
    p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
    assert_close(impl.entropy(p), ref.entropy(p), "entropy(p) for p over 6 outcomes")
    assert_close(impl.kl_divergence(p, q), ref.kl_divergence(p, q), "kl_divergence(p, q)",
                 mistake="KL(p || q) = sum p log(p / q): p outside the log")
    assert_close(impl.entropy(np.array([0.5, 0.5, 0.0])), np.log(2.0), "entropy([0.5, 0.5, 0]) (0 log 0 = 0)")
    assert_close(impl.kl_divergence(p, p), 0.0, "kl_divergence(p, p)", atol=1e-12)
    expect(impl.kl_divergence(p, q) >= 0, "kl_divergence(p, q) came out negative; KL is never negative")


def test_zero_probabilities_contribute_nothing(impl):
    """Fixed corner cases: outcomes of probability 0 (0 log 0 = 0), where q may be 0 too."""
    assert_close(impl.kl_divergence(np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5])), np.log(2.0),
                 "kl_divergence([0.5, 0.5, 0], [0.25, 0.25, 0.5]) (= ln 2)", rtol=1e-12,
                 mistake="terms with p_i = 0 contribute 0: sum only over p_i > 0 (0 * log 0 is NaN in NumPy)")
    assert_close(impl.kl_divergence(np.array([1.0, 0.0]), np.array([0.5, 0.0])), np.log(2.0),
                 "kl_divergence([1, 0], [0.5, 0]) (= ln 2; q_i = 0 where p_i = 0 is allowed)", rtol=1e-12,
                 mistake="terms with p_i = 0 contribute 0: sum only over p_i > 0 (0 * log 0 is NaN in NumPy)")
    assert_close(impl.entropy(np.array([1.0, 0.0, 0.0])), 0.0, "entropy([1, 0, 0]) (a certain outcome)", atol=1e-15)


def test_cross_entropy_is_entropy_plus_kl(impl, rng):
    """H(p, q) = H(p) + KL(p || q): cross-entropy of one-hot targets is the special case H(p) = 0."""
    logits = rng.normal(size=(1, 5))
    target = int(rng.integers(0, 5))
    one_hot = np.eye(5)[target]
    q = impl.softmax(logits)[0]
    assert_close(impl.cross_entropy(logits, np.array([target])), impl.entropy(one_hot) + impl.kl_divergence(one_hot, q),
                 "cross_entropy against entropy + kl_divergence")


def compare_inputs(rng):
    x, targets = rng.normal(scale=3.0, size=(4, 6)), rng.integers(0, 6, size=4)
    p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
    return [("softmax(x)", "softmax", (x,), {}), ("softmax(x + 1000)", "softmax", (x + 1000,), {}),
            ("log_softmax(x)", "log_softmax", (x,), {}), ("log_softmax(100 x)", "log_softmax", (100 * x,), {}),
            ("cross_entropy(x, targets)", "cross_entropy", (x, targets), {}),
            ("entropy(p)", "entropy", (p,), {}), ("kl_divergence(p, q)", "kl_divergence", (p, q), {})]
