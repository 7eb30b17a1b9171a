"""The workbook's engine: catalog, stubs, checks runner, reports, capstone and benchmarks."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Everything the tools write (prepared data, grades, capstone runs) goes here. The engine's own tests set
# WORKBOOK_BUILD to a folder of their own, so they never touch a learner's build/.
BUILD = Path(os.environ.get("WORKBOOK_BUILD") or ROOT / "build").resolve()


class UsageError(Exception):
    """A user mistake: printed as one line, exit status 2."""


def engine_env(**extra: str) -> dict:
    """os.environ for a child process that imports the engine (python -m grading...): this workbook first on
    PYTHONPATH, whatever the caller's folder, and `extra` on top."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


def first_line(err: BaseException) -> str:
    """An exception as one line, whatever it holds (IndexError() from torch.load of an empty file holds nothing)."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__
