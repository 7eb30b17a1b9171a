"""Generate exercises/ from solutions/: every `# BEGIN SOLUTION` .. `# END SOLUTION` block becomes a raise."""
from __future__ import annotations

import filecmp
import re
import shutil
import time
from pathlib import Path

from grading import ROOT, UsageError, catalog

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
BACKUPS = ROOT / ".backups"
DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")
CLASS = re.compile(r"^(\s*)class\s+(\w+)")


class MarkerError(UsageError):
    pass


def _enclosing_function(lines: list[str], index: int, indent: int, where: str) -> str:
    """Name of the def whose body holds line `index`; markers outside a function body are errors."""
    if indent == 0:
        raise MarkerError(f"{where}: solution block at module level; markers must sit inside a function")
    for line in reversed(lines[:index]):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        own = len(line) - len(line.lstrip())
        if own < indent:
            match = DEF.match(line)
            if match:
                return match.group(2)
            if CLASS.match(line):
                raise MarkerError(f"{where}: solution block is not directly inside a function body")
            indent = own  # an if/for/with inside the function: keep looking outward
    raise MarkerError(f"{where}: solution block is not inside a function")


def stub_source(source: str, where: str, exercise_id: str, first_hint: str) -> str:
    """Replace each marked block with `raise NotImplementedError(...)` at the block's indentation."""
    lines = source.splitlines(keepends=True)
    out, open_at = [], None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped == BEGIN:
            if open_at is not None:
                raise MarkerError(f"{where}:{i + 1}: nested '{BEGIN}' (block opened at line {open_at + 1} is not closed)")
            open_at = i
            indent = len(line) - len(line.lstrip())
            func = _enclosing_function(lines, i, indent, f"{where}:{i + 1}")
            message = f"{func}: exercise '{exercise_id}' not started. Hint: {first_hint}"
            out.append(" " * indent + f"raise NotImplementedError({message!r})\n")
        elif stripped == END:
            if open_at is None:
                raise MarkerError(f"{where}:{i + 1}: '{END}' without a matching '{BEGIN}'")
            open_at = None
        elif open_at is None:
            out.append(line)
    if open_at is not None:
        raise MarkerError(f"{where}:{open_at + 1}: '{BEGIN}' is never closed")
    return "".join(out)


def stub_for(path: Path, cat: catalog.Catalog) -> str:
    rel = path.relative_to(SOLUTIONS)
    source = path.read_text(encoding="utf-8")
    if BEGIN not in source and END not in source:
        return source
    exercise = cat.exercise_for_module(rel.parts[0], path.stem) if len(rel.parts) == 2 else None
    if exercise is None:
        raise MarkerError(f"solutions/{rel}: has solution markers but no catalog exercise uses this module")
    return stub_source(source, f"solutions/{rel}", exercise.id, exercise.hints[0])


def solution_files() -> list[Path]:
    return sorted(p for p in SOLUTIONS.rglob("*.py") if "__pycache__" not in p.parts)


def generate(target: Path = EXERCISES, phase_dir: str | None = None) -> list[Path]:
    """Write every stub under `target` (a fresh folder, or exercises/). Returns the written files."""
    cat = catalog.load()
    written = []
    for path in solution_files():
        if phase_dir and path.relative_to(SOLUTIONS).parts[0] != phase_dir:
            continue
        dest = target / path.relative_to(SOLUTIONS)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(stub_for(path, cat), encoding="utf-8")
        written.append(dest)
    return written


def differences(target: Path = EXERCISES) -> list[str]:
    """Files whose committed stub differs from what the generator makes, or is missing or extra."""
    cat = catalog.load()
    expected = {p.relative_to(SOLUTIONS): stub_for(p, cat) for p in solution_files()}
    actual = {p.relative_to(target) for p in target.rglob("*.py") if "__pycache__" not in p.parts} if target.exists() else set()
    diffs = [f"missing: exercises/{rel}" for rel in sorted(set(expected) - actual)]
    diffs += [f"extra: exercises/{rel}" for rel in sorted(actual - set(expected))]
    diffs += [f"differs: exercises/{rel}" for rel in sorted(set(expected) & actual)
              if (target / rel).read_text(encoding="utf-8") != expected[rel]]
    return diffs


def reset(exercise: catalog.Exercise) -> tuple[Path, Path | None]:
    """Regenerate one exercise's stub; the learner's file is first copied to .backups/<time>/."""
    source = SOLUTIONS / exercise.relpath
    dest = EXERCISES / exercise.relpath
    backup = None
    if dest.exists():
        stamp, n = time.strftime("%Y%m%d-%H%M%S"), 0
        backup = BACKUPS / stamp / exercise.relpath
        while backup.exists():  # never overwrite an earlier backup
            n += 1
            backup = BACKUPS / f"{stamp}-{n}" / exercise.relpath
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(dest, backup)
        if not filecmp.cmp(dest, backup, shallow=False):
            raise UsageError(f"could not back up {dest}; nothing was reset")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(stub_for(source, catalog.load()), encoding="utf-8")
    return dest, backup
