"""The Makefile's set-up, with a stand-in Python that records what it is asked to do (nothing is installed):
the stamp depends on the torch spec, which is remembered; PyTorch's CPU index can be chosen; an old Python
is refused in one line."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from grading import ROOT

RECORDER = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/../../calls"
"""
OLD_PYTHON = """#!/bin/sh
[ "$1" = "-c" ] && exec python3 -c "import sys; sys.version_info = (3, 9, 0); sys.version = '3.9.0'; $2"
exit 1
"""


@pytest.fixture
def workbook(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(RECORDER)
    python.chmod(0o755)
    return tmp_path


def _setup(folder, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("TORCH", "TORCH_INDEX", "MAKEFLAGS", "MAKELEVEL")}
    result = subprocess.run(["make", "-s", "setup", *args], cwd=folder, capture_output=True, text=True, env=env,
                            timeout=60)
    calls = (folder / "calls").read_text().splitlines() if (folder / "calls").exists() else []
    (folder / "calls").unlink(missing_ok=True)
    return result, [c for c in calls if "install" in c and "--upgrade pip" not in c]


def _torch_installs(calls):
    return [c for c in calls if "torch" in c and "-e" not in c]


def test_the_torch_spec_is_remembered_and_a_new_one_reinstalls(workbook):
    result, calls = _setup(workbook)
    assert result.returncode == 0, result.stderr
    assert _torch_installs(calls) == ["-m pip install -q torch==2.13.0"] and any(".[checks]" in c for c in calls)
    assert _setup(workbook)[1] == []  # up to date: nothing runs
    assert _torch_installs(_setup(workbook, "TORCH=torch==2.5.1")[1]) == ["-m pip install -q torch==2.5.1"]
    assert _setup(workbook)[1] == []  # the choice is remembered, not reverted to the default
    cpu = _setup(workbook, "TORCH_INDEX=https://download.pytorch.org/whl/cpu")[1]
    assert _torch_installs(cpu) == ["-m pip install -q --index-url https://download.pytorch.org/whl/cpu torch==2.5.1"]


def test_an_old_python_is_refused_in_one_line(workbook):
    shutil.rmtree(workbook / ".venv")
    old = workbook / "python3.9"
    old.write_text(OLD_PYTHON)
    old.chmod(0o755)
    result = subprocess.run(["make", "-s", "setup", f"PYTHON={old}"], cwd=workbook, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and not (workbook / ".venv" / "bin").exists()
    assert result.stderr.splitlines()[0] == (f"Python 3.10 or newer is needed; {old} is 3.9.0: choose one with "
                                             "make PYTHON=python3.12 ...")
