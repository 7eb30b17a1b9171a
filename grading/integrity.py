"""The files that decide a grade, hashed before and after a run: a run during which any of them changed is
refused, naming the file. Nothing is restored silently.

For a run of phases P: the engine (grading/*.py and the catalog), the data code, the shared checks code, the
checks of P and the reference solutions of P and every earlier phase (later phases import earlier ones)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from grading import ROOT, UsageError

SUFFIXES = {".py", ".toml", ".json", ".npz"}  # .npz: a release's recorded reference answers


class IntegrityError(UsageError):
    """checks/, solutions/ or the engine changed while the run was going."""


def _files(phase_dirs: list[str]) -> list[Path]:
    folders = [ROOT / "checks" / d for d in phase_dirs] + [ROOT / "solutions" / d for d in phase_dirs]
    flat = [ROOT / "grading", ROOT / "data", ROOT / "checks", ROOT / "solutions"]
    files = [p for f in flat for p in f.glob("*") if p.is_file()]
    files += [p for f in folders for p in f.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return sorted(p for p in files if p.suffix in SUFFIXES)


def manifest(phase_dirs: list[str]) -> dict[str, str]:
    """relative path -> sha256 of every file the run depends on; phase_dirs: the phases checked and all before."""
    return {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest() for p in _files(phase_dirs)}


def refuse_changes(before: dict[str, str], after: dict[str, str]):
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    if changed:
        more = f" (and {len(changed) - 1} more)" if len(changed) > 1 else ""
        raise IntegrityError(f"run refused: {changed[0]}{more} changed while the checks ran; "
                             f"no report was written (git diff shows the change)")
