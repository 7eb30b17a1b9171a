"""Checks for phase05_transformer/feed_forward.py: the position-wise feed-forward network, forward and backward."""
import numpy as np

from checks.helpers import assert_close
from checks.phase02_sequence_models.gradcheck import numerical


def random_params(rng, C=4, d_ff=6):
    return {"W_1": rng.normal(size=(C, d_ff)), "b_1": rng.normal(size=d_ff),
            "W_2": rng.normal(size=(d_ff, C)), "b_2": rng.normal(size=C)}


def test_forward_is_gelu_mlp_at_each_position(impl, ref_tree, rng):
    gelu = ref_tree.load("phase05_transformer.layers").gelu
    x, p = rng.normal(size=(2, 3, 4)), random_params(rng)
    for approximate in ("none", "tanh"):
        out, _ = impl.feed_forward_forward(x, p, approximate)
        for b, t in ((0, 0), (1, 2)):
            expected = gelu(x[b, t] @ p["W_1"] + p["b_1"], approximate) @ p["W_2"] + p["b_2"]
            assert_close(out[b, t], expected, f"feed_forward_forward(x, params, {approximate!r})[{b}, {t}]",
                         rtol=1e-9, atol=1e-12,
                         mistake="out = gelu(x W_1 + b_1, approximate) W_2 + b_2, the same map at every position")


def test_positions_do_not_mix(impl, rng):
    x, p = rng.normal(size=(1, 5, 4)), random_params(rng)
    out, _ = impl.feed_forward_forward(x, p)
    x2 = x.copy()
    x2[0, 2] = rng.normal(size=4)
    out2, _ = impl.feed_forward_forward(x2, p)
    keep = [0, 1, 3, 4]
    assert_close(out2[0, keep], out[0, keep], "outputs at positions 0, 1, 3, 4 after changing the input at position 2",
                 mistake="position-wise: each row of x goes through the MLP on its own (matmul on the last axis only)")


def test_backward_matches_numerical(impl, ref_tree, rng):
    x, p = rng.normal(size=(2, 3, 4)), random_params(rng)
    upstream = rng.normal(size=(2, 3, 4))
    for approximate in ("none", "tanh"):
        _, cache = impl.feed_forward_forward(x, p, approximate)
        dx, grads = impl.feed_forward_backward(upstream, cache)

        def loss(x_, p_):
            return float(np.sum(impl.feed_forward_forward(x_, p_, approximate)[0] * upstream))

        assert_close(dx, numerical(ref_tree, lambda z: loss(z, p), x), f"dx from feed_forward_backward ({approximate!r})",
                     rtol=1e-5, atol=1e-8, mistake="dx = (gelu'(h) * (dout W_2^T)) W_1^T")
        for name in p:
            expected = numerical(ref_tree, lambda w: loss(x, {**p, name: w}), p[name])
            assert_close(grads.get(name), expected, f"grads['{name}'] from feed_forward_backward ({approximate!r})",
                         rtol=1e-5, atol=1e-8,
                         mistake="weight gradients sum over every position: flatten (B, T) into rows first")


def test_matches_reference(impl, ref, rng):
    x, p = rng.normal(size=(3, 2, 8)), random_params(rng, 8, 32)
    out, cache = impl.feed_forward_forward(x, p)
    ref_out, ref_cache = ref.feed_forward_forward(x, p)
    assert_close(out, ref_out, "feed_forward_forward(x, params)")
    upstream = rng.normal(size=out.shape)
    dx, grads = impl.feed_forward_backward(upstream, cache)
    ref_dx, ref_grads = ref.feed_forward_backward(upstream, ref_cache)
    assert_close(dx, ref_dx, "dx from feed_forward_backward")
    for name in ref_grads:
        assert_close(grads.get(name), ref_grads[name], f"grads['{name}'] from feed_forward_backward")



def test_any_number_of_leading_axes(impl, ref, rng):
    """One position (C,), a (T, C) matrix and a 4-D batch, both GELUs: the same MLP at every position."""
    p = random_params(rng, 3, 5)                   # odd widths
    for shape, approximate in (((3,), "none"), ((4, 3), "tanh"), ((2, 1, 2, 3), "none")):
        x = rng.normal(size=shape)
        out, cache = impl.feed_forward_forward(x, p, approximate)
        ref_out, ref_cache = ref.feed_forward_forward(x, p, approximate)
        assert_close(out, ref_out, f"feed_forward_forward(x of shape {shape}, params, {approximate!r})", rtol=1e-9,
                     atol=1e-12)
        dout = rng.normal(size=shape)
        dx, grads = impl.feed_forward_backward(dout, cache)
        ref_dx, ref_grads = ref.feed_forward_backward(dout, ref_cache)
        assert_close(dx, ref_dx, f"dx from feed_forward_backward for x of shape {shape}", rtol=1e-9, atol=1e-12)
        for name in ref_grads:
            assert_close(grads.get(name), ref_grads[name], f"grads['{name}'] for x of shape {shape}", rtol=1e-9,
                         atol=1e-12, mistake="flatten every leading axis into rows (reshape(-1, C)) before the weight "
                                             "gradients: x may be (C,), (T, C) or (B, T, C)")
