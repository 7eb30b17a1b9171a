"""The learner's functions get copies of their inputs, and a check fails when they change them.

Checks call the learner first and then the reference on the same arrays; a function that zeroed its input in
place would otherwise hand the reference the zeros. `guarded(module)` wraps each of the module's functions:
arrays, tensors and lists (nested in lists, tuples and dicts too) are copied before the call, and compared with
the originals after it. Functions whose contract is to update an argument in place (an optimiser step, say)
are named in the catalog's `mutates` and passed through untouched.
"""
from __future__ import annotations

import functools
import inspect
import sys
import types

import numpy as np


class InputChanged(AssertionError):
    """The learner's function changed an argument it was only meant to read."""


def _torch_tensor(value) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _each(value, leaf):
    """`leaf` applied to everything inside lists, tuples and dicts (nested), the containers rebuilt."""
    if isinstance(value, list):
        return [_each(v, leaf) for v in value]
    if isinstance(value, tuple) and type(value) is tuple:
        return tuple(_each(v, leaf) for v in value)
    if isinstance(value, dict) and type(value) is dict:
        return {k: _each(v, leaf) for k, v in value.items()}
    return leaf(value)


def _copy_leaf(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if _torch_tensor(value):
        return value if value.requires_grad else value.clone()  # a clone of a leaf would cut its gradient
    return value


def _snapshot_leaf(value):
    """What to compare against afterwards: the original for copied values, a detached copy for tensors that
    needed to be passed through (they carry gradients)."""
    return value.detach().clone() if _torch_tensor(value) and value.requires_grad else value


def _copy(value):
    return _each(value, _copy_leaf)


def _snapshot(value):
    return _each(value, _snapshot_leaf)


def _differs(before, after) -> bool:
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or before.shape != after.shape or before.dtype != after.dtype:
            return True
        return not np.array_equal(before, after, equal_nan=before.dtype.kind in "fc")
    if _torch_tensor(before):
        after = after.detach() if _torch_tensor(after) else after
        if not _torch_tensor(after) or before.shape != after.shape or before.dtype != after.dtype:
            return True
        import torch

        return not torch.equal(torch.nan_to_num(before), torch.nan_to_num(after)) if before.is_floating_point() \
            else not torch.equal(before, after)
    if isinstance(before, (list, tuple)):
        return not isinstance(after, (list, tuple)) or len(before) != len(after) or any(
            _differs(b, a) for b, a in zip(before, after))
    if isinstance(before, dict):
        return not isinstance(after, dict) or before.keys() != after.keys() or any(
            _differs(before[k], after[k]) for k in before)
    return False


def _copyable(value) -> bool:
    return isinstance(value, (np.ndarray, list, tuple, dict)) or _torch_tensor(value)


CALLED: list[str] = []   # the guarded functions the running check called, in order (reset as each check starts)


def guard(function, name: str):
    """`function` with copied inputs; raises InputChanged naming the argument the call changed. Each call is
    noted in CALLED, so that a failing check whose name names no function can still be told whose it is."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        signature = None

    @functools.wraps(function)
    def call(*args, **kwargs):  # noqa: C901
        CALLED.append(name)
        if signature is None:
            return function(*args, **kwargs)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return function(*args, **kwargs)  # let the learner's own signature say what is wrong
        originals = {k: v for k, v in bound.arguments.items() if _copyable(v)}
        before = {k: _snapshot(v) for k, v in originals.items()}
        for key, value in originals.items():
            bound.arguments[key] = _copy(value)
        result = function(*bound.args, **bound.kwargs)
        for key in originals:
            if _differs(before[key], bound.arguments[key]):
                raise InputChanged(f"{name} changed its input {key} in place; it should leave its arguments as they "
                                   f"were and return a new value (x = x - m makes a new array, x -= m overwrites x)")
        return result

    call.__guarded__ = function
    return call


class _GuardedModule(types.ModuleType):
    """Setting an attribute (a check's monkeypatch) sets it on the learner's module too, so the module's own
    calls see it; a guarded function is stored there as the function it wraps."""

    def __setattr__(self, attr, value):
        super().__setattr__(attr, value)
        real = self.__dict__.get("__wrapped_module__")
        if real is not None and not attr.startswith("__"):
            setattr(real, attr, getattr(value, "__guarded__", value))


def guarded(module: types.ModuleType, mutates=()) -> types.ModuleType:
    """A stand-in for the learner's module whose functions copy their inputs (all but those in `mutates`)."""
    proxy = _GuardedModule(module.__name__, module.__doc__)
    for attr, value in vars(module).items():
        if inspect.isfunction(value) and attr not in mutates and not attr.startswith("_"):
            value = guard(value, attr)
        proxy.__dict__[attr] = value
    proxy.__dict__["__wrapped_module__"] = module
    return proxy
