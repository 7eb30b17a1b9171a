"""The learning-rate schedule: linear warm-up, then cosine decay to a floor (Loshchilov & Hutter, 2017).

Warm-up: Adam's second-moment estimate is noisy in the first steps, and large early updates into a random
network can diverge (Goyal et al., 2017; Liu et al., 2020); so the rate climbs from max_lr / warmup_steps
to max_lr. Then it follows half a cosine down to min_lr at max_steps and stays there.
"""
from __future__ import annotations

import math


def learning_rate(step: int, max_lr: float, min_lr: float, warmup_steps: int, max_steps: int) -> float:
    """The learning rate for optimiser step `step` (counted from 0).

    step < warmup_steps:           max_lr * (step + 1) / warmup_steps   (so step warmup_steps - 1 is at max_lr)
    warmup_steps <= step <= max_steps:
        progress = (step - warmup_steps) / (max_steps - warmup_steps)   (0 -> 1)
        min_lr + 0.5 * (1 + cos(pi * progress)) * (max_lr - min_lr)
    step > max_steps:              min_lr
    warmup_steps == 0 means no warm-up; max_steps == warmup_steps means no decay (max_lr until max_steps).
    """
    raise NotImplementedError("learning_rate is not written yet (exercise 'lr_schedule'; hints: make hint ex=lr_schedule)")
