"""Throughput and model FLOPs utilisation (MFU): how much of the device's peak the training really uses.

A transformer with N parameters spends about 6N FLOPs per token in training: 2N in the forward pass (one
multiply and one add per weight) and 4N in the backward pass (gradients for activations and for weights).
Attention adds 12 L H Q T per token (L layers, H heads, Q = head size, T = context): the score matrix
and its product with the values, forward and backward (Kaplan et al., 2020; Chowdhery et al., 2022).
N counts the token embedding (tied to the head, a real matmul) but not the position embedding (a lookup).
For GPT-2 Small at T = 1024 that is 6 * 123,653,376 + 12 * 12 * 12 * 64 * 1024 = 855 MFLOP per token.
"""
from __future__ import annotations

# Dense peak FLOP/s per device for the dtype we train in. (measured) marks a figure measured with a matmul
# benchmark, (spec) a vendor's datasheet, (estimate) a rough figure for comparison only.
PEAK_FLOPS = {
    "h100": 989e12,     # H100 SXM, bf16 dense (spec)
    "h200": 989e12,     # H200 SXM, bf16 dense (spec)
    "a100": 312e12,     # A100, bf16 dense (spec)
    "l4": 121e12,       # L4, bf16 dense (spec)
    "rtx 4090": 165e12, # bf16 dense with fp32 accumulate (spec)
    "m4 max": 14e12,    # Apple M4 Max GPU through MPS, bf16 matmul (measured: 13-15 TFLOP/s)
    "mps": 14e12,       # any Apple GPU: the M4 Max figure, for lack of a better one (estimate)
    "cpu": 0.2e12,      # a few AVX2 cores in float32 (estimate)
}


def peak_flops(device_type: str, device_name: str = "") -> float:
    """The table's entry whose key appears in device_name (lower-cased), else the entry for device_type
    ('mps', 'cpu'), else cuda's most common training card (the H100)."""
    name = device_name.lower()
    for key, value in PEAK_FLOPS.items():
        if key not in ("mps", "cpu") and key in name:
            return value
    return PEAK_FLOPS.get(device_type, PEAK_FLOPS["h100"])


def flops_per_token(n_params: int, n_layer: int, n_head: int, head_size: int, seq_len: int) -> float:
    """Training FLOPs per token: 6 * n_params + 12 * n_layer * n_head * head_size * seq_len, where n_params
    excludes the position embedding."""
    raise NotImplementedError("flops_per_token is not written yet (exercise 'throughput_mfu'; hints: make hint ex=throughput_mfu)")


def model_flops_per_token(model) -> float:
    """flops_per_token for a phase-7 GPT: n_params = every parameter except transformer.wpe."""
    raise NotImplementedError("model_flops_per_token is not written yet (exercise 'throughput_mfu'; hints: make hint ex=throughput_mfu)")


def mfu(tokens_per_second: float, flops_per_token: float, peak: float) -> float:
    """Model FLOPs utilisation: the fraction of `peak` FLOP/s that tokens_per_second * flops_per_token achieves."""
    raise NotImplementedError("mfu is not written yet (exercise 'throughput_mfu'; hints: make hint ex=throughput_mfu)")
