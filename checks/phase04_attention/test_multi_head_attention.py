"""Checks for phase04_attention/multihead.py: self-attention, split/merge heads, multi-head forward and backward."""
import numpy as np

from checks.helpers import assert_close, expect


def softmax_rows(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def mha_by_heads(x, p, n_head, mask=None):
    """Multi-head attention one head at a time: head h uses columns h*hs:(h+1)*hs of W_q, W_k, W_v."""
    B, T, C = x.shape
    hs = C // n_head
    heads = []
    for h in range(n_head):
        cols = slice(h * hs, (h + 1) * hs)
        q, k, v = (x @ p[f"W_{n}"][:, cols] + p[f"b_{n}"][cols] for n in "qkv")
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hs)
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        heads.append(softmax_rows(scores) @ v)
    return np.concatenate(heads, axis=-1) @ p["W_o"] + p["b_o"]


def random_params(rng, C):
    return {name: rng.normal(scale=0.5, size=(C, C) if name.startswith("W") else C)
            for name in ("W_q", "b_q", "W_k", "b_k", "W_v", "b_v", "W_o", "b_o")}


def test_split_heads_takes_channel_groups(impl, rng):
    x = rng.normal(size=(2, 5, 12))
    got = impl.split_heads(x, 3)
    expect(np.shape(got) == (2, 3, 5, 4), f"split_heads(x (2, 5, 12), 3) has shape {np.shape(got)}, expected (2, 3, 5, 4)")
    for h in range(3):
        assert_close(got[:, h], x[:, :, 4 * h:4 * (h + 1)], f"split_heads(x, 3)[:, {h}] against x[:, :, {4 * h}:{4 * h + 4}]",
                     mistake="heads split along the wrong axis: reshape to (B, T, n_head, hs), THEN transpose to (B, n_head, T, hs)")
    assert_close(impl.merge_heads(got), x, "merge_heads(split_heads(x, 3))",
                 mistake="merge_heads undoes split_heads: transpose back to (B, T, n_head, hs), then reshape")


def test_self_attention_single_head(impl, rng):
    x = rng.normal(size=(2, 4, 6))
    W_q, W_k, W_v = rng.normal(size=(6, 3)), rng.normal(size=(6, 3)), rng.normal(size=(6, 5))
    out, weights = impl.self_attention(x, W_q, W_k, W_v)
    expected_weights = softmax_rows((x @ W_q) @ (x @ W_k).transpose(0, 2, 1) / np.sqrt(3))
    assert_close(weights, expected_weights, "weights of self_attention(x, W_q, W_k, W_v)",
                 mistake="q = x W_q, k = x W_k, v = x W_v, then scaled_dot_product_attention(q, k, v)")
    assert_close(out, expected_weights @ (x @ W_v), "out of self_attention(x, W_q, W_k, W_v)")


def test_forward_equals_head_by_head(impl, rng):
    x, p = rng.normal(size=(2, 5, 12)), random_params(rng, 12)
    for n_head, mask in ((3, None), (4, np.tril(np.ones((5, 5), dtype=bool))), (1, None)):
        out, _ = impl.multi_head_attention_forward(x, p, n_head, mask)
        assert_close(out, mha_by_heads(x, p, n_head, mask),
                     f"multi_head_attention_forward(x (2, 5, 12), params, n_head={n_head}{', causal mask' if mask is not None else ''})",
                     rtol=1e-6, atol=1e-9,
                     mistake="head h must use channels h*hs:(h+1)*hs; scale by 1/sqrt(hs), the HEAD size")


def test_causal_multi_head_ignores_the_future(impl, rng):
    x, p = rng.normal(size=(1, 6, 8)), random_params(rng, 8)
    mask = np.tril(np.ones((6, 6), dtype=bool))
    out, _ = impl.multi_head_attention_forward(x, p, 2, mask)
    x2 = x.copy()
    x2[:, 3:] = rng.normal(size=(1, 3, 8))
    out2, _ = impl.multi_head_attention_forward(x2, p, 2, mask)
    assert_close(out2[:, :3], out[:, :3], "outputs 0..2 after changing inputs 3..5 under a causal mask",
                 mistake="heads must be split per position (B, T, n_head, hs): a wrong reshape mixes positions")


def test_backward_matches_numerical_gradient(impl, ref_tree, rng):
    numerical_gradient = ref_tree.load("phase00_math.calculus").numerical_gradient
    x, p = rng.normal(size=(2, 3, 4)), random_params(rng, 4)
    mask = np.tril(np.ones((3, 3), dtype=bool))
    upstream = rng.normal(size=(2, 3, 4))
    out, cache = impl.multi_head_attention_forward(x, p, 2, mask)
    dx, grads = impl.multi_head_attention_backward(upstream, cache)

    def loss(x_, p_):
        return float(np.sum(impl.multi_head_attention_forward(x_, p_, 2, mask)[0] * upstream))

    assert_close(dx, numerical_gradient(lambda z: loss(z, p), x.copy()), "dx from multi_head_attention_backward",
                 rtol=1e-5, atol=1e-8, mistake="x feeds q, k and v: dx sums the three paths")
    for name in p:
        expected = numerical_gradient(lambda w: loss(x, {**p, name: w}), p[name].copy())
        assert_close(grads[name], expected, f"grads['{name}'] from multi_head_attention_backward", rtol=1e-5, atol=1e-8,
                     mistake="merge the per-head gradients back to (B, T, C) before the projection gradients")


def test_matches_reference(impl, ref, rng):
    x, p = rng.normal(size=(2, 6, 16)), random_params(rng, 16)
    mask = np.tril(np.ones((6, 6), dtype=bool))
    out, cache = impl.multi_head_attention_forward(x, p, 4, mask)
    ref_out, ref_cache = ref.multi_head_attention_forward(x, p, 4, mask)
    assert_close(out, ref_out, "multi_head_attention_forward(x, params, 4, causal mask)")
    upstream = rng.normal(size=out.shape)
    dx, grads = impl.multi_head_attention_backward(upstream, cache)
    ref_dx, ref_grads = ref.multi_head_attention_backward(upstream, ref_cache)
    assert_close(dx, ref_dx, "dx from multi_head_attention_backward")
    for name in ref_grads:
        expect(name in grads, f"multi_head_attention_backward returned no gradient for '{name}'")
        assert_close(grads[name], ref_grads[name], f"grads['{name}']")


def compare_inputs(rng):
    x = rng.normal(size=(2, 4, 8))
    return [("split_heads(x, 2)", "split_heads", (x, 2), {}),
            ("merge_heads(x.reshape(2, 4, 2, 4))", "merge_heads", (x.reshape(2, 4, 2, 4),), {}),
            ("self_attention(x, W_q, W_k, W_v)", "self_attention",
             (x, rng.normal(size=(8, 4)), rng.normal(size=(8, 4)), rng.normal(size=(8, 4))), {})]
