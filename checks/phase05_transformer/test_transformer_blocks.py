"""Checks for phase05_transformer/blocks.py: residual pre/post-norm blocks, cross-attention, encoder and decoder layers."""
import numpy as np

from checks.helpers import assert_close, expect
from checks.phase02_sequence_models.gradcheck import numerical

ATTN = ("W_q", "b_q", "W_k", "b_k", "W_v", "b_v", "W_o", "b_o")


def attention_params(rng, C):
    return {n: rng.normal(scale=0.5, size=(C, C) if n.startswith("W") else C) for n in ATTN}


def layer_params(rng, C, d_ff, decoder=False):
    """Random (not initial) parameters with the layer keys of blocks.py."""
    p = {}
    names = ("self_attn", "cross_attn") if decoder else ("attn",)
    for k, attn in enumerate(names, start=1):
        p[f"ln_{k}.gamma"], p[f"ln_{k}.beta"] = 1 + 0.3 * rng.normal(size=C), 0.3 * rng.normal(size=C)
        p.update({f"{attn}.{n}": v for n, v in attention_params(rng, C).items()})
    k = len(names) + 1
    p[f"ln_{k}.gamma"], p[f"ln_{k}.beta"] = 1 + 0.3 * rng.normal(size=C), 0.3 * rng.normal(size=C)
    p.update({"ffn.W_1": rng.normal(scale=0.5, size=(C, d_ff)), "ffn.b_1": rng.normal(scale=0.5, size=d_ff),
              "ffn.W_2": rng.normal(scale=0.5, size=(d_ff, C)), "ffn.b_2": rng.normal(scale=0.5, size=C)})
    return p


def linear_sublayer(W):
    """F(h) = h W and its backward, in the (out, cache) / (dh, grads) form residual_forward expects."""
    return (lambda h: (h @ W, h)), (lambda dy, h: (dy @ W.T, {"W": h.reshape(-1, W.shape[0]).T @ dy.reshape(-1, W.shape[1])}))


def test_residual_pre_and_post_norm(impl, ref_tree, rng):
    layer_norm = ref_tree.load("phase05_transformer.layers").layer_norm
    x, W = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 4))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    forward, _ = linear_sublayer(W)
    out, _ = impl.residual_forward(x, forward, gamma, beta, "pre")
    assert_close(out, x + layer_norm(x, gamma, beta) @ W, "residual_forward(x, F, gamma, beta, 'pre') for F(h) = h W",
                 rtol=1e-9, atol=1e-12, mistake="pre-norm: out = x + F(LN(x)), the residual around the normalised sublayer")
    out, _ = impl.residual_forward(x, forward, gamma, beta, "post")
    assert_close(out, layer_norm(x + x @ W, gamma, beta), "residual_forward(x, F, gamma, beta, 'post') for F(h) = h W",
                 rtol=1e-9, atol=1e-12, mistake="post-norm: out = LN(x + F(x)), the layer norm after the residual sum")


def test_pre_norm_keeps_the_identity_path(impl, rng):
    """With a sublayer that outputs zeros, a pre-norm block is exactly the identity."""
    x = rng.normal(size=(2, 3, 4))
    out, _ = impl.residual_forward(x, lambda h: (np.zeros_like(h), None), rng.normal(size=4), rng.normal(size=4), "pre")
    assert_close(out, x, "residual_forward(x, F = 0, gamma, beta, 'pre')", rtol=0, atol=1e-15,
                 mistake="the residual adds the block's INPUT x, not LN(x): out = x + F(LN(x))")


def test_residual_backward_matches_numerical(impl, ref_tree, rng):
    x, W = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 4))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    upstream = rng.normal(size=(2, 3, 4))
    for norm in ("pre", "post"):
        forward, backward = linear_sublayer(W)
        _, cache = impl.residual_forward(x, forward, gamma, beta, norm)
        dx, dgamma, dbeta, sub = impl.residual_backward(upstream, cache, backward)

        def loss(x_=x, g_=gamma, b_=beta, W_=W):
            return float(np.sum(impl.residual_forward(x_, linear_sublayer(W_)[0], g_, b_, norm)[0] * upstream))

        assert_close(dx, numerical(ref_tree, lambda z: loss(x_=z), x), f"dx from residual_backward ({norm}-norm)",
                     rtol=1e-5, atol=1e-8, mistake="the residual path adds its gradient to the sublayer's: dx = d(skip) + d(sublayer)")
        assert_close(dgamma, numerical(ref_tree, lambda z: loss(g_=z), gamma), f"dgamma from residual_backward ({norm}-norm)",
                     rtol=1e-5, atol=1e-8)
        assert_close(dbeta, numerical(ref_tree, lambda z: loss(b_=z), beta), f"dbeta from residual_backward ({norm}-norm)",
                     rtol=1e-5, atol=1e-8)
        expect(isinstance(sub, dict) and "W" in sub, f"residual_backward ({norm}) must pass on the sublayer's grads")
        assert_close(sub["W"], numerical(ref_tree, lambda z: loss(W_=z), W), f"the sublayer's dW through residual_backward "
                     f"({norm}-norm)", rtol=1e-5, atol=1e-8)


def test_cross_attention_on_itself_is_self_attention(impl, ref_tree, rng):
    mha = ref_tree.load("phase04_attention.multihead")
    x, p = rng.normal(size=(2, 5, 8)), attention_params(rng, 8)
    mask = np.tril(np.ones((5, 5), dtype=bool))
    out, _ = impl.cross_attention_forward(x, x, p, 2, mask)
    assert_close(out, mha.multi_head_attention_forward(x, p, 2, mask)[0],
                 "cross_attention_forward(x, memory=x, params, 2, mask) against phase 4's multi-head self-attention",
                 rtol=1e-9, atol=1e-12, mistake="queries from x (W_q), keys and values from memory (W_k, W_v)")


def test_cross_attention_reads_memory(impl, ref, rng):
    x, memory, p = rng.normal(size=(2, 3, 8)), rng.normal(size=(2, 6, 8)), attention_params(rng, 8)
    pad = np.ones((2, 1, 1, 6), dtype=bool)
    pad[1, ..., 4:] = False
    out, _ = impl.cross_attention_forward(x, memory, p, 4, pad)
    expect(np.shape(out) == (2, 3, 8), f"cross_attention_forward(x (2, 3, 8), memory (2, 6, 8), ...) has shape "
           f"{np.shape(out)}, expected (2, 3, 8)")
    assert_close(out, ref.cross_attention_forward(x, memory, p, 4, pad)[0],
                 "cross_attention_forward(x, memory, params, 4, padding mask)", rtol=1e-9, atol=1e-12,
                 mistake="q = x W_q + b_q; k = memory W_k + b_k; v = memory W_v + b_v; split heads; attend; merge; W_o")
    changed = memory.copy()
    changed[1, 4:] = rng.normal(size=(2, 8))
    assert_close(impl.cross_attention_forward(x, changed, p, 4, pad)[0], out,
                 "cross-attention output after changing masked (padding) memory positions",
                 mistake="the mask hides padded keys: apply it to the scores before the softmax")


def test_cross_attention_with_scores_in_the_thousands(impl, ref, rng):
    """Inputs 30 times unit size (scores in the thousands), forward and backward: one query of one row over one head
    without a mask, and a padded batch over four heads."""
    p = attention_params(rng, 8)
    pad = np.ones((2, 1, 1, 6), dtype=bool)
    pad[1, ..., 4:] = False
    for B, Tq, n_head, mask in ((1, 1, 1, None), (2, 3, 4, pad)):
        x, memory = 30 * rng.normal(size=(B, Tq, 8)), 30 * rng.normal(size=(B, 6, 8))
        label = f"cross_attention_forward(x ({B}, {Tq}, 8), memory ({B}, 6, 8), params, {n_head}" + \
            (", padding mask)" if mask is not None else ")") + " with scores in the thousands"
        out, cache = impl.cross_attention_forward(x, memory, p, n_head, mask)
        ref_out, ref_cache = ref.cross_attention_forward(x, memory, p, n_head, mask)
        assert_close(out, ref_out, label, rtol=1e-7, atol=1e-9, mistake="exp(1000) overflows: attend with phase 4's "
                     "scaled_dot_product_attention (its softmax subtracts each row's max)")
        dout = rng.normal(size=out.shape)
        got, expected = impl.cross_attention_backward(dout, cache), ref.cross_attention_backward(dout, ref_cache)
        for name, g, e in (("dx", got[0], expected[0]), ("dmemory", got[1], expected[1]),
                           *((f"grads['{n}']", got[2].get(n), expected[2][n]) for n in ATTN)):
            assert_close(g, e, f"{name} from cross_attention_backward after {label}", rtol=1e-6, atol=1e-7)


def test_cross_attention_backward_matches_numerical(impl, ref_tree, rng):
    x, memory, p = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), attention_params(rng, 4)
    upstream = rng.normal(size=(2, 3, 4))
    _, cache = impl.cross_attention_forward(x, memory, p, 2)
    dx, dmemory, grads = impl.cross_attention_backward(upstream, cache)

    def loss(x_=x, m_=memory, p_=p):
        return float(np.sum(impl.cross_attention_forward(x_, m_, p_, 2)[0] * upstream))

    assert_close(dx, numerical(ref_tree, lambda z: loss(x_=z), x), "dx from cross_attention_backward", rtol=1e-5,
                 atol=1e-8, mistake="x feeds only the queries: dx = dq W_q^T")
    assert_close(dmemory, numerical(ref_tree, lambda z: loss(m_=z), memory), "dmemory from cross_attention_backward",
                 rtol=1e-5, atol=1e-8, mistake="memory feeds the keys and the values: dmemory = dk W_k^T + dv W_v^T")
    for name in ATTN:
        assert_close(grads.get(name), numerical(ref_tree, lambda w: loss(p_={**p, name: w}), p[name]),
                     f"grads['{name}'] from cross_attention_backward", rtol=1e-5, atol=1e-8,
                     mistake="W_q's gradient uses x; W_k's and W_v's use memory")


def test_encoder_layer_matches_reference(impl, ref, rng):
    x, p = rng.normal(size=(2, 5, 8)), layer_params(rng, 8, 16)
    pad = np.ones((2, 1, 1, 5), dtype=bool)
    pad[0, ..., 3:] = False
    for norm in ("pre", "post"):
        out, _ = impl.encoder_layer_forward(x, p, 2, pad, norm)
        assert_close(out, ref.encoder_layer_forward(x, p, 2, pad, norm)[0],
                     f"encoder_layer_forward(x, params, 2, padding mask, norm={norm!r})", rtol=1e-9, atol=1e-12,
                     mistake=f"{norm}-norm: " + ("x = x + attn(LN_1(x)); x = x + ffn(LN_2(x))" if norm == "pre" else
                                                 "x = LN_1(x + attn(x)); x = LN_2(x + ffn(x))"))
    out, _ = impl.encoder_layer_forward(x, p, 2, pad)
    assert_close(out, ref.encoder_layer_forward(x, p, 2, pad, "pre")[0], "encoder_layer_forward(x, params, 2, mask) "
                 "with the default norm", rtol=1e-9, atol=1e-12, mistake="norm defaults to 'pre'")


def test_encoder_layer_backward_matches_numerical(impl, ref_tree, rng):
    x, p = rng.normal(size=(2, 3, 4)), layer_params(rng, 4, 6)
    upstream = rng.normal(size=(2, 3, 4))
    for norm in ("pre", "post"):
        _, cache = impl.encoder_layer_forward(x, p, 2, None, norm)
        dx, grads = impl.encoder_layer_backward(upstream, cache)

        def loss(x_=x, p_=p):
            return float(np.sum(impl.encoder_layer_forward(x_, p_, 2, None, norm)[0] * upstream))

        assert_close(dx, numerical(ref_tree, lambda z: loss(x_=z), x), f"dx from encoder_layer_backward ({norm}-norm)",
                     rtol=1e-5, atol=1e-8, mistake="backward in reverse order: the feed-forward block first, then attention")
        for name in p:
            assert_close(grads.get(name), numerical(ref_tree, lambda w: loss(p_={**p, name: w}), p[name]),
                         f"grads['{name}'] from encoder_layer_backward ({norm}-norm)", rtol=1e-5, atol=1e-8,
                         mistake="every parameter of the layer gets its gradient, under the same key as in params")


def test_decoder_layer_is_causal_but_reads_the_whole_source(impl, rng):
    y, memory, p = rng.normal(size=(1, 6, 8)), rng.normal(size=(1, 6, 8)), layer_params(rng, 8, 16, decoder=True)
    for norm in ("pre", "post"):
        out, _ = impl.decoder_layer_forward(y, memory, p, 2, norm=norm)
        future = y.copy()
        future[:, 3:] = rng.normal(size=(1, 3, 8))
        assert_close(impl.decoder_layer_forward(future, memory, p, 2, norm=norm)[0][:, :3], out[:, :3],
                     f"decoder outputs 0..2 after changing decoder inputs 3..5 ({norm}-norm)",
                     mistake="the decoder's self-attention must apply causal_mask(T) itself")
        source = memory.copy()
        source[:, 5] = rng.normal(size=8)
        moved = np.abs(impl.decoder_layer_forward(y, source, p, 2, norm=norm)[0][0, 0] - out[0, 0]).max()
        expect(moved > 1e-6, f"decoder output 0 did not change when the LAST source position changed ({norm}-norm); "
               "position 0 must read the whole source",
               mistake="cross-attention takes no causal mask: only the source's padding mask")


def test_decoder_layer_matches_reference(impl, ref, rng):
    y, memory, p = rng.normal(size=(2, 4, 8)), rng.normal(size=(2, 6, 8)), layer_params(rng, 8, 16, decoder=True)
    tgt_pad = np.ones((2, 1, 1, 4), dtype=bool)
    tgt_pad[1, ..., 3:] = False
    src_pad = np.ones((2, 1, 1, 6), dtype=bool)
    src_pad[0, ..., 2:] = False
    for norm in ("pre", "post"):
        out, _ = impl.decoder_layer_forward(y, memory, p, 2, tgt_pad, src_pad, norm)
        assert_close(out, ref.decoder_layer_forward(y, memory, p, 2, tgt_pad, src_pad, norm)[0],
                     f"decoder_layer_forward(y, memory, params, 2, tgt_mask, memory_mask, norm={norm!r})",
                     rtol=1e-9, atol=1e-12,
                     mistake="self-attention (causal & tgt_mask, ln_1), cross-attention (memory_mask, ln_2), "
                             "feed-forward (ln_3), each in residual_forward")


def test_decoder_layer_backward_matches_numerical(impl, ref_tree, rng):
    y, memory, p = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 4)), layer_params(rng, 4, 6, decoder=True)
    upstream = rng.normal(size=(2, 3, 4))
    for norm in ("pre", "post"):
        _, cache = impl.decoder_layer_forward(y, memory, p, 2, norm=norm)
        dy, dmemory, grads = impl.decoder_layer_backward(upstream, cache)

        def loss(y_=y, m_=memory, p_=p):
            return float(np.sum(impl.decoder_layer_forward(y_, m_, p_, 2, norm=norm)[0] * upstream))

        assert_close(dy, numerical(ref_tree, lambda z: loss(y_=z), y), f"dy from decoder_layer_backward ({norm}-norm)",
                     rtol=1e-5, atol=1e-8)
        assert_close(dmemory, numerical(ref_tree, lambda z: loss(m_=z), memory),
                     f"dmemory from decoder_layer_backward ({norm}-norm)", rtol=1e-5, atol=1e-8,
                     mistake="memory reaches the output only through cross-attention's keys and values")
        for name in p:
            assert_close(grads.get(name), numerical(ref_tree, lambda w: loss(p_={**p, name: w}), p[name]),
                         f"grads['{name}'] from decoder_layer_backward ({norm}-norm)", rtol=1e-5, atol=1e-8)
