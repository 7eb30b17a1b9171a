"""Shared helpers for the engine's own tests: run the CLI, build throwaway trees."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grading import ROOT


def cli(*args, cwd=ROOT, timeout=600) -> subprocess.CompletedProcess:
    """Run `python -m grading ARGS` in a fresh interpreter, as a learner would."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "grading", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def default_sigint():
    """preexec_fn for an engine a test will Ctrl-C: a shell that starts jobs in the background (CI, `cmd &`)
    hands its children SIGINT ignored, and Python keeps an ignored SIGINT ignored."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def check_outcomes(json_path: Path) -> dict[str, str]:
    """nodeid -> outcome from a `check --json` file."""
    data = json.loads(Path(json_path).read_text())
    return {c["id"]: c["outcome"] for t in data["tests"] for c in t["extra_data"]["checks"]}


def copy_solutions(dest: Path) -> Path:
    shutil.copytree(ROOT / "solutions", dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread for a whole test module (its module-scoped trainings included), as the phase checks
    train (checks/torch_threads.py, per check): tiny models run faster so on a busy machine. A module applies
    it by importing it."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_char_data(folder: Path, words: list[str], seed: int) -> Path:
    """800 lines of four random `words` each, prepared as a character-level corpus in folder/data."""
    import numpy as np

    from data.prepare import prepare

    rng = np.random.default_rng(seed)
    (folder / "tiny.txt").write_text("\n".join(" ".join(rng.choice(words, 4)) for _ in range(800)) + "\n")
    return prepare(str(folder / "tiny.txt"), tokenizer="char", out=folder / "data", progress=False)
