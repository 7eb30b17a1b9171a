"""Checks for phase04_attention/attention.py: causal_mask and scaled_dot_product_attention (core contract),
forward and backward."""
import math

import numpy as np

from checks.helpers import assert_close, expect


def attention_by_loops(q, k, v, mask=None):
    """softmax(q k^T / sqrt(d)) v for 2-D q (Tq, d), k (Tk, d), v (Tk, dv), one query at a time in plain Python."""
    out, weights = np.zeros((len(q), v.shape[1])), np.zeros((len(q), len(k)))
    for i in range(len(q)):
        scores = [sum(q[i, c] * k[j, c] for c in range(q.shape[1])) / math.sqrt(q.shape[1]) for j in range(len(k))]
        allowed = [j for j in range(len(k)) if mask is None or mask[i, j]]
        top = max(scores[j] for j in allowed)
        total = sum(math.exp(scores[j] - top) for j in allowed)
        for j in allowed:
            weights[i, j] = math.exp(scores[j] - top) / total
        out[i] = weights[i] @ v
    return out, weights


def test_causal_mask_known_value(impl):
    expected = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]], dtype=bool)
    got = impl.causal_mask(4)
    expect(np.asarray(got).dtype == bool, f"causal_mask(4) has dtype {np.asarray(got).dtype}, expected bool")
    assert_close(got, expected, "causal_mask(4)",
                 mistake="True on AND below the diagonal: query i sees keys 0..i (itself included), np.tril")


def test_known_values_against_loops(impl, rng):
    q, k, v = rng.normal(size=(3, 5)), rng.normal(size=(4, 5)), rng.normal(size=(4, 2))
    out, weights = impl.scaled_dot_product_attention(q, k, v)
    expected_out, expected_weights = attention_by_loops(q, k, v)
    assert_close(weights, expected_weights, "weights of scaled_dot_product_attention(q (3, 5), k (4, 5), v (4, 2))",
                 mistake="is the 1/sqrt(d) scale missing? scores = q k^T / sqrt(d), d = q.shape[-1]")
    assert_close(out, expected_out, "out of scaled_dot_product_attention(q, k, v)")


def test_rows_are_distributions_over_keys(impl, rng):
    q, k, v = rng.normal(size=(2, 3, 5, 4)), rng.normal(size=(2, 3, 7, 4)), rng.normal(size=(2, 3, 7, 6))
    out, weights = impl.scaled_dot_product_attention(q, k, v)
    expect(np.shape(out) == (2, 3, 5, 6) and np.shape(weights) == (2, 3, 5, 7),
           f"scaled_dot_product_attention(q (2, 3, 5, 4), k (2, 3, 7, 4), v (2, 3, 7, 6)) gave out {np.shape(out)} and "
           f"weights {np.shape(weights)}; expected (2, 3, 5, 6) and (2, 3, 5, 7)")
    assert_close(weights.sum(axis=-1), np.ones((2, 3, 5)), "weights.sum(axis=-1) (each query's weights over the 7 keys)",
                 mistake="softmax over the wrong axis: normalise over the keys, the LAST axis")


def test_mask_is_applied_before_the_softmax(impl, rng):
    T = 6
    q, k, v = rng.normal(size=(2, T, 8)), rng.normal(size=(2, T, 8)), rng.normal(size=(2, T, 3))
    out, weights = impl.scaled_dot_product_attention(q, k, v, impl.causal_mask(T))
    mask = np.tril(np.ones((T, T), dtype=bool))
    expect(np.all(weights[:, ~mask] == 0), "weights on masked (future) keys are not exactly 0",
           mistake="set masked scores to -inf before the softmax")
    assert_close(weights.sum(axis=-1), np.ones((2, T)), "weights.sum(axis=-1) with a causal mask",
                 mistake="the mask was applied after the softmax: rows no longer sum to 1; mask the scores instead")
    for b in range(2):
        expected_out, expected_weights = attention_by_loops(q[b], k[b], v[b], mask)
        assert_close(weights[b], expected_weights, f"weights[{b}] with a causal mask")
        assert_close(out[b], expected_out, f"out[{b}] with a causal mask")


def test_causal_outputs_ignore_the_future(impl, rng):
    T = 7
    q, k, v = rng.normal(size=(T, 4)), rng.normal(size=(T, 4)), rng.normal(size=(T, 4))
    out, _ = impl.scaled_dot_product_attention(q, k, v, impl.causal_mask(T))
    k2, v2 = k.copy(), v.copy()
    k2[4:], v2[4:] = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    out2, _ = impl.scaled_dot_product_attention(q, k2, v2, impl.causal_mask(T))
    assert_close(out2[:4], out[:4], "outputs 0..3 after changing keys and values 4..6 under causal_mask(7)",
                 mistake="a causal mask shifted by one lets position i see i + 1")
    expect(not np.allclose(out2[4], out[4]), "output 4 did not change when key and value 4 changed: "
           "position i must see itself (the diagonal is allowed)")


def test_matches_reference_batched_with_broadcast_mask(impl, ref, rng):
    q, k, v = rng.normal(size=(2, 4, 5, 16)), rng.normal(size=(2, 4, 5, 16)), rng.normal(size=(2, 4, 5, 8))
    mask = rng.random((5, 5)) < 0.6
    mask[np.arange(5), rng.integers(0, 5, size=5)] = True  # every query keeps at least one key
    got, expected = impl.scaled_dot_product_attention(q, k, v, mask), ref.scaled_dot_product_attention(q, k, v, mask)
    assert_close(got[1], expected[1], "weights of scaled_dot_product_attention(q, k, v, mask) for d = 16, mask (5, 5)",
                 mistake="scale by 1 / sqrt(d) with d = 16 (not d, not sqrt(Tk))")
    assert_close(got[0], expected[0], "out of scaled_dot_product_attention(q, k, v, mask)")


def test_large_scores(impl, ref, rng):
    """Scores in the thousands (q and k far from unit scale), with and without a causal mask: the softmax must
    not overflow, forward or backward."""
    q, k, v = 60 * rng.normal(size=(2, 5, 8)), 60 * rng.normal(size=(2, 5, 8)), rng.normal(size=(2, 5, 3))
    dout = rng.normal(size=(2, 5, 3))
    for mask in (None, np.tril(np.ones((5, 5), dtype=bool))):
        label = "causal mask" if mask is not None else "no mask"
        out, weights = impl.scaled_dot_product_attention(q, k, v, mask)
        ref_out, ref_weights = ref.scaled_dot_product_attention(q, k, v, mask)
        assert_close(weights, ref_weights, f"weights of scaled_dot_product_attention with scores in the thousands ({label})",
                     rtol=1e-7, atol=1e-12, mistake="exp(1000) overflows: subtract each row's max score before exp "
                     "(phase 0's softmax does)")
        assert_close(out, ref_out, f"out with scores in the thousands ({label})", rtol=1e-7, atol=1e-12)
        got = impl.scaled_dot_product_attention_backward(dout, q, k, v, ref_weights)
        expected = ref.scaled_dot_product_attention_backward(dout, q, k, v, ref_weights)
        for name, g, e in zip(("dq", "dk", "dv"), got, expected):
            assert_close(g, e, f"{name} from scaled_dot_product_attention_backward with scores in the thousands ({label})",
                         rtol=1e-7, atol=1e-10, mistake="the forward's weights are given: use them rather than "
                         "recomputing exp(scores), which overflows")


def test_backward_matches_numerical_gradient(impl, ref_tree, rng):
    numerical_gradient = ref_tree.load("phase00_math.calculus").numerical_gradient
    q, k, v = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 2))
    mask = np.ones((4, 5), dtype=bool)
    mask[0, 3:] = mask[2, 0] = False
    upstream = rng.normal(size=(2, 4, 2))
    for masked in (None, mask):
        out, weights = impl.scaled_dot_product_attention(q, k, v, masked)
        dq, dk, dv = impl.scaled_dot_product_attention_backward(upstream, q, k, v, weights)
        loss = lambda a, b, c: float(np.sum(impl.scaled_dot_product_attention(a, b, c, masked)[0] * upstream))  # noqa: E731
        label = "with a mask" if masked is not None else "without a mask"
        assert_close(dq, numerical_gradient(lambda x: loss(x, k, v), q.copy()), f"dq {label}, against central differences",
                     rtol=1e-5, atol=1e-8, mistake="softmax backward: dS = W * (dW - sum(dW * W, axis=-1)), then / sqrt(d)")
        assert_close(dk, numerical_gradient(lambda x: loss(q, x, v), k.copy()), f"dk {label}, against central differences",
                     rtol=1e-5, atol=1e-8, mistake="dk = dS^T q (transpose the last two axes only)")
        assert_close(dv, numerical_gradient(lambda x: loss(q, k, x), v.copy()), f"dv {label}, against central differences",
                     rtol=1e-5, atol=1e-8, mistake="dv = W^T dout")


def compare_inputs(rng):
    q, k, v = rng.normal(size=(2, 4, 8)), rng.normal(size=(2, 4, 8)), rng.normal(size=(2, 4, 3))
    mask = np.tril(np.ones((4, 4), dtype=bool))
    out, weights = np.zeros((2, 4, 3)), rng.dirichlet(np.ones(4), size=(2, 4))
    return [("causal_mask(5)", "causal_mask", (5,), {}),
            ("scaled_dot_product_attention(q, k, v)", "scaled_dot_product_attention", (q, k, v), {}),
            ("scaled_dot_product_attention(q, k, v, causal_mask(4))", "scaled_dot_product_attention", (q, k, v, mask), {}),
            ("scaled_dot_product_attention_backward(dout, q, k, v, weights)", "scaled_dot_product_attention_backward",
             (rng.normal(size=out.shape), q, k, v, weights), {})]
