"""`compare ID`: the learner's functions and the reference on the same inputs, first divergence named."""
from __future__ import annotations

import copy
import importlib

import numpy as np

from grading import UsageError, catalog
from grading.trees import ImportFailure, Tree
from grading.diff import largest_error, mismatch


def _outputs(value) -> list:
    return [x for v in value for x in _outputs(v)] if isinstance(value, (tuple, list)) and not _is_numeric_list(value) else [value]


def _is_numeric_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, (int, float)) for v in value)


def divergence(got, expected, rtol=1e-5, atol=1e-8) -> str:
    """One line: 'matches (largest error …)' or how it differs, from the same core the checks use."""
    try:
        problem = mismatch(got, expected, rtol=rtol, atol=atol, check_dtype_kind=False, first=True)
    except (TypeError, ValueError):
        return "equal" if got == expected else f"differs: got {got!r}, expected {expected!r}"
    if problem is None:
        try:
            return f"matches (largest error {largest_error(got, expected):.2g})"
        except (TypeError, ValueError):
            return "equal"
    return problem


def _cases(exercise: catalog.Exercise):
    check_module = importlib.import_module(f"checks.{exercise.phase_dir}.test_{exercise.id}")
    return getattr(check_module, "compare_inputs", None)


def compare(exercise: catalog.Exercise, impl: str, seed: int) -> list[tuple[str, str]]:
    """Rows of (call, verdict), computed in a child process: the learner's code never runs in the engine's."""
    from grading import runner

    if _cases(exercise) is None:
        raise UsageError(f"exercise {exercise.id!r} has no comparison inputs; run: make check ex={exercise.id}")
    rows, cause = runner.run_compare(exercise, impl, seed)
    return rows if not cause else [*rows, ("(the comparison)", cause)]


def rows(exercise: catalog.Exercise, impl: str, seed: int) -> list[tuple[str, str]]:
    """In the child: each comparison input through the reference, then through a copy for the learner."""
    make_cases = _cases(exercise)
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
