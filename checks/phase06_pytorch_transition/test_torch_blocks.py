"""Checks for phase06_pytorch_transition/blocks.py: residual blocks, encoder and decoder layers as nn.Modules.

`residual` is compared with the two formulas written out here with F.layer_norm; the layers, with phase 5's
weights loaded (through the reference's layers.from_numpy), with phase 5's NumPy forward and backward: the
reference's and the learner's own. Pre-norm and post-norm, with padding masks.
"""
import numpy as np
import pytest
import torch
from torch.nn import functional as F

from checks.helpers import assert_close, expect
from checks.phase06_pytorch_transition.common import (ATOL, RTOL, compare_grads, compare_output, input_grad, load,
                                                      numpy64, randomize, tensor)

NORMS = ["pre", "post"]
C, N_HEAD, D_FF = 8, 2, 12


@pytest.mark.parametrize("norm", NORMS)
def test_residual_formulas(impl, ref_tree, rng, norm):
    ln = load(ref_tree.load("phase06_pytorch_transition.layers"), ref_tree.load("phase06_pytorch_transition.layers")
              .LayerNorm(C), {"gamma": 1 + 0.2 * rng.normal(size=C), "beta": 0.1 * rng.normal(size=C)}, "LayerNorm")
    W = tensor(rng.normal(scale=0.5, size=(C, C)), requires_grad=False)

    def sublayer(h):
        return torch.tanh(h @ W)

    x = tensor(rng.normal(loc=0.5, scale=2.0, size=(2, 3, C)), requires_grad=False)
    with torch.no_grad():
        def layer_norm(h):
            return F.layer_norm(h, (C,), ln.weight, ln.bias, eps=1e-5)
        expected = x + sublayer(layer_norm(x)) if norm == "pre" else layer_norm(x + sublayer(x))
        got = impl.residual(x, sublayer, ln, norm)
    formula = "x + sublayer(LN(x))" if norm == "pre" else "LN(x + sublayer(x))"
    compare_output(got, numpy64(expected), f"residual(x, sublayer, ln, norm={norm!r}) against {formula}",
                   mistake="pre-norm: out = x + sublayer(ln(x)), the residual around the normalised sublayer; "
                           "post-norm: out = ln(x + sublayer(x))")


def layer_params(tree, kind, rng):
    blocks = tree.load("phase05_transformer.blocks")
    init = blocks.init_encoder_layer if kind == "encoder" else blocks.init_decoder_layer
    return randomize(init(C, D_FF, rng), rng)


def padding(B, T, lengths):
    keep = np.ones((B, 1, 1, T), dtype=bool)
    for b, n in enumerate(lengths):
        keep[b, ..., n:] = False
    return keep


def test_layers_register_their_sublayers(impl, ref_tree, rng):
    for kind, cls in (("encoder", impl.EncoderLayer), ("decoder", impl.DecoderLayer)):
        expected = sorted(ref_tree.load("phase06_pytorch_transition.layers").torch_name(n)
                          for n in layer_params(ref_tree, kind, rng))
        got = sorted(name for name, _ in cls(C, N_HEAD, D_FF).named_parameters())
        expect(got == expected, f"{cls.__name__}({C}, {N_HEAD}, {D_FF}) has parameters {got}; expected {expected}",
               mistake="submodules named as phase 5's prefixes: ln_1, attn (self_attn, cross_attn), ln_2, ffn, ...")


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("norm", NORMS)
def test_encoder_layer_equals_numpy(impl, ref_tree, numpy_tree, rng, norm, approximate):
    tree, whose = numpy_tree
    blocks = tree.load("phase05_transformer.blocks")
    params = layer_params(ref_tree, "encoder", rng)
    x_np, upstream = rng.normal(size=(2, 5, C)), rng.normal(size=(2, 5, C))
    keep = padding(2, 5, [5, 3])
    expected, cache = blocks.encoder_layer_forward(x_np, params, N_HEAD, keep, norm, approximate)
    dx, grads = blocks.encoder_layer_backward(upstream, cache)

    converter = ref_tree.load("phase06_pytorch_transition.layers")
    layer = load(converter, impl.EncoderLayer(C, N_HEAD, D_FF, norm, approximate), params, f"EncoderLayer(norm={norm!r})")
    x = tensor(x_np)
    out = layer(x, torch.from_numpy(keep))
    what = f"EncoderLayer(norm={norm!r}, approximate={approximate!r})"
    compare_output(out, expected, f"{what}(x, padding mask) against {whose} phase 5 encoder_layer_forward",
                   mistake="pre-norm adds x around sublayer(ln(x)); post-norm normalises x + sublayer(x); ln_1 goes with "
                           "attention, ln_2 with the feed-forward network")
    out.backward(torch.from_numpy(upstream))
    assert_close(input_grad(x, what), dx, f"dx of {what} against {whose} phase 5 encoder_layer_backward",
                 rtol=RTOL, atol=ATOL)
    compare_grads(converter.grads_to_numpy(layer, list(params)), grads, f"of {what} against {whose} phase 5")


@pytest.mark.parametrize("norm", NORMS)
def test_decoder_layer_equals_numpy(impl, ref_tree, numpy_tree, rng, norm):
    tree, whose = numpy_tree
    blocks = tree.load("phase05_transformer.blocks")
    params = layer_params(ref_tree, "decoder", rng)
    T, S = 4, 5
    y_np, memory_np, upstream = rng.normal(size=(2, T, C)), rng.normal(size=(2, S, C)), rng.normal(size=(2, T, C))
    tgt_keep, memory_keep = padding(2, T, [4, 3]), padding(2, S, [2, 5])
    expected, cache = blocks.decoder_layer_forward(y_np, memory_np, params, N_HEAD, tgt_keep, memory_keep, norm, "tanh")
    dy, dmemory, grads = blocks.decoder_layer_backward(upstream, cache)

    converter = ref_tree.load("phase06_pytorch_transition.layers")
    layer = load(converter, impl.DecoderLayer(C, N_HEAD, D_FF, norm, "tanh"), params, f"DecoderLayer(norm={norm!r})")
    y, memory = tensor(y_np), tensor(memory_np)
    out = layer(y, memory, torch.from_numpy(tgt_keep), torch.from_numpy(memory_keep))
    what = f"DecoderLayer(norm={norm!r})"
    compare_output(out, expected, f"{what}(y, memory, tgt_mask, memory_mask) against {whose} phase 5 decoder_layer_forward",
                   mistake="self-attention gets the causal mask and-ed with tgt_mask; cross-attention gets memory_mask only, "
                           "never the causal mask")
    out.backward(torch.from_numpy(upstream))
    assert_close(input_grad(y, what), dy, f"dy of {what} against {whose} phase 5 decoder_layer_backward", rtol=RTOL, atol=ATOL)
    assert_close(input_grad(memory, what + " (memory)"), dmemory, f"dmemory of {what} against {whose} phase 5",
                 rtol=RTOL, atol=ATOL)
    compare_grads(converter.grads_to_numpy(layer, list(params)), grads, f"of {what} against {whose} phase 5")


def test_decoder_sees_the_whole_source_and_no_future(impl, ref_tree, rng):
    converter = ref_tree.load("phase06_pytorch_transition.layers")
    layer = load(converter, impl.DecoderLayer(C, N_HEAD, D_FF), layer_params(ref_tree, "decoder", rng), "DecoderLayer")
    T, S = 5, 6
    y = tensor(rng.normal(size=(1, T, C)), requires_grad=False)
    memory = tensor(rng.normal(size=(1, S, C)), requires_grad=False)
    y2, memory2 = y.clone(), memory.clone()
    y2[:, 3:] += 1.0
    memory2[:, -1] += 1.0
    with torch.no_grad():
        out, out_future, out_source = layer(y, memory), layer(y2, memory), layer(y, memory2)
    assert_close(numpy64(out_future[:, :3]), numpy64(out[:, :3]), "decoder outputs 0..2 after changing y at 3..4",
                 rtol=0, atol=1e-13, mistake="the decoder's self-attention needs the causal mask")
    expect(bool((out_source[:, 0] - out[:, 0]).abs().max() > 1e-6),
           "decoder output 0 did not change when the LAST source position changed",
           mistake="cross-attention must not get the causal mask: every target position may read the whole source")
