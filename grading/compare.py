"""`compare ID`: the learner's functions and the reference on the same inputs, first divergence named."""
from __future__ import annotations

import ast
import copy
import importlib
import inspect
import re
import textwrap

import numpy as np

from grading import UsageError, catalog, replay
from grading.trees import ImportFailure, Tree
from grading.diff import largest_error, mismatch


def _outputs(value, path: tuple = ()) -> list[tuple[tuple, object]]:
    """[(path, leaf)] of a nested tuple of outputs: (h, c, (x, W)) -> [((0,), h), ((1,), c), ((2, 0), x), ...]."""
    if isinstance(value, (tuple, list)) and not _is_numeric_list(value):
        return [leaf for i, v in enumerate(value) for leaf in _outputs(v, (*path, i))]
    return [(path, value)]


def _label(path: tuple, names: list[str]) -> str:
    """(2, 0) -> 'cache[0]' when the function's outputs are named (h, c, cache), else 'output 2.0'."""
    if names and path:
        return names[path[0]] + "".join(f"[{i}]" for i in path[1:])
    return "output " + ".".join(map(str, path))


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


def rows(exercise: catalog.Exercise, impl: str, seed: int, reference=None) -> list[tuple[str, str]]:
    """In the child: each comparison input through the reference, then through a copy for the learner.
    reference: the tree to ask (default solutions/; in a learner's release, its snapshots, see grading/replay.py)."""
    make_cases = _cases(exercise)
    learner, reference = Tree(impl), reference or _reference(exercise)
    try:
        mine = learner.load(exercise.dotted)
    except ImportFailure as err:
        return [("import", str(err))]
    ref = reference.load(exercise.dotted)
    rows = []
    for call, name, args, kwargs in make_cases(np.random.default_rng(seed)):
        try:
            expected = getattr(ref, name)(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except replay.NeedsTeacher as err:
            rows.append((call, str(err)))
            continue
        try:
            got = getattr(mine, name)(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except NotImplementedError as err:
            rows.append((call, _not_started(str(err), exercise.id)))
            continue
        except Exception as err:  # noqa: BLE001 - report the learner's crash, do not raise it
            rows.append((call, f"raised {type(err).__name__}: {err}"))
            continue
        got_parts, expected_parts = _outputs(got), _outputs(expected)
        if len(got_parts) != len(expected_parts):
            rows.append((call, f"returned {len(got_parts)} values, expected {len(expected_parts)}"))
            continue
        if [path for path, _ in got_parts] != [path for path, _ in expected_parts]:
            rows.append((call, "returned its values nested differently from the reference"))
            continue
        names = output_names(getattr(ref, name), len({path[:1] for path, _ in expected_parts}))
        for (path, g), (_, e) in zip(got_parts, expected_parts):
            rows.append((call if not path else f"{call} -> {_label(path, names)}", divergence(g, e)))
    return rows


def _reference(exercise: catalog.Exercise):
    if replay.release() is None:
        return Tree("solutions")
    snapshot = replay.Snapshot.load(replay.snapshot_file(exercise.phase_dir, exercise.id))

    def needs_teacher(reason: str):
        raise replay.NeedsTeacher(f"needs the teacher's copy: {reason}")

    return replay.ReplayTree(snapshot, needs_teacher)


def _not_started(message: str, exercise_id: str) -> str:
    from grading.runner import unwritten_function

    function, owner = unwritten_function(message)
    if owner not in (None, exercise_id):
        return f"waiting on {function} (exercise {owner}), which is not started: make check ex={owner}"
    return f"not started ({function} is not written yet)" if function else "not started"


def output_names(function, count: int) -> list[str]:
    """The names of a function's `count` outputs, from its docstring ("-> (dq, dk, dv)", "returns (h, cache)";
    a shape such as "(N, H)" is not a list of names) or else from its last `return dq, dk, dv`; [] if neither."""
    doc = inspect.getdoc(function) or ""
    for found in re.finditer(r"(?:->|[Rr]eturns)\s*\(", doc):
        names = [re.match(r"[A-Za-z_]\w*", part) for part in _top_level_parts(doc[found.end():])]
        if len(names) == count and all(names) and not all(n[0].isupper() and len(n[0]) == 1 for n in names):
            return [n[0] for n in names]
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return []
    returns = [node for node in ast.walk(tree.body[0]) if isinstance(node, ast.Return) and node.value is not None]
    if not returns or not isinstance(returns[-1].value, ast.Tuple) or len(returns[-1].value.elts) != count:
        return []
    elements = returns[-1].value.elts
    return [ast.unparse(e) for e in elements] if all(isinstance(e, (ast.Name, ast.Attribute)) for e in elements) else []


def _top_level_parts(text: str) -> list[str]:
    """'a (N, D), b, c) and more' -> ['a (N, D)', 'b', 'c']: the comma-separated parts up to the closing bracket."""
    depth, parts, part = 1, [], ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return [*parts, part.strip()]
        if char == "," and depth == 1:
            parts.append(part.strip())
            part = ""
        else:
            part += char
    return []
