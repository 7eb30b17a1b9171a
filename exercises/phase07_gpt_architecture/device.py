"""Choosing where tensors live: cuda, then mps (Apple silicon), then cpu, with an override."""
from __future__ import annotations

import os

import torch

CHOICES = ("auto", "cuda", "mps", "cpu")
ENV_VAR = "TFS_DEVICE"


def available_devices() -> list[str]:
    """The device types this machine can use, in order of preference: e.g. ['cuda', 'cpu']."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return found + ["cpu"]


def pick_device(override: str | None = None) -> torch.device:
    """The device to run on.

    override (else the environment variable TFS_DEVICE, else "auto"): one of CHOICES, case and
    surrounding spaces ignored. "auto" takes the first of available_devices(). A named device that is not
    available, or a name not in CHOICES, raises ValueError with a one-line message naming the devices
    that are available (and, for an unknown name, the valid choices).
    """
    raise NotImplementedError("pick_device is not written yet (exercise 'pick_device'; hints: make hint ex=pick_device)")
