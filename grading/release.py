"""`python -m grading release OUT`: the learner's copy a class hands out.

OUT gets the workbook without solutions/ (and without tests/, whose planted mistakes are edits of the
solutions), exercises/ freshly generated as stubs, and the reference's answers to every check recorded as
snapshots (grading/replay.py): the release's `make check` runs each check against them, and a check that
needs the reference itself says so and is graded on the teacher's copy, with
`python -m grading grade --impl THEIR_COPY/exercises` (or grade-all) run here.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from grading import ROOT, UsageError, catalog, replay, stubs

SEED = 20_160_105  # the release's inputs: every check's seed derives from it, as from --seed
LEFT_OUT = ("solutions", "tests", "exercises")   # tests/mistakes holds edits of the solutions
SKIPPED_PARTS = {"__pycache__", ".git", ".venv", "build", ".backups", ".test-build", ".pytest_cache", "_snapshots",
                 "_stubs"}
KEPT_HINTS = {"grading/catalog.toml"}  # the catalog's hints may quote a line of a solution: that is their job


def _workbook_files() -> list[str]:
    """The teacher's workbook as the Gradescope autograder ships it, as paths relative to the root."""
    from grading.gradescope import workbook_files

    return [path.relative_to(ROOT).as_posix() for path in workbook_files()]


def _shipped(rel: str, phase_dirs: set[str]) -> bool:
    parts = Path(rel).parts
    if parts[0] in LEFT_OUT or SKIPPED_PARTS & set(parts) or rel.endswith((".pyc", ".pyo")) or "egg-info" in rel:
        return False
    # another phase's checks are left out, but not its helpers (phase 5's checks use phase 2's gradcheck)
    return not (parts[0] == "checks" and len(parts) > 2 and parts[1] not in phase_dirs and parts[-1].startswith("test_"))


def solution_only_lines() -> set[str]:
    """The lines inside `# BEGIN SOLUTION` blocks (long enough to be telling, not comments) that no file a
    learner of this workbook sees anyway (checks, notes, stubs, the engine) contains."""
    found = set()
    for path in stubs.solution_files():
        inside = False
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(stubs.BEGIN):
                inside = True
            elif stripped.startswith(stubs.END):
                inside = False
            elif inside and len(stripped) >= 30 and not stripped.startswith("#"):
                found.add(stripped)
    cat = catalog.load()
    seen = [stubs.stub_for(path, cat) for path in stubs.solution_files()]
    seen += [_text(ROOT / rel) for rel in _workbook_files() if _shipped(rel, {p.dir for p in cat.phases})]
    return found - {line.strip() for text in seen for line in text.splitlines()}


def _text(path: Path) -> str:
    """A file's text; for a snapshot, its index and its string arrays; '' for other binary files."""
    if path.suffix == ".npz":
        snapshot = replay.Snapshot.load(path)
        strings = [a for a in snapshot.arrays.stored.values() if a.dtype.kind in "US"]
        return "\n".join([json.dumps(snapshot.index, indent=0), *(str(v) for a in strings for v in a.ravel())])
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return ""


def leaks(out: Path) -> list[str]:
    """'path:line' of every line in OUT that is a solution-only line (the catalog's hints excepted), and every
    compiled file (bytecode holds the code it was compiled from)."""
    lines, found = solution_only_lines(), []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if path.suffix in (".pyc", ".pyo") or "__pycache__" in path.parts or rel.startswith("solutions/"):
            found.append(f"{rel}:1")
        elif rel not in KEPT_HINTS:
            found += [f"{rel}:{n}" for n, line in enumerate(_text(path).splitlines(), 1) if line.strip() in lines]
    return found


def _record(out: Path, exercises: list[catalog.Exercise], seed: int):
    """Every check against solutions/, its reference calls recorded under OUT (pytest in a process of its own)."""
    files = [str(e.check_file.relative_to(ROOT)) for e in exercises if e.check_file.exists()]
    command = [sys.executable, "-m", "pytest", *files, "--impl", "solutions", "--seed", str(seed),
               "--record-snapshots", str(out), "-q", "-rf", "-p", "no:cacheprovider", "-x"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if done.returncode != 0:
        lines = done.stdout.strip().splitlines() or ["(no output)"]
        failed = next((line.split()[1] for line in lines if line.startswith("FAILED ")), lines[-1])
        raise UsageError(f"a check fails on solutions/ ({failed}); a release records the reference's answers from "
                         f"checks that pass: python -m pytest {failed.split('::')[0]} --impl solutions")


def _record_compare(out: Path, exercises: list[catalog.Exercise], seed: int):
    """`compare ID`'s reference answers for the release's seed, into the same snapshots."""
    from grading import compare
    from grading.trees import Tree

    for exercise in exercises:
        if not exercise.check_file.exists() or compare._cases(exercise) is None:
            continue
        path = replay.snapshot_file(exercise.phase_dir, exercise.id, out)
        snapshot = replay.Snapshot.load(path)
        compare.rows(exercise, "solutions", seed, replay.RecordingTree(Tree("solutions"), snapshot))
        snapshot.save(path)


def build(out: Path, phases: list[str] | None = None, seed: int = SEED) -> dict:
    """Write the release into OUT (new or empty); returns what it holds."""
    if replay.release() is not None:
        raise UsageError("this is a learner's release already; make a release from the teacher's workbook")
    out = Path(out).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not empty; a release goes into a new or empty folder "
                         f"(nothing is ever written over one)")
    cat = catalog.load()
    chosen = [cat.phase(p.strip()) for spec in phases for p in spec.split(",") if p.strip()] if phases else \
        [p for p in cat.phases if p.exercises]
    exercises = [e for p in chosen for e in p.exercises]
    created = not out.exists()
    try:
        for rel in _workbook_files():
            if _shipped(rel, {p.dir for p in chosen}):
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / rel, out / rel)
        stubs._write_stubs(out / "exercises", None)
        shutil.copytree(out / "exercises", out / catalog.RELEASED_STUBS.relative_to(ROOT))   # what `reset` restores
        _record(out, exercises, seed)
        _record_compare(out, exercises, seed)
        found = leaks(out)
        if found:
            raise UsageError(f"{found[0]} is a line of a solution (and {len(found) - 1} more); "
                             f"a release must not show one: remove it there, then release again")
        info = {"seed": seed, "phases": [p.number for p in chosen], "from": _commit(),
                "graded_on": "the teacher's copy: python -m grading grade --impl PATH/exercises"}
        (out / replay.RELEASE_FILE.relative_to(ROOT)).write_text(json.dumps(info, indent=2) + "\n")
    except BaseException:
        shutil.rmtree(out) if created else [shutil.rmtree(p) if p.is_dir() else p.unlink() for p in out.iterdir()]
        raise
    snapshots = sorted(out.glob("checks/*/_snapshots/*.npz"))
    return {**info, "files": sum(1 for p in out.rglob("*") if p.is_file()), "snapshots": len(snapshots),
            "snapshot_bytes": sum(p.stat().st_size for p in snapshots)}


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def teacher_line() -> str:
    """What a release says where the full grade is asked for."""
    return (f"this is a learner's release: the full grade runs on the teacher's copy, with "
            f"`python -m grading grade --impl {ROOT / 'exercises'}` (or grade-all on a folder of copies) there; "
            f"here, make check phase=N runs the local checks")
