"""A teacher's tools: a Gradescope autograder built from this workbook, and a folder of learners' copies graded
into one CSV.

Gradescope's autograder contract (https://gradescope-autograders.readthedocs.io/en/latest/specs/): a zip with
setup.sh (run once, as root, to build the image) and run_autograder (run per submission, in /autograder) at
its root; the zip is unpacked into /autograder/source, the learner's files arrive in /autograder/submission,
and /autograder/results/results.json is the grade.
"""
from __future__ import annotations

import csv
import os
import shlex
import subprocess
import zipfile
from pathlib import Path

from grading import ROOT, UsageError

SKIP = {".git", ".venv", "build", ".test-build", ".backups", "__pycache__", ".pytest_cache", ".ipynb_checkpoints"}

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image. Its machines have no GPU:
# PyTorch's CPU wheels are smaller and install faster.
set -euo pipefail
apt-get install -y python3 python3-venv make
cd "${AUTOGRADER:-/autograder}/source"
make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission. A learner submits their exercises/ folder's contents, that folder,
# or the whole workbook; it is graded by the workbook's own engine, whose checks and reference stay here.
set -uo pipefail
root="${AUTOGRADER:-/autograder}"
cd "$root/source"
submission="$root/submission"
tree="$submission"
[ -d "$submission/exercises" ] && tree="$submission/exercises"
mkdir -p "$root/results"
.venv/bin/python -m grading grade --impl "$tree" --out "$root/results/results.json" @OPTIONS@ "$@" \\
  2> "$root/results/grader-stderr"
status=$?
cat "$root/results/grader-stderr" >&2
if [ "$status" -gt 1 ]; then  # 0: all passed, 1: some failed; anything else wrote no grade: say why
  .venv/bin/python - "$root/results/grader-stderr" > "$root/results/results.json" <<'PY'
import json, sys
why = open(sys.argv[1], errors="replace").read()[-2000:]
print(json.dumps({"score": 0, "output": "The grader could not grade this submission: " + why}))
PY
fi
"""


def workbook_files() -> list[Path]:
    """The teacher's workbook as git tracks it (or, outside git, every file but builds, caches and the venv)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode().split("\0")
        files = [ROOT / f for f in listed if f]
    except (OSError, subprocess.CalledProcessError):
        files = [p for p in ROOT.rglob("*") if p.is_file()]
    return sorted(p for p in files if p.is_file() and not SKIP & set(p.relative_to(ROOT).parts))


def write_autograder(out: Path, extra: Path | None, visibility: str | None, teacher_visibility: str) -> Path:
    """setup.sh, run_autograder and autograder.zip (both, the workbook and a teacher's private checks) in `out`."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder; name a folder for the autograder")
    if extra is not None and not extra.is_dir():
        raise UsageError(f"extra checks folder {str(extra)!r} does not exist or is not a folder")
    options = []
    if extra is not None:
        options += ["--extra-checks", "private_checks", "--teacher-visibility", teacher_visibility]
    if visibility:
        options += ["--visibility", visibility]
    out.mkdir(parents=True, exist_ok=True)
    scripts = {"setup.sh": SETUP, "run_autograder": RUN.replace("@OPTIONS@", shlex.join(options))}
    for name, text in scripts.items():
        (out / name).write_text(text)
        os.chmod(out / name, 0o755)
    archive = out / "autograder.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in scripts.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100755 << 16
            zf.writestr(info, text)
        for path in workbook_files():
            zf.write(path, path.relative_to(ROOT).as_posix())
        if extra is not None:
            for path in sorted(extra.rglob("*.py")):
                zf.write(path, f"private_checks/{path.relative_to(extra).as_posix()}")
    return archive


def learner_tree(folder: Path) -> Path | None:
    """A learner's copy: a tree shaped like exercises/, or a workbook holding one."""
    for candidate in (folder / "exercises", folder):
        if candidate.is_dir() and any(p.is_dir() and p.name.startswith("phase") for p in candidate.iterdir()):
            return candidate
    return None


def grade_all(folder: Path, exercises, out: Path, seed: int, extra: Path | None, progress=None) -> list[dict]:
    """Grade every learner's copy under `folder` with the same seed; one CSV row each (per-exercise points)."""
    from grading import runner

    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder of learners' copies (one sub-folder each)")
    learners = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not learners:
        raise UsageError(f"{folder} holds no sub-folders; put one learner's copy in each")
    phases = sorted({e.phase for e in exercises})
    rows = []
    for n, learner in enumerate(learners):
        if progress:
            progress(n, len(learners), learner.name)
        row = {"learner": learner.name}
        tree = learner_tree(learner)
        if tree is None:
            row["error"] = "no exercises/ or phaseNN_* folders"
        else:
            results, _, _ = runner.run(exercises, str(tree), seed, extra)
            row["score"] = round(sum(r.score for r in results), 2)
            row.update({f"phase {p}": round(sum(r.score for r in results if r.exercise.phase == p), 2)
                        for p in phases})
            row.update({r.exercise.id: r.score for r in results})
        rows.append(row)
    columns = ["learner", "score", "max_score", *[f"phase {p}" for p in phases], *[e.id for e in exercises], "error"]
    max_score = sum(e.points for e in exercises)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({"max_score": max_score, **row})
    return rows

