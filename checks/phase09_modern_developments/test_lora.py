"""Checks for phase09_modern_developments/lora.py: LoRALinear computes W x + b + (alpha / r) B A x, its merged layer
computes the same, and only the adapter trains."""
import torch
import torch.nn as nn

from checks.helpers import assert_close, expect

RANK, ALPHA = 4, 16.0      # scale alpha / r = 4: a missing or doubled scale shows


def adapted_layer(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    base = nn.Linear(10, 6).double()
    with torch.no_grad():
        base.weight.copy_(torch.randn(6, 10, generator=gen, dtype=torch.float64))
        base.bias.copy_(torch.randn(6, generator=gen, dtype=torch.float64))
    layer = impl.LoRALinear(base, RANK, ALPHA)
    with torch.no_grad():        # as if trained: B is no longer zero
        layer.lora_B.copy_(0.3 * torch.randn(6, RANK, generator=gen, dtype=torch.float64))
    return layer, torch.randn(3, 5, 10, generator=gen, dtype=torch.float64)


def test_forward_adds_the_scaled_low_rank_update(impl, seed):
    layer, x = adapted_layer(impl, seed)
    W, b, A, B = layer.base.weight, layer.base.bias, layer.lora_A, layer.lora_B
    expected = x @ W.T + b + (ALPHA / RANK) * (x @ A.T @ B.T)
    assert_close(layer(x), expected, f"LoRALinear(Linear(10, 6), rank={RANK}, alpha={ALPHA})(x)", rtol=1e-10, atol=1e-12,
                 mistake="base(x) + (alpha / r) * x A^T B^T, the scale alpha / r applied once")


def test_starts_as_the_base_layer(impl, seed):
    gen = torch.Generator().manual_seed(seed)
    base = nn.Linear(7, 3)
    layer = impl.LoRALinear(base, 2, 8.0)
    x = torch.randn(4, 7, generator=gen)
    assert_close(layer(x), base(x), "a fresh LoRALinear(base, 2, 8.0)(x) against base(x)", rtol=1e-6, atol=1e-7,
                 mistake="B starts at zero, so the adapted layer starts as the pretrained one")


def test_merged_equals_unmerged(impl, seed):
    layer, x = adapted_layer(impl, seed)
    before = layer.base.weight.detach().clone()
    merged = layer.merged()
    expect(isinstance(merged, nn.Linear), f"merged() returned {type(merged).__name__}; expected an nn.Linear")
    with torch.no_grad():
        assert_close(merged(x), layer(x), "merged()(x) against the unmerged LoRALinear(x)", rtol=1e-10, atol=1e-12,
                     mistake="W' = W + (alpha / r) B A (shape (out, in)); keep the base's bias")
        assert_close(merged.weight, before + (ALPHA / RANK) * layer.lora_B @ layer.lora_A, "merged().weight",
                     rtol=1e-10, atol=1e-12, mistake="W + (alpha / r) B A: the scale once, B on the left")
    assert_close(layer.base.weight, before, "the base weight after merged()", rtol=0, atol=0,
                 mistake="merged() builds a new layer; the LoRALinear must keep working unmerged")


def test_only_the_adapter_gets_gradients(impl, seed):
    layer, x = adapted_layer(impl, seed)
    frozen = {name: p.requires_grad for name, p in layer.base.named_parameters()}
    expect(not any(frozen.values()), f"after LoRALinear(base, ...), the base's requires_grad is {frozen}; expected False "
           "for each", "freeze_base: requires_grad_(False) on every parameter of the base")
    expect(layer.lora_A.requires_grad and layer.lora_B.requires_grad, "lora_A and lora_B must require gradients")
    layer(x).pow(2).sum().backward()
    expect(layer.base.weight.grad is None and layer.base.bias.grad is None,
           "the frozen base weight or bias received a gradient", "requires_grad_(False) on every parameter of the base")
    expect(layer.lora_A.grad is not None and layer.lora_B.grad is not None and layer.lora_A.grad.abs().sum() > 0,
           "lora_A or lora_B has no gradient: the adapter must train")
    trainable = sum(p.numel() for p in layer.parameters() if p.requires_grad)
    expect(trainable == RANK * (10 + 6), f"{trainable} trainable parameters; a rank-{RANK} adapter of a 10 -> 6 layer "
           f"has r (in + out) = {RANK * 16}")


def test_rank_one_over_a_layer_without_bias(impl, seed):
    """rank 1 over nn.Linear(10, 6, bias=False): unmerged and merged against W x + (alpha / r) B A x, and the merged
    layer has no bias either."""
    gen = torch.Generator().manual_seed(seed)
    base = nn.Linear(10, 6, bias=False).double()
    with torch.no_grad():
        base.weight.copy_(torch.randn(6, 10, generator=gen, dtype=torch.float64))
    layer = impl.LoRALinear(base, 1, 3.0)
    with torch.no_grad():
        layer.lora_B.copy_(torch.randn(6, 1, generator=gen, dtype=torch.float64))
    x = torch.randn(4, 10, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        expected = x @ base.weight.T + 3.0 * (x @ layer.lora_A.T @ layer.lora_B.T)
        assert_close(layer(x), expected, "LoRALinear(Linear(10, 6, bias=False), rank=1, alpha=3)(x)", rtol=1e-10,
                     atol=1e-12, mistake="base(x) + (alpha / r) x A^T B^T; a base without a bias adds none")
        merged = layer.merged()
        expect(isinstance(merged, nn.Linear) and merged.bias is None, "merged() of a LoRALinear over a layer without a "
               f"bias has bias {None if not isinstance(merged, nn.Linear) else merged.bias}; expected None",
               mistake="nn.Linear(in, out, bias=self.base.bias is not None): a default nn.Linear draws a random bias")
        assert_close(merged(x), expected, "merged()(x) for rank 1 without a bias against W x + (alpha / r) B A x",
                     rtol=1e-10, atol=1e-12)
