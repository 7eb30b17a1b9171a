"""Checks for phase09_modern_developments/flash_attention.py: tiled attention equals exact attention for any tile
sizes, ragged tiles and causal masks; its backward equals the exact gradients; its memory grows linearly."""
import tracemalloc

import numpy as np
import pytest

from checks.helpers import assert_close, expect

WHY = ("online softmax: when the running max grows from m to m_new, multiply BOTH the running sum l and the running "
       "output acc by exp(m - m_new) before adding the new tile")


def exact(ref_tree, q, k, v, causal):
    """Phase 4's scaled dot-product attention, with query i (one of the last Tq of Tk positions) seeing j <= i + Tk - Tq."""
    attention = ref_tree.load("phase04_attention.attention")
    Tq, Tk = q.shape[-2], k.shape[-2]
    mask = np.arange(Tk)[None, :] <= np.arange(Tq)[:, None] + Tk - Tq if causal else None
    return attention.scaled_dot_product_attention(q, k, v, mask)


def logsumexp_of_scores(q, k, causal):
    Tq, Tk = q.shape[-2], k.shape[-2]
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if causal:
        s = np.where(np.arange(Tk)[None, :] <= np.arange(Tq)[:, None] + Tk - Tq, s, -np.inf)
    m = s.max(-1, keepdims=True)
    return (m + np.log(np.exp(s - m).sum(-1, keepdims=True)))[..., 0]


@pytest.mark.parametrize("causal", [False, True])
def test_forward_equals_exact_attention_for_any_tiles(impl, ref_tree, rng, causal):
    q, k, v = rng.normal(size=(2, 3, 13, 8)), rng.normal(size=(2, 3, 13, 8)), rng.normal(size=(2, 3, 13, 5))
    expected, _ = exact(ref_tree, q, k, v, causal)
    lse = logsumexp_of_scores(q, k, causal)
    for tile_q, tile_k in ((1, 1), (4, 4), (5, 3), (13, 2), (16, 16), (3, 13)):
        what = f"flash_attention_forward(q, k, v, causal={causal}, tile_q={tile_q}, tile_k={tile_k}) for T = 13"
        out, got_lse = impl.flash_attention_forward(q, k, v, causal=causal, tile_q=tile_q, tile_k=tile_k)
        assert_close(out, expected, what, rtol=1e-10, atol=1e-12,
                     mistake=WHY + "; the last tile is shorter: stop at min(start + tile, T)"
                     + ("; key j is visible to query i when j <= i" if causal else ""))
        assert_close(got_lse, lse, what + ": lse", rtol=1e-10, atol=1e-12,
                     mistake="lse = m + log(l): the running max plus the log of the running sum, per query row")


def test_fewer_queries_than_keys_and_large_scores(impl, ref_tree, rng):
    """Queries at the last 5 of 11 positions (a KV cache), causal; and scores near 1000, where exp overflows."""
    q, k, v = rng.normal(size=(3, 5, 6)), rng.normal(size=(3, 11, 6)), rng.normal(size=(3, 11, 4))
    out, _ = impl.flash_attention_forward(q, k, v, causal=True, tile_q=2, tile_k=4)
    assert_close(out, exact(ref_tree, q, k, v, True)[0], "flash_attention_forward(causal=True) with Tq = 5, Tk = 11",
                 rtol=1e-10, atol=1e-12, mistake="query i of Tq sits at position i + Tk - Tq and sees keys j <= i + Tk - Tq")
    big = 60 * q
    out, lse = impl.flash_attention_forward(big, k, v, tile_q=2, tile_k=3)
    expect(np.isfinite(out).all() and np.isfinite(lse).all(), "flash_attention_forward returns inf or NaN for scores "
           "of several hundred", "subtract the running max before exp, as a stable softmax does")
    assert_close(out, exact(ref_tree, big, k, v, False)[0], "flash_attention_forward for scores of several hundred",
                 rtol=1e-9, atol=1e-12, mistake=WHY)


@pytest.mark.parametrize("causal", [False, True])
def test_backward_equals_the_exact_gradients(impl, ref_tree, rng, causal):
    attention = ref_tree.load("phase04_attention.attention")
    q, k, v = rng.normal(size=(2, 2, 10, 4)), rng.normal(size=(2, 2, 10, 4)), rng.normal(size=(2, 2, 10, 3))
    dout = rng.normal(size=(2, 2, 10, 3))
    out, weights = exact(ref_tree, q, k, v, causal)
    expected = attention.scaled_dot_product_attention_backward(dout, q, k, v, weights)
    flash_out, lse = impl.flash_attention_forward(q, k, v, causal=causal, tile_q=3, tile_k=4)
    got = impl.flash_attention_backward(dout, q, k, v, flash_out, lse, causal=causal, tile_q=3, tile_k=4)
    for name, g, e in zip(("dq", "dk", "dv"), got, expected):
        assert_close(g, e, f"{name} from flash_attention_backward(causal={causal}, tile_q=3, tile_k=4), T = 10", rtol=1e-9,
                     atol=1e-11, mistake="recompute P = exp(S - lse) tile by tile; dS = P * (dP - D) with "
                     "D = rowsum(dout * out); accumulate dq, dk, dv over tiles (+=), each scaled by 1/sqrt(d)")


@pytest.mark.parametrize("causal", [False, True])
def test_scores_near_a_thousand(impl, ref_tree, rng, causal):
    """Rows whose scores are all near +1000 and rows whose scores are all near -1000 (exp underflows to 0 there),
    T = 13 over ragged 4 x 5 tiles: forward and backward against exact attention."""
    attention = ref_tree.load("phase04_attention.attention")
    u = np.full(4, 0.5)                                              # a unit vector
    sign = np.where(rng.random(13) < 0.5, -1.0, 1.0)
    q = 45 * sign[:, None] * u + rng.normal(size=(2, 13, 4))          # q . k / sqrt(4) about +-1000 per row
    k, v = 45 * u + rng.normal(size=(2, 13, 4)), rng.normal(size=(2, 13, 3))
    dout = rng.normal(size=(2, 13, 3))
    expected, weights = exact(ref_tree, q, k, v, causal)
    tiles = dict(causal=causal, tile_q=4, tile_k=5)
    out, lse = impl.flash_attention_forward(q, k, v, **tiles)
    assert_close(out, expected, f"flash_attention_forward(causal={causal}, tile_q=4, tile_k=5) with scores near +-1000",
                 rtol=1e-9, atol=1e-11, mistake="start the running max at -inf: with m = 0 a row whose scores are all "
                 "below -745 has l = 0 and out = 0 / 0")
    assert_close(lse, logsumexp_of_scores(q, k, causal), "its lse with scores near +-1000", rtol=1e-12, atol=1e-9)
    grads = impl.flash_attention_backward(dout, q, k, v, out, lse, **tiles)
    for name, g, e in zip(("dq", "dk", "dv"), grads, attention.scaled_dot_product_attention_backward(dout, q, k, v, weights)):
        assert_close(g, e, f"{name} from flash_attention_backward(causal={causal}) with scores near +-1000", rtol=1e-7,
                     atol=1e-9, mistake="P = exp(S - lse) in one exp: exp(S) / exp(lse) overflows (or is 0 / 0)")


def test_backward_against_central_differences(impl, ref_tree, rng):
    numerical_gradient = ref_tree.load("phase00_math.calculus").numerical_gradient
    q, k, v = rng.normal(size=(5, 3)), rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    dout = rng.normal(size=(5, 2))
    tiles = dict(causal=True, tile_q=2, tile_k=3)
    out, lse = impl.flash_attention_forward(q, k, v, **tiles)
    grads = impl.flash_attention_backward(dout, q, k, v, out, lse, **tiles)

    def loss(q_, k_, v_):
        return float((impl.flash_attention_forward(q_, k_, v_, **tiles)[0] * dout).sum())

    for name, g, f, x in zip(("dq", "dk", "dv"), grads,
                             (lambda x: loss(x, k, v), lambda x: loss(q, x, v), lambda x: loss(q, k, x)), (q, k, v)):
        assert_close(g, numerical_gradient(f, x.copy()), f"{name} from flash_attention_backward against central "
                     "differences of sum(out * dout) (Tq = 5, Tk = 7, causal)", rtol=1e-6, atol=1e-8)


def peak_bytes(fn) -> int:
    """The most memory NumPy held at once during fn(), beyond what existed before (tracemalloc sees NumPy's arrays)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_grows_linearly_with_length(impl, rng):
    """T = 128, 256, 512 with 32 x 32 tiles: the peak may grow like T (inputs' copies, the output), never like T^2
    (the scores)."""
    peaks = {}
    for T in (128, 256, 512):
        q, k, v = rng.normal(size=(T, 16)), rng.normal(size=(T, 16)), rng.normal(size=(T, 16))
        peaks[T] = peak_bytes(lambda: impl.flash_attention_forward(q, k, v, causal=True, tile_q=32, tile_k=32))
        if T == 512:
            out, lse = impl.flash_attention_forward(q, k, v, causal=True, tile_q=32, tile_k=32)
            dout = rng.normal(size=(T, 16))
            backward = peak_bytes(lambda: impl.flash_attention_backward(dout, q, k, v, out, lse, causal=True,
                                                                        tile_q=32, tile_k=32))
    table = ", ".join(f"T = {T}: {p / 1024:.0f} KiB" for T, p in peaks.items())
    scores_512 = 512 * 512 * 8
    expect(peaks[512] < scores_512 / 2, f"peak memory of flash_attention_forward: {table}; one 512 x 512 float64 score "
           f"matrix alone is {scores_512 / 1024:.0f} KiB", "never hold the whole (Tq, Tk) score matrix: one tile at a time")
    expect(peaks[512] <= 6 * peaks[128], f"peak memory of flash_attention_forward grows faster than linearly: {table} "
           "(4x the length: about 4x if linear, 16x if quadratic; at most 6x passes)",
           "keep only per-row running values (m, l, acc) and one tile of scores")
    expect(backward < scores_512 / 2, f"peak memory of flash_attention_backward at T = 512 is {backward / 1024:.0f} KiB; "
           f"one 512 x 512 float64 matrix is {scores_512 / 1024:.0f} KiB", "recompute P one tile at a time from lse")
