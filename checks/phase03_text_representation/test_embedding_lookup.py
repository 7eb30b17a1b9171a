"""Checks for phase03_text_representation/embedding.py: lookup forward, scatter-add backward (gradient-checked)."""
import numpy as np

from checks.helpers import assert_close, expect


def test_forward_is_one_hot_matmul(impl, rng):
    weight, ids = rng.normal(size=(7, 4)), rng.integers(0, 7, size=(3, 5))
    out = impl.embedding_forward(weight, ids)
    assert_close(out, np.eye(7)[ids] @ weight, "embedding_forward(weight (7, 4), ids (3, 5))",
                 mistake="the lookup is weight[ids]: a row per id, shape (*ids.shape, D)")


def test_backward_accumulates_repeated_ids(impl):
    dout = np.array([[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]])
    ids = np.array([2, 0, 2])
    expected = np.array([[10.0, 20.0], [0.0, 0.0], [101.0, 202.0], [0.0, 0.0]])
    assert_close(impl.embedding_backward(dout, ids, 4), expected, "embedding_backward(dout, ids=[2, 0, 2], 4)",
                 mistake="dweight[ids] += dout keeps only one addition per repeated id; use np.add.at")


def test_backward_matches_numerical_gradient(impl, ref_tree, rng):
    numerical_gradient = ref_tree.load("phase00_math.calculus").numerical_gradient
    weight, ids = rng.normal(size=(5, 3)), rng.integers(0, 5, size=(2, 6))
    ids[0, :3] = ids[1, 0]  # make sure some id repeats
    upstream = rng.normal(size=(2, 6, 3))
    loss = lambda w: float(np.sum(impl.embedding_forward(w, ids) * upstream))  # noqa: E731
    expected = numerical_gradient(loss, weight.copy())
    got = impl.embedding_backward(upstream, ids, 5)
    expect(np.shape(got) == (5, 3), f"embedding_backward(dout (2, 6, 3), ids (2, 6), 5) has shape {np.shape(got)}, expected (5, 3)")
    assert_close(got, expected, "embedding_backward against central differences", rtol=1e-5, atol=1e-7,
                 mistake="each position adds its dout row into row ids[position]; repeated ids must add up")


def test_matches_reference(impl, ref, rng):
    weight, ids = rng.normal(size=(9, 6)), rng.integers(0, 9, size=(4, 7))
    dout = rng.normal(size=(4, 7, 6))
    assert_close(impl.embedding_forward(weight, ids), ref.embedding_forward(weight, ids), "embedding_forward(weight, ids)")
    assert_close(impl.embedding_backward(dout, ids, 9), ref.embedding_backward(dout, ids, 9), "embedding_backward(dout, ids, 9)")


def compare_inputs(rng):
    weight, ids = rng.normal(size=(6, 3)), rng.integers(0, 6, size=(2, 5))
    dout = rng.normal(size=(2, 5, 3))
    return [("embedding_forward(weight, ids)", "embedding_forward", (weight, ids), {}),
            ("embedding_backward(dout, ids, 6)", "embedding_backward", (dout, ids, 6), {})]
