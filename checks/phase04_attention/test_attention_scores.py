"""Checks for phase04_attention/scores.py: Bahdanau's additive score, Luong's dot, general and concat, attend."""
import math

import numpy as np

from checks.helpers import assert_close, expect


def _inputs(rng, B=2, T=5, H=4, A=3):
    return (rng.normal(size=(B, H)), rng.normal(size=(B, T, H)), rng.normal(size=(H, A)), rng.normal(size=(H, A)),
            rng.normal(size=A))


def test_additive_known_values(impl, rng):
    query, keys, W_q, W_k, v = _inputs(rng)
    expected = np.array([[sum(v[a] * math.tanh(query[b] @ W_q[:, a] + keys[b, t] @ W_k[:, a]) for a in range(3))
                          for t in range(5)] for b in range(2)])
    assert_close(impl.additive_scores(query, keys, W_q, W_k, v), expected, "additive_scores(query, keys, W_q, W_k, v)",
                 mistake="score_t = v . tanh(query W_q + key_t W_k): add the two projections inside the tanh")


def test_dot_and_general_known_values(impl, rng):
    query, keys, W, _, _ = _inputs(rng, H=4, A=4)
    expected = np.array([[query[b] @ keys[b, t] for t in range(5)] for b in range(2)])
    assert_close(impl.dot_scores(query, keys), expected, "dot_scores(query, keys)")
    expected = np.array([[query[b] @ W @ keys[b, t] for t in range(5)] for b in range(2)])
    assert_close(impl.general_scores(query, keys, W), expected, "general_scores(query, keys, W)",
                 mistake="score_t = query W key_t: query on the left of W, the key on the right")
    assert_close(impl.general_scores(query, keys, np.eye(4)), impl.dot_scores(query, keys),
                 "general_scores(query, keys, identity) against dot_scores")


def test_concat_equals_additive_with_stacked_weights(impl, rng):
    query, keys, W_q, W_k, v = _inputs(rng)
    W = np.concatenate([W_q, W_k], axis=0)
    assert_close(impl.concat_scores(query, keys, W, v), impl.additive_scores(query, keys, W_q, W_k, v),
                 "concat_scores(query, keys, [W_q; W_k], v) against additive_scores(query, keys, W_q, W_k, v)",
                 mistake="concatenate [query; key_t] along the features, query first")


def test_attend_weights_and_context(impl, rng):
    scores, values = rng.normal(scale=2.0, size=(3, 6)), rng.normal(size=(3, 6, 4))
    mask = np.ones((3, 6), dtype=bool)
    mask[0, 4:] = mask[2, 1] = False
    context, weights = impl.attend(scores, values, mask)
    expect(np.all(weights[~mask] == 0), "attend(scores, values, mask) gave padded positions a nonzero weight",
           mistake="mask the scores with -inf BEFORE the softmax")
    assert_close(weights.sum(axis=-1), np.ones(3), "attend(...) weights.sum(axis=-1)",
                 mistake="softmax over the positions T (the last axis of the scores)")
    e = np.where(mask, np.exp(scores - scores.max(axis=-1, keepdims=True)), 0.0)
    expected_weights = e / e.sum(axis=-1, keepdims=True)
    assert_close(weights, expected_weights, "attend(scores, values, mask) weights")
    assert_close(context, np.einsum("bt,btd->bd", expected_weights, values), "attend(scores, values, mask) context",
                 mistake="context_b = sum_t weights_bt values_bt")


def test_attend_large_scores(impl, ref, rng):
    """Scores in the thousands, with padding: the softmax over T must not overflow."""
    scores, values = 1000 * rng.normal(size=(3, 6)), rng.normal(size=(3, 6, 4))
    mask = np.ones((3, 6), dtype=bool)
    mask[1, 3:] = False
    for m in (None, mask):
        for got, expected, name in zip(impl.attend(scores, values, m), ref.attend(scores, values, m), ("context", "weights")):
            assert_close(got, expected, f"{name} of attend(scores in the thousands, values{', mask' if m is not None else ''})",
                         rtol=1e-7, atol=1e-12, mistake="exp(1000) overflows: subtract each row's max score before exp "
                         "(phase 0's softmax does)")


def test_matches_reference(impl, ref, rng):
    query, keys, W_q, W_k, v = _inputs(rng, B=3, T=7, H=6, A=5)
    assert_close(impl.additive_scores(query, keys, W_q, W_k, v), ref.additive_scores(query, keys, W_q, W_k, v),
                 "additive_scores(query, keys, W_q, W_k, v)")
    scores = ref.additive_scores(query, keys, W_q, W_k, v)
    for got, expected, name in zip(impl.attend(scores, keys), ref.attend(scores, keys), ("context", "weights")):
        assert_close(got, expected, f"{name} of attend(scores, keys)")


def compare_inputs(rng):
    query, keys, W_q, W_k, v = _inputs(rng)
    W = rng.normal(size=(4, 4))
    return [("additive_scores(query, keys, W_q, W_k, v)", "additive_scores", (query, keys, W_q, W_k, v), {}),
            ("dot_scores(query, keys)", "dot_scores", (query, keys), {}),
            ("general_scores(query, keys, W)", "general_scores", (query, keys, W), {}),
            ("concat_scores(query, keys, [W_q; W_k], v)", "concat_scores", (query, keys, np.concatenate([W_q, W_k]), v), {}),
            ("attend(dot_scores(query, keys), keys)", "attend", (np.einsum("bh,bth->bt", query, keys), keys), {})]
