"""Mixed precision: matmuls in bfloat16 under autocast where the device has it, float32 everywhere else.

bfloat16 keeps float32's 8 exponent bits (same range, so no loss scaling is needed, unlike float16) and
drops mantissa bits; autocast runs matmuls and attention in bf16 while weights, optimiser state and
reductions such as softmax and the loss stay in float32 (Micikevicius et al., 2018; Kalamkar et al., 2019).

CUDA GPUs from Ampere (A100, H100) on have bf16 tensor cores. Apple GPUs run bf16 autocast through MPS with
torch >= 2.6 on macOS 14+. On the CPU we train in float32: CPU bf16 matmuls are slow on most machines.
An Apple GPU is NOT a CPU: code that sends 'mps' down the CPU branch trains in fp32 and leaves speed unused.
"""
from __future__ import annotations

import warnings
from contextlib import nullcontext

import torch

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def bf16_autocast_supported(device_type: str) -> bool:
    """Does this machine's torch run bf16 autocast on `device_type`? Probed, not guessed from version numbers."""
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device_type == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            return False
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")      # torch warns "target dtype is not supported" and disables it
                with torch.autocast(device_type="mps", dtype=torch.bfloat16):
                    a = torch.ones(2, 2, device="mps")
                    return (a @ a).dtype == torch.bfloat16
        except Exception:  # noqa: BLE001 - old torch raises, old macOS warns: either way, no bf16
            return False
    return False


def training_dtype(device_type: str, bf16_supported: bool) -> torch.dtype:
    """The dtype matmuls run in during training: torch.bfloat16 on 'cuda' or 'mps' when bf16_supported,
    torch.float32 otherwise, and always torch.float32 on 'cpu'."""
    raise NotImplementedError("training_dtype is not written yet (exercise 'mixed_precision'; hints: make hint ex=mixed_precision)")


def autocast_context(device_type: str, dtype: torch.dtype):
    """A context manager for one forward pass: torch.autocast(device_type, dtype=dtype) when dtype is lower
    precision than float32, else a do-nothing context (contextlib.nullcontext())."""
    raise NotImplementedError("autocast_context is not written yet (exercise 'mixed_precision'; hints: make hint ex=mixed_precision)")


def resolve_dtype(requested: str, device_type: str) -> torch.dtype:
    """'auto' | 'float32' | 'bfloat16' -> the training dtype on this device; a clear error for anything else."""
    if requested == "auto":
        return training_dtype(device_type, bf16_autocast_supported(device_type))
    if requested not in DTYPES:
        raise ValueError(f"unknown dtype {requested!r}; valid: auto, {', '.join(DTYPES)}")
    if DTYPES[requested] == torch.bfloat16 and device_type != "cpu" and not bf16_autocast_supported(device_type):
        raise ValueError(f"bfloat16 autocast is not supported on {device_type} with torch {torch.__version__}; use float32")
    return DTYPES[requested]
