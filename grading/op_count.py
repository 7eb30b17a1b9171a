"""Counting the aten operators a piece of PyTorch code dispatches. On a GPU each is at least one kernel launch
(a few microseconds of fixed cost however small the tensor), so the count measures launch overhead the same
way on every machine, a CPU included, and does not depend on the tensors' sizes.

    with AtenOps() as ops:
        optimizer.step()
    ops.total, ops.by_name.most_common(3)
"""
from __future__ import annotations

from collections import Counter

from torch.utils._python_dispatch import TorchDispatchMode


class AtenOps(TorchDispatchMode):
    """Counts every aten operator dispatched inside the `with` block, by name ("aten._foreach_add_"). An operator
    that runs others inside its kernel counts once; the profiler's record markers (torch.optim wraps each step
    in a pair) are not aten operators and are not counted."""

    def __init__(self):
        super().__init__()
        self.by_name: Counter[str] = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func.namespace == "aten":
            self.by_name[str(func.overloadpacket)] += 1
        return func(*args, **(kwargs or {}))

    @property
    def total(self) -> int:
        return sum(self.by_name.values())
