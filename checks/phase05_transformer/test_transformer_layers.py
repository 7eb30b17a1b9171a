"""Checks for phase05_transformer/layers.py: layer norm forward and backward, GELU (exact and tanh), positions."""
import math

import numpy as np

from checks.helpers import assert_close, expect
from checks.phase02_sequence_models.gradcheck import numerical


def test_layer_norm_standardises_each_position(impl, rng):
    x = rng.normal(loc=3.0, scale=2.0, size=(2, 3, 8))
    out = impl.layer_norm(x, np.ones(8), np.zeros(8))
    expect(np.shape(out) == x.shape, f"layer_norm(x (2, 3, 8), ...) has shape {np.shape(out)}, expected (2, 3, 8)")
    assert_close(out.mean(axis=-1), np.zeros((2, 3)), "mean over the last axis of layer_norm(x, 1, 0)", atol=1e-12,
                 mistake="normalise over the features (axis=-1, keepdims=True), not over the batch")
    var = x.var(axis=-1)
    assert_close(out.var(axis=-1), var / (var + 1e-5), "variance over the last axis of layer_norm(x, 1, 0)", rtol=1e-9,
                 mistake="divide by sqrt(var + eps) where var is the biased variance (mean of squares, / C, not / (C - 1))")
    gamma, beta = rng.normal(size=8), rng.normal(size=8)
    assert_close(impl.layer_norm(x, gamma, beta), gamma * out + beta, "layer_norm(x, gamma, beta)", rtol=1e-9, atol=1e-12,
                 mistake="scale by gamma and shift by beta after normalising")


def test_layer_norm_matches_reference_where_eps_matters(impl, ref, rng):
    """Rows whose variance is near eps: eps must sit inside the square root, with the biased variance."""
    for scale, C in ((1.0, 4), (1e-3, 6), (3e-3, 5)):
        x = rng.normal(scale=scale, size=(3, C))
        gamma, beta = rng.normal(size=C), rng.normal(size=C)
        assert_close(impl.layer_norm(x, gamma, beta), ref.layer_norm(x, gamma, beta),
                     f"layer_norm(x, gamma, beta) for x of shape (3, {C}) with entries of size {scale:g}",
                     rtol=1e-7, atol=1e-10,
                     mistake="x_hat = (x - mean) / sqrt(var + eps), eps inside the root, var = mean((x - mean)^2)")
    x = rng.normal(size=(2, 6))
    assert_close(impl.layer_norm(x, np.ones(6), np.zeros(6), eps=0.5), ref.layer_norm(x, np.ones(6), np.zeros(6), eps=0.5),
                 "layer_norm(x, 1, 0, eps=0.5)", rtol=1e-9, mistake="use the eps argument, not a constant")


def test_layer_norm_far_from_zero(impl, ref, rng):
    """Rows whose mean is a million times their spread, and rows in the ten thousands: the variance of x - mean."""
    C = 8
    gamma, beta = rng.normal(size=C), rng.normal(size=C)
    for loc, scale in ((1e6, 1.0), (-3e5, 0.5), (0.0, 1e4)):
        x = loc + scale * rng.normal(size=(2, 3, C))
        got, expected = impl.layer_norm(x, gamma, beta), ref.layer_norm(x, gamma, beta)
        assert_close(got, expected, f"layer_norm(x, gamma, beta) for rows of mean {loc:g} and spread {scale:g}",
                     rtol=1e-7, atol=1e-9, mistake="var = mean((x - mean)^2): mean(x^2) - mean^2 loses every digit of "
                     "the variance when the mean is large (both terms are about 1e12, their difference about 1)")


def test_layer_norm_on_any_number_of_leading_axes(impl, ref, rng):
    """One position (C,), a (T, C) matrix and a 4-D batch: the features are the last axis, whatever comes before."""
    C = 5
    gamma, beta = rng.normal(size=C), rng.normal(size=C)
    for shape in ((C,), (4, C), (2, 1, 3, C)):
        x, dout = rng.normal(size=shape), rng.normal(size=shape)
        out, cache = impl.layer_norm_forward(x, gamma, beta)
        ref_out, ref_cache = ref.layer_norm_forward(x, gamma, beta)
        assert_close(out, ref_out, f"layer_norm_forward for x of shape {shape}", rtol=1e-9, atol=1e-12,
                     mistake="reduce over axis=-1 with keepdims=True, whatever the number of axes")
        for name, g, e in zip(("dx", "dgamma", "dbeta"), impl.layer_norm_backward(dout, cache),
                              ref.layer_norm_backward(dout, ref_cache)):
            assert_close(g, e, f"{name} from layer_norm_backward for x of shape {shape}", rtol=1e-9, atol=1e-12,
                         mistake="dgamma and dbeta sum over every axis but the last: tuple(range(dout.ndim - 1)), "
                                 "not a fixed (0, 1)")


def test_layer_norm_backward_matches_numerical(impl, ref_tree, rng):
    x = rng.normal(size=(2, 3, 5))
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    upstream = rng.normal(size=(2, 3, 5))
    out, cache = impl.layer_norm_forward(x, gamma, beta)
    assert_close(out, impl.layer_norm(x, gamma, beta), "layer_norm_forward(x, gamma, beta)[0] against layer_norm")
    dx, dgamma, dbeta = impl.layer_norm_backward(upstream, cache)

    def loss(x_, g_, b_):
        return float(np.sum(impl.layer_norm_forward(x_, g_, b_)[0] * upstream))

    assert_close(dx, numerical(ref_tree, lambda z: loss(z, gamma, beta), x), "dx from layer_norm_backward", rtol=1e-5,
                 atol=1e-8, mistake="x enters through x - mean AND through var: dx = (g - mean(g) - x_hat mean(g x_hat)) / std")
    assert_close(dgamma, numerical(ref_tree, lambda g: loss(x, g, beta), gamma), "dgamma from layer_norm_backward",
                 rtol=1e-5, atol=1e-8, mistake="dgamma = sum over every position of dout * x_hat, shape (C,)")
    assert_close(dbeta, numerical(ref_tree, lambda b: loss(x, gamma, b), beta), "dbeta from layer_norm_backward",
                 rtol=1e-5, atol=1e-8, mistake="dbeta = sum over every position of dout, shape (C,)")


def test_gelu_known_values(impl):
    x = np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 2.0])
    phi = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    assert_close(impl.gelu(x), x * phi, "gelu(x) for x = [-3, -1, 0, 0.5, 1, 2]", rtol=1e-12, atol=1e-15,
                 mistake="GELU(x) = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2")
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    assert_close(impl.gelu(x, approximate="tanh"), tanh_form, "gelu(x, approximate='tanh')", rtol=1e-12, atol=1e-15,
                 mistake="0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))")
    expect(abs(float(impl.gelu(np.array([1.0]))[0]) - 0.8413447460685429) < 1e-12,
           "gelu(1) should be Phi(1) = 0.841344746...")


def test_gelu_backward_matches_numerical(impl, ref_tree, rng):
    x = rng.normal(scale=2.0, size=(3, 4))
    upstream = rng.normal(size=(3, 4))
    for approximate in ("none", "tanh"):
        got = impl.gelu_backward(upstream, x, approximate)
        expected = numerical(ref_tree, lambda z: float(np.sum(impl.gelu(z, approximate) * upstream)), x)
        assert_close(got, expected, f"gelu_backward(dout, x, approximate={approximate!r})", rtol=1e-6, atol=1e-9,
                     mistake="GELU'(x) = Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi); times dout")


def test_gelu_far_in_its_tails(impl, ref):
    """|x| up to 1000, both forms, forward and backward: x^3 and exp(-x^2 / 2) are huge or tiny there, the answers
    are x and 0 (and their slopes 1 and 0)."""
    x = np.array([-1000.0, -60.0, -12.0, -3.0, 0.0, 3.0, 12.0, 60.0, 1000.0])
    dout = np.linspace(0.5, 1.5, x.size)
    for approximate in ("none", "tanh"):
        got = impl.gelu(x, approximate)
        expect(np.all(np.isfinite(got)), f"gelu(x, approximate={approximate!r}) for x = {x.tolist()} returned "
               f"{np.asarray(got).tolist()}: inf or NaN", mistake="np.tanh and the given _erf are finite for any input; "
               "tanh written with exp(2u) overflows for large u")
        assert_close(got, ref.gelu(x, approximate), f"gelu(x, approximate={approximate!r}) for |x| up to 1000",
                     rtol=1e-12, atol=1e-12, mistake="use np.tanh (or the given _erf), not a formula of exp that overflows")
        assert_close(impl.gelu_backward(dout, x, approximate), ref.gelu_backward(dout, x, approximate),
                     f"gelu_backward(dout, x, approximate={approximate!r}) for |x| up to 1000", rtol=1e-10, atol=1e-12,
                     mistake="GELU' tends to 1 for large x and 0 for large -x: keep every factor finite")


def test_positional_encoding_formula(impl):
    pe = impl.sinusoidal_positional_encoding(50, 16)
    expect(np.shape(pe) == (50, 16), f"sinusoidal_positional_encoding(50, 16) has shape {np.shape(pe)}, expected (50, 16)")
    assert_close(pe[0], np.tile([0.0, 1.0], 8), "row 0 of sinusoidal_positional_encoding(50, 16)", atol=1e-12,
                 mistake="sin on the even columns (sin 0 = 0), cos on the odd ones (cos 0 = 1)")
    pos = np.arange(50)
    for i in (0, 3, 7):
        assert_close(pe[:, 2 * i], np.sin(pos / 10000 ** (2 * i / 16)), f"column {2 * i} (sin, pair i = {i})", atol=1e-12,
                     mistake="PE[pos, 2i] = sin(pos / 10000^(2i / d)): the exponent uses 2i, the column index")
        assert_close(pe[:, 2 * i + 1], np.cos(pos / 10000 ** (2 * i / 16)), f"column {2 * i + 1} (cos, pair i = {i})",
                     atol=1e-12, mistake="PE[pos, 2i + 1] = cos(pos / 10000^(2i / d)): the same frequency as column 2i")


def test_positional_encoding_matches_reference(impl, ref):
    for T, d in ((7, 6), (3, 5), (1, 2)):
        assert_close(impl.sinusoidal_positional_encoding(T, d), ref.sinusoidal_positional_encoding(T, d),
                     f"sinusoidal_positional_encoding({T}, {d})", atol=1e-12,
                     mistake="for odd d the last column is a sin: there are ceil(d / 2) frequencies")


def compare_inputs(rng):
    x = rng.normal(size=(2, 6))
    return [("layer_norm(x, gamma, beta)", "layer_norm", (x, rng.normal(size=6), rng.normal(size=6)), {}),
            ("gelu(x)", "gelu", (x,), {}),
            ("gelu(x, approximate='tanh')", "gelu", (x,), {"approximate": "tanh"}),
            ("sinusoidal_positional_encoding(4, 6)", "sinusoidal_positional_encoding", (4, 6), {})]
