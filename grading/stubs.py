"""Generate exercises/ from solutions/: every `# BEGIN SOLUTION` .. `# END SOLUTION` block becomes a raise.

A block opened with `# BEGIN SOLUTION (stub: pass)` becomes `pass` instead: for methods the given code calls
while building an object (GPT.__init__ calls tie_weights() and init_weights()), so that the object can be built
before they are written. Their checks use `unwritten()` to report them as not started.

exercises/<phase>/.stubs.sha256 records what the generator last wrote there, so that the workbook's own tests can tell
a stub that is out of date (an author's mistake) from a file the learner has edited (their work).
"""
from __future__ import annotations

import ast
import filecmp
import hashlib
import inspect
import re
import shutil
import textwrap
import time
from pathlib import Path

from grading import ROOT, UsageError, catalog

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
NOOP = "(stub: pass)"
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
BACKUPS = ROOT / ".backups"
MANIFEST = ".stubs.sha256"
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


def not_written_message(function: str, exercise_id: str) -> str:
    """What a stub says when it runs: its own function, and where the hints are."""
    return f"{function} is not written yet (exercise '{exercise_id}'; hints: make hint ex={exercise_id})"


def stub_source(source: str, where: str, exercise_id: str) -> str:
    """Replace each marked block with `raise NotImplementedError(...)` (or `pass`) at the block's indentation."""
    lines = source.splitlines(keepends=True)
    out, open_at = [], None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if stripped not in (BEGIN, f"{BEGIN} {NOOP}"):
                raise MarkerError(f"{where}:{i + 1}: unknown marker {stripped!r}; use '{BEGIN}' or '{BEGIN} {NOOP}'")
            if open_at is not None:
                raise MarkerError(f"{where}:{i + 1}: nested '{BEGIN}' (block opened at line {open_at + 1} is not closed)")
            open_at = i
            indent = len(line) - len(line.lstrip())
            func = _enclosing_function(lines, i, indent, f"{where}:{i + 1}")
            message = not_written_message(func, exercise_id)
            if stripped == BEGIN:
                out.append(" " * indent + f"raise NotImplementedError({message!r})\n")
            else:
                out.append(" " * indent + f"pass  # not written yet: a no-op so that the object can be built "
                                          f"(hints: make hint ex={exercise_id})\n")
        elif stripped == END:
            if open_at is None:
                raise MarkerError(f"{where}:{i + 1}: '{END}' without a matching '{BEGIN}'")
            open_at = None
        elif open_at is None:
            out.append(line)
    if open_at is not None:
        raise MarkerError(f"{where}:{open_at + 1}: '{BEGIN}' is never closed")
    return "".join(out)


def stubbed_functions(exercise: catalog.Exercise) -> tuple[str, ...]:
    """The functions (and methods) of an exercise whose bodies its stub replaces, in the solution's order."""
    lines = (SOLUTIONS / exercise.relpath).read_text(encoding="utf-8").splitlines(keepends=True)
    where = f"solutions/{exercise.relpath}"
    return tuple(dict.fromkeys(_enclosing_function(lines, i, len(line) - len(line.lstrip()), f"{where}:{i + 1}")
                               for i, line in enumerate(lines) if line.strip().startswith(BEGIN)))


def unwritten(function) -> bool:
    """Is `function` (a method or function of a learner's tree) still a `(stub: pass)` no-op: a body of
    nothing but `pass`, after its docstring? Checks of such methods report them as not started."""
    function = inspect.unwrap(function)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)) else None
    if not body:
        return False
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    return len(body) == 1 and isinstance(body[0], ast.Pass)


def stub_for(path: Path, cat: catalog.Catalog) -> str:
    rel = path.relative_to(SOLUTIONS)
    source = path.read_text(encoding="utf-8")
    if BEGIN not in source and END not in source:
        return source
    exercise = cat.exercise_for_module(rel.parts[0], path.stem) if len(rel.parts) == 2 else None
    if exercise is None:
        raise MarkerError(f"solutions/{rel}: has solution markers but no catalog exercise uses this module")
    return stub_source(source, f"solutions/{rel}", exercise.id)


def solution_files() -> list[Path]:
    return sorted(p for p in SOLUTIONS.rglob("*.py") if "__pycache__" not in p.parts)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _manifest_of(target: Path, rel: str) -> Path:
    """Each phase folder keeps its own manifest (so a phase's author commits it with the phase)."""
    parts = rel.split("/")
    return target / parts[0] / MANIFEST if len(parts) > 1 else target / MANIFEST


def read_manifest(target: Path) -> dict[str, str]:
    """relative path -> sha256 of the stub the generator last wrote under `target`."""
    entries = {}
    for path in [target / MANIFEST, *sorted(target.glob(f"*/{MANIFEST}"))]:
        if path.exists():
            entries.update((rel, digest) for digest, rel in (line.split("  ", 1) for line in path.read_text().splitlines() if line))
    return entries


def _record(target: Path, written: dict[str, str]) -> None:
    """Note the stubs just written in their phase folders' manifests."""
    for manifest in {_manifest_of(target, rel) for rel in written}:
        entries = {rel: digest for rel, digest in read_manifest(target).items() if _manifest_of(target, rel) == manifest}
        entries.update((rel, _digest(text)) for rel, text in written.items() if _manifest_of(target, rel) == manifest)
        manifest.write_text("".join(f"{entries[rel]}  {rel}\n" for rel in sorted(entries)), encoding="utf-8")


def generate(target: Path | None = None, phase_dir: str | None = None) -> list[Path]:
    """Write every stub (or one phase's) under `target`, a fresh folder or exercises/, and its manifest.

    In exercises/, every file the new stubs would change is first backed up, as `reset` does (see `regenerate`).
    Returns the written files."""
    if target is None or Path(target).resolve() == EXERCISES.resolve():
        return regenerate(phase_dir)[0]
    return _write_stubs(target, phase_dir)


def _write_stubs(target: Path, phase_dir: str | None) -> list[Path]:
    cat = catalog.load()
    written, texts = [], {}
    for path in solution_files():
        rel = path.relative_to(SOLUTIONS)
        if phase_dir and rel.parts[0] != phase_dir and len(rel.parts) > 1:   # top-level files go with every phase
            continue
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        texts[rel.as_posix()] = text = stub_for(path, cat)
        dest.write_text(text, encoding="utf-8")
        written.append(dest)
    _record(target, texts)
    return written


def backup(files: list[Path], root: Path | None = None) -> Path | None:
    """Copy `files` (under root) to a fresh .backups/<time>/ folder, keeping their paths; returns that folder.

    Never overwrites an earlier backup; raises UsageError (and copies nothing further) if a copy is not exact."""
    root = EXERCISES if root is None else root
    files = [f for f in files if f.exists()]
    if not files:
        return None
    stamp, n = time.strftime("%Y%m%d-%H%M%S"), 0
    folder = BACKUPS / stamp
    while folder.exists():
        n += 1
        folder = BACKUPS / f"{stamp}-{n}"
    for path in files:
        copy = folder / path.relative_to(root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
        if not filecmp.cmp(path, copy, shallow=False):
            raise UsageError(f"could not back up {path}; nothing was overwritten")
    return folder


def regenerate(phase_dir: str | None = None) -> tuple[list[Path], Path | None]:
    """Stubs into exercises/, after backing up every file there that the new stubs would change and that is
    not an untouched earlier stub (the manifest says which are).
    Returns (written files, the backup folder or None)."""
    cat = catalog.load()
    generated = read_manifest(EXERCISES)
    changed = []
    for path in solution_files():
        rel = path.relative_to(SOLUTIONS)
        dest = EXERCISES / rel
        if (not phase_dir or rel.parts[0] == phase_dir or len(rel.parts) == 1) and dest.exists():
            text = dest.read_text(encoding="utf-8")
            if text != stub_for(path, cat) and _digest(text) != generated.get(rel.as_posix()):
                changed.append(dest)       # the learner's work (an untouched old stub needs no copy)
    saved = backup(changed)
    return _write_stubs(EXERCISES, phase_dir), saved


def differences(target: Path | None = None, learner_edits: bool = False) -> list[str]:
    """Files whose stub differs from what the generator makes, or is missing or extra.

    learner_edits=True tolerates files the learner has changed (they differ from the manifest, the record of
    what was generated): only stubs that are out of date, or missing, count."""
    target = EXERCISES if target is None else Path(target)
    cat = catalog.load()
    expected = {p.relative_to(SOLUTIONS).as_posix(): stub_for(p, cat) for p in solution_files()}
    actual = {p.relative_to(target).as_posix() for p in target.rglob("*.py") if "__pycache__" not in p.parts} \
        if target.exists() else set()
    manifest = read_manifest(target)
    diffs = [f"missing: exercises/{rel}" for rel in sorted(set(expected) - actual)]
    if not learner_edits:
        diffs += [f"extra: exercises/{rel}" for rel in sorted(actual - set(expected))]
    for rel in sorted(set(expected) & actual):
        if manifest.get(rel) != _digest(expected[rel]):
            diffs.append(f"out of date: {_manifest_of(Path('exercises'), rel).as_posix()} (for {rel}): "
                         f"regenerate with `python -m grading stubs --phase N` and commit it")
        elif not learner_edits and (target / rel).read_text(encoding="utf-8") != expected[rel]:
            diffs.append(f"differs: exercises/{rel}")
    return diffs


def pristine_stub(exercise: catalog.Exercise) -> str:
    """The exercise's stub as generated: from solutions/, or in a learner's release the copy it keeps."""
    if (SOLUTIONS / exercise.relpath).is_file():
        return stub_for(SOLUTIONS / exercise.relpath, catalog.load())
    if (catalog.RELEASED_STUBS / exercise.relpath).is_file():
        return (catalog.RELEASED_STUBS / exercise.relpath).read_text(encoding="utf-8")
    raise UsageError(f"no stub of {exercise.relpath} to reset to: this copy has neither solutions/ nor a "
                     f"release's {catalog.RELEASED_STUBS.relative_to(ROOT)}/")


def reset(exercise: catalog.Exercise) -> tuple[Path, Path | None]:
    """Regenerate one exercise's stub; the learner's file is first copied to .backups/<time>/."""
    dest = EXERCISES / exercise.relpath
    text = pristine_stub(exercise)
    folder = backup([dest])
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")
    _record(EXERCISES, {Path(exercise.relpath).as_posix(): text})
    return dest, (folder / exercise.relpath if folder else None)
