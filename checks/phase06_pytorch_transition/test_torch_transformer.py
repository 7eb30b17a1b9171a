"""Checks for phase06_pytorch_transition/transformer.py: the encoder-decoder as one nn.Module, and Adam steps.

With phase 5's weights loaded (through the reference's layers.from_numpy), logits, loss and every
parameter's gradient equal phase 5's NumPy transformer, and three steps of torch.optim.Adam equal three of
phase 2's NumPy adam_step on phase 5's gradients: the reference's and the learner's own, in float64.
"""
import numpy as np
import pytest
import torch

from checks.helpers import assert_close, expect
from checks.phase06_pytorch_transition.common import RTOL, compare_grads, compare_output, load, randomize

NORMS = ["pre", "post"]
PAD = 0


def setup(tree, rng, norm, pad_id=PAD):
    """A tiny config, random phase-5 weights, and a padded batch: (config, params, src, tgt_in, tgt_out)."""
    phase5 = tree.load("phase05_transformer.transformer")
    config = phase5.TransformerConfig(src_vocab=11, tgt_vocab=13, d_model=8, n_head=2, d_ff=16, n_layer=2, norm=norm,
                                      approximate="tanh", pad_id=pad_id)
    params = randomize(phase5.init_params(config, rng), rng)
    params["src_embed"] *= 8 ** -0.5  # sqrt(C) E[t] with unit-size entries, as phase 5 intends
    params["tgt_embed"] *= 8 ** -0.5
    src = rng.integers(1, 11, size=(2, 5))
    tgt_in, tgt_out = rng.integers(1, 13, size=(2, 4)), rng.integers(1, 13, size=(2, 4))
    if pad_id is not None:  # padding only at the end, never the first token
        src[1, 3:] = pad_id
        tgt_in[0, 3:] = pad_id
        tgt_out[0, 2:] = pad_id
    return config, params, src, tgt_in, tgt_out


def model_for(impl, ref_tree, config, params):
    converter = ref_tree.load("phase06_pytorch_transition.layers")
    return load(converter, impl.Transformer(config), params, f"Transformer(norm={config.norm!r})"), converter


@pytest.mark.parametrize("norm", NORMS)
def test_parameters_carry_phase5_names(impl, ref_tree, rng, norm):
    config, params, *_ = setup(ref_tree, rng, norm)
    converter = ref_tree.load("phase06_pytorch_transition.layers")
    expected = sorted(converter.torch_name(name) for name in params)
    got = sorted(name for name, _ in impl.Transformer(config).named_parameters())
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    expect(not missing and not extra, f"Transformer(norm={norm!r}) parameters: missing {missing[:6]}, unexpected {extra[:6]}",
           mistake="enc and dec are nn.ModuleDicts with layers '0', '1', ... and, for pre-norm only, 'ln_f'; "
                   "the output layer is proj_out")


@pytest.mark.parametrize("norm", NORMS)
def test_logits_equal_numpy(impl, ref_tree, numpy_tree, rng, norm):
    tree, whose = numpy_tree
    config, params, src, tgt_in, _ = setup(ref_tree, rng, norm)
    expected, _ = tree.load("phase05_transformer.transformer").transformer_forward(params, src, tgt_in, config)
    model, _ = model_for(impl, ref_tree, config, params)
    with torch.no_grad():
        logits = model(torch.from_numpy(src), torch.from_numpy(tgt_in))
    compare_output(logits, expected, f"Transformer(norm={norm!r})(src, tgt_in) with padding against {whose} phase 5 "
                   "transformer_forward", mistake="sqrt(C) times the embedding plus phase 5's positional encoding; the "
                   "source's padding mask in the encoder AND the cross-attention, the target's in the decoder")


@pytest.mark.parametrize("norm", NORMS)
def test_loss_and_gradients_equal_numpy(impl, ref_tree, numpy_tree, rng, norm):
    tree, whose = numpy_tree
    config, params, src, tgt_in, tgt_out = setup(ref_tree, rng, norm)
    expected_loss, grads = tree.load("phase05_transformer.transformer").loss_and_grads(params, src, tgt_in, tgt_out, config)
    model, converter = model_for(impl, ref_tree, config, params)
    loss = model.loss(*(torch.from_numpy(a) for a in (src, tgt_in, tgt_out)))
    expect(isinstance(loss, torch.Tensor) and loss.dim() == 0, f"model.loss(...) returned {type(loss).__name__} "
           f"{tuple(getattr(loss, 'shape', ()))}; expected a 0-d tensor", mistake="F.cross_entropy's default mean")
    assert_close(loss.item(), expected_loss, f"model.loss(src, tgt_in, tgt_out) against {whose} phase 5 loss_and_grads",
                 rtol=RTOL, mistake="the mean over targets that are not pad_id: F.cross_entropy(..., ignore_index=pad_id)")
    loss.backward()
    compare_grads(converter.grads_to_numpy(model, list(params)), grads,
                  f"of the loss (norm={norm!r}) against {whose} phase 5 loss_and_grads")


def test_no_padding_configuration(impl, ref_tree, rng):
    config, params, src, tgt_in, tgt_out = setup(ref_tree, rng, "pre", pad_id=None)
    expected, _ = ref_tree.load("phase05_transformer.transformer").loss_and_grads(params, src, tgt_in, tgt_out, config)
    model, _ = model_for(impl, ref_tree, config, params)
    with torch.no_grad():
        loss = model.loss(*(torch.from_numpy(a) for a in (src, tgt_in, tgt_out)))
    assert_close(loss.item(), expected, "model.loss with pad_id=None against phase 5", rtol=RTOL,
                 mistake="pad_id None: no padding mask (None) and every target counts")


def test_adam_steps_equal_numpy(impl, ref_tree, numpy_tree, rng):
    tree, whose = numpy_tree
    phase5 = tree.load("phase05_transformer.transformer")
    adam_step = tree.load("phase02_sequence_models.optim").adam_step
    config, params, src, tgt_in, tgt_out = setup(ref_tree, rng, "pre")
    model, converter = model_for(impl, ref_tree, config, params)
    lr, betas, eps = 1e-2, (0.9, 0.98), 1e-8
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=betas, eps=eps)
    batch = [torch.from_numpy(a) for a in (src, tgt_in, tgt_out)]
    numpy_params, state = {name: value.copy() for name, value in params.items()}, {}
    for step in range(1, 4):
        loss = impl.train_step(model, optimizer, *batch)
        expected_loss, grads = phase5.loss_and_grads(numpy_params, src, tgt_in, tgt_out, config)
        adam_step(numpy_params, grads, state, lr, betas, eps)
        expect(isinstance(loss, float), f"train_step returned {type(loss).__name__}; expected the loss as a float",
               mistake="return loss.item()")
        assert_close(loss, expected_loss, f"loss at step {step} against {whose} phase 5 + phase 2 adam_step", rtol=RTOL,
                     mistake="optimizer.zero_grad() before loss.backward(): gradients otherwise add up across steps")
    # The key biases' gradient is exactly 0 (q . b_k is the same for every key, and the softmax ignores it), so
    # both sides hold rounding noise of about 1e-16 there, which Adam turns into steps of about lr 1e-16 / eps.
    current = {converter.torch_name(name): value for name, value in numpy_params.items()}
    for name, p in model.named_parameters():
        expected = current[name].T if name.endswith("weight") and name.split(".")[-2].startswith("proj_") else current[name]
        assert_close(p.detach().numpy(), expected, f"parameter {name} after 3 Adam steps against {whose} NumPy Adam",
                     rtol=1e-9, atol=1e-8)


def test_loss_with_logits_in_the_thousands(impl, ref_tree, rng):
    """proj_out 1000 times its size: the loss and its gradients against phase 5's (which uses a stable log-softmax)."""
    config, params, src, tgt_in, tgt_out = setup(ref_tree, rng, "post")
    params["W_out"] = 1000.0 * params["W_out"]
    expected_loss, grads = ref_tree.load("phase05_transformer.transformer").loss_and_grads(params, src, tgt_in, tgt_out,
                                                                                            config)
    model, converter = model_for(impl, ref_tree, config, params)
    loss = model.loss(*(torch.from_numpy(a) for a in (src, tgt_in, tgt_out)))
    assert_close(loss.item(), expected_loss, "model.loss(src, tgt_in, tgt_out) with logits in the thousands against "
                 "phase 5", rtol=1e-9, mistake="log(softmax(logits)) is log(0) = -inf for a far-off logit: "
                 "F.cross_entropy works from the logits (a stable log-softmax)")
    loss.backward()
    got = converter.grads_to_numpy(model, list(params))
    for name in ("W_out", "tgt_embed", "src_embed"):
        assert_close(got[name], grads[name], f"gradient of '{name}' with logits in the thousands against phase 5",
                     rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("dtype, units", [(torch.float32, 64), (torch.float16, 32)], ids=["float32", "float16"])
def test_low_precision_logits(impl, ref_tree, rng, dtype, units):
    """The model in float32 and float16 against phase 5 in float64 on the same rounded weights, to within `units`
    units of the dtype's precision at the logits' scale (eps max|logit|; over 100 draws the reference is off by at
    most 19 in float32 and 7 in float16)."""
    config, params, src, tgt_in, _ = setup(ref_tree, rng, "pre")
    model, _ = model_for(impl, ref_tree, config, params)
    model = model.to(dtype)
    rounded = {name: torch.from_numpy(value).to(dtype).double().numpy() for name, value in params.items()}
    expected, _ = ref_tree.load("phase05_transformer.transformer").transformer_forward(rounded, src, tgt_in, config)
    with torch.no_grad():
        logits = model(torch.from_numpy(src), torch.from_numpy(tgt_in))
    expect(logits.dtype == dtype, f"Transformer in {dtype} returned logits in {logits.dtype}; every activation keeps the "
           "model's dtype", mistake="move the positional encoding to the embedding's dtype: .to(table.weight)")
    tolerance = units * torch.finfo(dtype).eps * np.abs(expected).max()
    assert_close(logits.double().numpy(), expected, f"Transformer(src, tgt_in) in {dtype} against phase 5 in float64 "
                 f"(tolerance {units} eps max|logit| = {tolerance:.3g})", rtol=0, atol=tolerance)
