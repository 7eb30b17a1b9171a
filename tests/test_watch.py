"""`make watch`: saving an exercise file reruns that exercise's checks (notified by watchfiles, or polled)."""
from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time

import pytest

from grading import ROOT, catalog, stubs


@pytest.mark.parametrize("mode", ["notified", "polling"])
def test_saving_a_file_checks_its_exercise(mode, tmp_path):
    if mode == "notified":
        pytest.importorskip("watchfiles")
    tree = tmp_path / "tree"
    stubs.generate(tree)
    command = [sys.executable, "-m", "grading", "watch", "--phase", "0", "--impl", str(tree), "--runs", "1"]
    watcher = subprocess.Popen(command + (["--poll"] if mode == "polling" else []), cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                               env=dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="200"))
    try:
        assert select.select([watcher.stdout], [], [], 120)[0], "the watcher never started"
        banner = watcher.stdout.readline()
        files = len(catalog.load().phase(0).exercises)
        assert f"watching {files} exercise files" in banner and mode in banner, banner
        time.sleep(1.0)  # the watcher's first snapshot is taken; then the learner saves
        shutil.copy(ROOT / "solutions" / "phase00_math" / "vectors.py", tree / "phase00_math" / "vectors.py")
        out, err = watcher.communicate(timeout=180)
    finally:
        watcher.kill()
    assert watcher.returncode == 0, err
    assert "vectors" in out and "1 of 1 exercises passed" in out and "probability" not in out, out


def test_keys_in_a_terminal_show_next_and_quit(tmp_path):
    """In a terminal (a pseudo-terminal here), n shows the next exercise, h the hint for what the last check
    found (the stub's first unwritten function, dot), and q quits, no Enter needed."""
    import pty
    import re

    tree = tmp_path / "tree"
    stubs.generate(tree)
    leader, follower = pty.openpty()
    watcher = subprocess.Popen([sys.executable, "-m", "grading", "watch", "--phase", "0", "--impl", str(tree), "--poll"],
                               cwd=ROOT, stdin=follower, stdout=follower, stderr=follower, close_fds=True,
                               env=dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="200"))
    os.close(follower)
    seen = ""

    def read_until(words: str, timeout: float = 120) -> bool:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if select.select([leader], [], [], 0.5)[0]:
                try:
                    seen += re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", os.read(leader, 65536).decode(errors="replace"))
                except OSError:
                    return words in seen
            if words in seen:
                return True
        return False

    try:
        assert read_until("keys: h hint, n next, q quit"), seen
        os.write(leader, b"n")
        assert read_until("Next: vectors"), seen
        vectors = tree / "phase00_math" / "vectors.py"
        vectors.write_text(vectors.read_text() + "\n")          # saved: its checks run, and stop at dot
        assert read_until("vectors   "), seen
        os.write(leader, b"h")
        assert read_until("hint (dot):"), seen
        os.write(leader, b"q")
        assert watcher.wait(timeout=60) == 0
    finally:
        watcher.kill()
        watcher.wait()
        os.close(leader)
