"""`compare ID`: the learner's functions and the reference on the same inputs, first divergence named."""
from __future__ import annotations

import copy
import importlib

import numpy as np

from grading import UsageError, catalog
from grading.trees import ImportFailure, Tree
from checks.helpers import to_numpy


def _outputs(value) -> list:
    return [x for v in value for x in _outputs(v)] if isinstance(value, (tuple, list)) and not _is_numeric_list(value) else [value]


def _is_numeric_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, (int, float)) for v in value)


def divergence(got, expected, rtol=1e-5, atol=1e-8) -> str:
    """One line: shapes, largest error and where, and the first entry (in reading order) that diverges."""
    try:
        g, e = to_numpy(got).astype(np.float64), to_numpy(expected).astype(np.float64)
    except (TypeError, ValueError):
        return "equal" if got == expected else f"differs: got {got!r}, expected {expected!r}"
    if g.shape != e.shape:
        return f"shape differs: got {g.shape}, expected {e.shape}"
    error = np.abs(g - e)
    error = np.where(np.isnan(g) & np.isnan(e), 0.0, np.where(np.isnan(g) | np.isnan(e), np.inf, error))
    off = error > atol + rtol * np.abs(e)
    if not off.any():
        return f"matches (largest error {error.max() if error.size else 0:.2g})"
    worst = np.unravel_index(np.argmax(error), e.shape) if e.ndim else ()
    first = np.unravel_index(np.argmax(off), e.shape) if e.ndim else ()
    return (f"{int(off.sum())} of {e.size} entries off; largest error {error[worst]:.3g} at {list(map(int, worst))}; "
            f"first divergence at {list(map(int, first))}: got {g[first]:.6g}, expected {e[first]:.6g}")


def compare(exercise: catalog.Exercise, impl: str, seed: int) -> list[tuple[str, str]]:
    """Rows of (call, verdict)."""
    check_module = importlib.import_module(f"checks.{exercise.phase_dir}.test_{exercise.id}")
    make_cases = getattr(check_module, "compare_inputs", None)
    if make_cases is None:
        raise UsageError(f"exercise {exercise.id!r} has no comparison inputs; run: make check ex={exercise.id}")
    learner, reference = Tree(impl), Tree("solutions")
    try:
        mine = learner.load(exercise.dotted)
    except ImportFailure as err:
        return [("import", str(err))]
    ref = reference.load(exercise.dotted)
    rows = []
    for call, name, args, kwargs in make_cases(np.random.default_rng(seed)):
        expected = getattr(ref, name)(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        try:
            got = getattr(mine, name)(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except NotImplementedError:
            rows.append((call, "not started"))
            continue
        except Exception as err:  # noqa: BLE001 - report the learner's crash, do not raise it
            rows.append((call, f"raised {type(err).__name__}: {err}"))
            continue
        got_parts, expected_parts = _outputs(got), _outputs(expected)
        if len(got_parts) != len(expected_parts):
            rows.append((call, f"returned {len(got_parts)} values, expected {len(expected_parts)}"))
            continue
        for i, (g, e) in enumerate(zip(got_parts, expected_parts)):
            label = call if len(expected_parts) == 1 else f"{call} -> output {i}"
            rows.append((label, divergence(g, e)))
    return rows
