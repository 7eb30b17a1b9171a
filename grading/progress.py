"""Where a learner stands, from the results of their own check runs (kept in build/progress/), and what is next.

Every `check`, `grade` and `watch` run records each exercise's last result for the tree it ran on; nothing is
run here. An exercise whose file changed after its last check is shown as such: its result may be stale.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from grading import BUILD, catalog
from grading.trees import resolve

STATE = BUILD / "progress"
HISTORY = STATE / "history.jsonl"
NOT_CHECKED = "not checked"


def _key(tree: Path) -> str:
    """One state file per tree: 'exercises', 'solutions', or a hash of a learner's copy's path."""
    from grading.trees import package_name

    return package_name(tree)


def _file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def _write(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def load(impl: str = "exercises") -> dict:
    tree = resolve(impl)
    path = STATE / f"{_key(tree)}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"impl": impl, "tree": str(tree), "exercises": {}}


def record(results, impl: str, seed: int):
    """Keep each exercise's latest result for this tree (merged into what earlier runs recorded)."""
    state = load(impl)
    tree = Path(state["tree"])
    now = time.strftime("%Y-%m-%dT%H:%M:%S")
    for r in results:
        if not r.checks:
            continue
        state["exercises"][r.exercise.id] = {
            "status": r.status, "passed": r.passed, "checks": len(r.checks), "score": r.score,
            "seed": seed, "checked": now, "file": _file_hash(tree / r.exercise.relpath)}
    _write(STATE / f"{_key(tree)}.json", json.dumps(state, indent=1))


def record_grade(score: float, max_score: int, impl: str, passed: int, exercises: int):
    """One line per completed grade: the report's progress over time."""
    line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "impl": impl, "score": score,
                       "max_score": max_score, "passed": passed, "exercises": exercises})
    HISTORY.parent.mkdir(parents=True, exist_ok=True)
    with HISTORY.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


def history(impl: str | None = None) -> list[dict]:
    try:
        lines = HISTORY.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    rows = []
    for line in lines:
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue  # a line cut short by a crash costs that line only
    return [r for r in rows if impl is None or r.get("impl") == impl]


@dataclass
class Standing:
    exercise: catalog.Exercise
    status: str           # passed | failing | in progress | not started | not checked | teacher's copy | no checks
    score: float
    changed: bool         # the file changed after its last check

    @property
    def done(self) -> bool:
        """Passed, or in a learner's release checked as far as it can be there (every check that reached the
        reference is the teacher's copy's), and not changed since."""
        return self.status in ("passed", "teacher's copy") and not self.changed


def standings(impl: str = "exercises") -> list[Standing]:
    state = load(impl)
    tree = Path(state["tree"])
    rows = []
    for e in catalog.load().exercises:
        last = state["exercises"].get(e.id)
        if last is None:
            rows.append(Standing(e, NOT_CHECKED, 0.0, False))
        else:
            rows.append(Standing(e, last["status"], last["score"], last["file"] != _file_hash(tree / e.relpath)))
    return rows


def capstone_best() -> dict | None:
    """The best graded capstone run under build/capstone/: passed first, then the lowest test loss."""
    runs = []
    for path in (BUILD / "capstone").glob("*/grade.json"):
        if path.parent.is_symlink():
            continue
        try:
            runs.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    finite = [r for r in runs if isinstance(r.get("test_loss"), (int, float))]
    return min(finite, key=lambda r: (not r.get("passed"), r["test_loss"]), default=None)


def next_exercise(impl: str = "exercises") -> Standing | None:
    """The first exercise, in the catalog's order, not passed since its file last changed."""
    return next((s for s in standings(impl) if not s.done), None)
