"""Checks for phase06_pytorch_transition/layers.py: the weight-naming rule, LayerNorm, GELU, FeedForward.

Each module is compared with PyTorch's own function where one exists (F.layer_norm, F.gelu), and, with phase
5's weights loaded, with phase 5's NumPy forward and backward: the reference's and the learner's own.
"""
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from checks.helpers import assert_close, expect
from checks.phase06_pytorch_transition.common import (ATOL, RTOL, compare_grads, compare_output, input_grad, load,
                                                      numpy64, randomize, tensor)

APPROXIMATE = ["none", "tanh"]


def test_torch_name_follows_the_table(impl):
    table = {"attn.W_q": "attn.proj_q.weight", "attn.b_o": "attn.proj_o.bias", "ffn.W_1": "ffn.proj_1.weight",
             "ffn.b_2": "ffn.proj_2.bias", "ln_1.gamma": "ln_1.weight", "dec.0.ln_3.beta": "dec.0.ln_3.bias",
             "enc.1.attn.W_v": "enc.1.attn.proj_v.weight", "src_embed": "src_embed.weight", "W_out": "proj_out.weight",
             "b_out": "proj_out.bias"}
    for name, expected in table.items():
        got = impl.torch_name(name)
        expect(got == expected, f"torch_name({name!r}) = {got!r}, expected {expected!r}",
               mistake="only the last dotted part changes: W_s -> proj_s.weight, b_s -> proj_s.bias, gamma -> weight, "
                       "beta -> bias, anything else (an embedding table) -> name.weight")


def test_state_dict_transposes_matrices(impl, rng):
    params = {"ffn.W_1": rng.normal(size=(3, 5)), "ffn.b_1": rng.normal(size=5), "ln.gamma": rng.normal(size=3),
              "src_embed": rng.normal(size=(7, 3))}
    state = impl.state_dict_from_numpy(params)
    expect(sorted(state) == ["ffn.proj_1.bias", "ffn.proj_1.weight", "ln.weight", "src_embed.weight"],
           f"state_dict_from_numpy keys {sorted(state)}")
    expect(all(isinstance(t, torch.Tensor) and t.dtype == torch.float64 for t in state.values()),
           "state_dict_from_numpy must return float64 tensors", mistake="torch.from_numpy keeps NumPy's float64")
    assert_close(numpy64(state["ffn.proj_1.weight"]), params["ffn.W_1"].T, "state['ffn.proj_1.weight'] from ffn.W_1 (3, 5)",
                 rtol=0, atol=0, mistake="nn.Linear keeps its weight as (out, in) = W.T")
    assert_close(numpy64(state["src_embed.weight"]), params["src_embed"], "state['src_embed.weight']", rtol=0, atol=0,
                 mistake="an embedding table (V, C) is stored as it is, not transposed")


def test_layer_norm_matches_torch(impl, rng):
    C = 6
    x = tensor(rng.normal(loc=2.0, scale=3.0, size=(2, 4, C)))
    params = {"gamma": 1 + 0.2 * rng.normal(size=C), "beta": 0.1 * rng.normal(size=C)}
    ln = load(impl, impl.LayerNorm(C), params, "LayerNorm(6)")
    expected = F.layer_norm(x, (C,), tensor(params["gamma"]), tensor(params["beta"]), eps=1e-5)
    compare_output(ln(x), numpy64(expected), "LayerNorm(6)(x) against F.layer_norm",
                   mistake="the biased variance (divide by C, unbiased=False), eps inside the square root")


def test_layer_norm_far_from_zero(impl, rng):
    """Rows whose mean is a million times their spread, and rows in the ten thousands, against F.layer_norm."""
    C = 6
    params = {"gamma": 1 + 0.2 * rng.normal(size=C), "beta": 0.1 * rng.normal(size=C)}
    ln = load(impl, impl.LayerNorm(C), params, "LayerNorm(6)")
    for loc, scale in ((1e6, 1.0), (0.0, 1e4)):
        x = tensor(loc + scale * rng.normal(size=(2, 3, C)), requires_grad=False)
        expected = F.layer_norm(x, (C,), tensor(params["gamma"]), tensor(params["beta"]), eps=1e-5)
        with torch.no_grad():
            got = ln(x)
        assert_close(numpy64(got), numpy64(expected), f"LayerNorm(6)(x) for rows of mean {loc:g} and spread {scale:g} "
                     "against F.layer_norm", rtol=1e-7, atol=1e-9,
                     mistake="var = ((x - mean) ** 2).mean(-1): mean(x^2) - mean^2 cancels every digit of the variance "
                             "when the mean is large")


def test_layer_norm_uses_its_eps(impl, rng):
    """eps = 0.1 and 0.5, on rows whose variance is of that size: the module's eps, not a constant."""
    C = 5
    for eps in (0.1, 0.5):
        params = {"gamma": 1 + 0.2 * rng.normal(size=C), "beta": 0.1 * rng.normal(size=C)}
        ln = load(impl, impl.LayerNorm(C, eps=eps), params, f"LayerNorm(5, eps={eps})")
        x = tensor(0.5 * rng.normal(size=(3, C)), requires_grad=False)
        expected = F.layer_norm(x, (C,), tensor(params["gamma"]), tensor(params["beta"]), eps=eps)
        with torch.no_grad():
            compare_output(ln(x), numpy64(expected), f"LayerNorm(5, eps={eps})(x) against F.layer_norm(..., eps={eps})",
                           mistake="add self.eps (the constructor's argument), not a fixed 1e-5")


@pytest.mark.parametrize("approximate", APPROXIMATE)
def test_gelu_far_in_its_tails(impl, approximate):
    """|x| up to 1000, forward and backward, against F.gelu: x^3 and exp are huge there, the answers x and 0."""
    values = [-1000.0, -60.0, -12.0, -3.0, 0.0, 3.0, 12.0, 60.0, 1000.0]
    x, x_torch = tensor(values), tensor(values)
    out = impl.GELU(approximate)(x)
    expected = F.gelu(x_torch, approximate=approximate)
    compare_output(out, numpy64(expected), f"GELU({approximate!r})(x) for x = {values}",
                   mistake="torch.tanh and torch.erf are finite for any input; tanh written with exp(2u) overflows")
    out.sum().backward()
    expected.sum().backward()
    assert_close(input_grad(x, "GELU"), numpy64(x_torch.grad), f"dx of GELU({approximate!r}) for |x| up to 1000",
                 rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("approximate", APPROXIMATE)
def test_gelu_matches_torch(impl, rng, approximate):
    x = tensor(rng.normal(scale=3.0, size=(3, 7)))
    compare_output(impl.GELU(approximate)(x), numpy64(F.gelu(x, approximate=approximate)),
                   f"GELU({approximate!r})(x) against F.gelu(x, approximate={approximate!r})",
                   mistake="exact: 0.5 x (1 + erf(x / sqrt 2)); tanh: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))")


def test_layer_norm_equals_numpy(impl, numpy_tree, rng):
    tree, whose = numpy_tree
    phase5 = tree.load("phase05_transformer.layers")
    C = 5
    x_np = rng.normal(loc=1.0, scale=2.0, size=(2, 3, C))
    params = {"gamma": 1 + 0.2 * rng.normal(size=C), "beta": 0.1 * rng.normal(size=C)}
    upstream = rng.normal(size=x_np.shape)
    expected, cache = phase5.layer_norm_forward(x_np, params["gamma"], params["beta"])
    dx, dgamma, dbeta = phase5.layer_norm_backward(upstream, cache)

    ln = load(impl, impl.LayerNorm(C), params, "LayerNorm(5)")
    x = tensor(x_np)
    out = ln(x)
    compare_output(out, expected, f"LayerNorm(5)(x) against {whose} phase 5 layer_norm_forward")
    out.backward(torch.from_numpy(upstream))
    assert_close(input_grad(x, "LayerNorm"), dx, f"dx of LayerNorm against {whose} phase 5 layer_norm_backward",
                 rtol=RTOL, atol=ATOL)
    compare_grads(impl.grads_to_numpy(ln, ["gamma", "beta"]), {"gamma": dgamma, "beta": dbeta},
                  f"against {whose} phase 5 layer_norm_backward")


@pytest.mark.parametrize("approximate", APPROXIMATE)
def test_gelu_equals_numpy(impl, numpy_tree, rng, approximate):
    tree, whose = numpy_tree
    phase5 = tree.load("phase05_transformer.layers")
    x_np, upstream = rng.normal(scale=2.0, size=(4, 5)), rng.normal(size=(4, 5))
    x = tensor(x_np)
    out = impl.GELU(approximate)(x)
    compare_output(out, phase5.gelu(x_np, approximate), f"GELU({approximate!r}) against {whose} phase 5 gelu")
    out.backward(torch.from_numpy(upstream))
    assert_close(input_grad(x, "GELU"), phase5.gelu_backward(upstream, x_np, approximate),
                 f"dx of GELU({approximate!r}) against {whose} phase 5 gelu_backward", rtol=RTOL, atol=ATOL)


def test_feed_forward_registers_its_layers(impl):
    shapes = {name: tuple(p.shape) for name, p in impl.FeedForward(4, 8).named_parameters()}
    expected = {"proj_1.weight": (8, 4), "proj_1.bias": (8,), "proj_2.weight": (4, 8), "proj_2.bias": (4,)}
    expect(shapes == expected, f"FeedForward(4, 8) has parameters {shapes}; expected {expected}",
           mistake="proj_1 = nn.Linear(C, d_ff), proj_2 = nn.Linear(d_ff, C), assigned as attributes")


@pytest.mark.parametrize("approximate", APPROXIMATE)
def test_feed_forward_equals_numpy(impl, numpy_tree, rng, approximate):
    tree, whose = numpy_tree
    phase5 = tree.load("phase05_transformer.feed_forward")
    C, d_ff = 4, 12
    params = randomize(phase5.init_params(C, d_ff, rng), rng)
    x_np = rng.normal(size=(2, 3, C))
    upstream = rng.normal(size=x_np.shape)
    expected, cache = phase5.feed_forward_forward(x_np, params, approximate)
    dx, grads = phase5.feed_forward_backward(upstream, cache)

    ffn = load(impl, impl.FeedForward(C, d_ff, approximate), params, f"FeedForward(4, 12, {approximate!r})")
    x = tensor(x_np)
    out = ffn(x)
    compare_output(out, expected, f"FeedForward(4, 12, {approximate!r})(x) against {whose} phase 5 feed_forward_forward",
                   mistake="proj_2(gelu(proj_1(x))) with the GELU's `approximate` passed on")
    out.backward(torch.from_numpy(upstream))
    assert_close(input_grad(x, "FeedForward"), dx, f"dx of FeedForward against {whose} phase 5 feed_forward_backward",
                 rtol=RTOL, atol=ATOL)
    compare_grads(impl.grads_to_numpy(ffn, list(params)), grads, f"against {whose} phase 5 feed_forward_backward",
                  mistake="grads_to_numpy transposes proj_s.weight.grad back to W_s's (in, out)")


def compare_inputs(rng):
    return [(f"torch_name({name!r})", "torch_name", (name,), {})
            for name in ("attn.W_q", "ffn.b_2", "dec.1.ln_3.gamma", "tgt_embed", "W_out")]
