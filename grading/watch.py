"""`make watch`: each time an exercise file is saved, rerun that exercise's checks and print the short report.

Changes come from watchfiles (the operating system's notifications) where it is installed and works, else from
polling modification times. In a terminal, single keys act at once: h the hint for what the last check found,
n the next unfinished exercise, q quit.
"""
from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import time
from pathlib import Path

from grading import catalog
from grading.trees import resolve

POLL_S = 0.5


def _snapshot(files: dict[Path, catalog.Exercise]) -> dict[Path, tuple]:
    stamps = {}
    for path in files:
        try:
            st = path.stat()
            stamps[path] = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamps[path] = None
    return stamps


def polled_changes(files: dict[Path, catalog.Exercise], stop: threading.Event):
    """Yield the set of changed files every POLL_S (empty when nothing changed), until `stop`."""
    before = _snapshot(files)
    while not stop.is_set():
        time.sleep(POLL_S)
        now = _snapshot(files)
        yield {p for p in files if now[p] != before[p]}
        before = now


def notified_changes(tree: Path, files: dict[Path, catalog.Exercise], stop: threading.Event):
    import watchfiles

    for changes in watchfiles.watch(tree, stop_event=stop, yield_on_timeout=True, rust_timeout=int(POLL_S * 1000),
                                    watch_filter=lambda change, path: Path(path) in files):
        yield {Path(path) for _, path in changes}


@contextlib.contextmanager
def _single_keys(interactive: bool):
    """The terminal in cbreak mode (keys arrive without Enter, unechoed) for the block, restored after it; yields
    its file descriptor, or None when not `interactive`. Entered before the banner is printed, so a key pressed
    as soon as the banner shows is not held back waiting for Enter."""
    if not interactive:
        yield None
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    try:
        yield fd
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _keys(fd: int, into: queue.Queue, stop: threading.Event):
    """Single key presses from a terminal already in cbreak mode, until `stop`."""
    import select

    while not stop.is_set():
        if select.select([fd], [], [], 0.2)[0]:
            into.put(os.read(fd, 1).decode(errors="ignore").lower())


def watch(exercises: list[catalog.Exercise], impl: str = "exercises", poll: bool = False, runs: int | None = None) -> int:
    from grading import progress, report, runner

    tree = resolve(impl)
    files = {(tree / e.relpath).resolve(): e for e in exercises}
    stop = threading.Event()
    if not poll:
        try:
            import watchfiles  # noqa: F401
        except ImportError:
            poll = True
    changes = polled_changes(files, stop) if poll else notified_changes(tree, files, stop)
    keys: queue.Queue = queue.Queue()
    interactive = sys.stdin.isatty() and sys.platform != "win32"
    with _single_keys(interactive) as fd:
        if interactive:
            threading.Thread(target=_keys, args=(fd, keys, stop), daemon=True).start()
        phases = sorted({e.phase for e in exercises})
        report.console.print(f"watching {len(files)} exercise files under {tree} "
                             f"(phases {', '.join(map(str, phases))}; {'polling' if poll else 'notified'}); save a file to check it"
                             + (" · keys: h hint, n next, q quit" if interactive else " · Ctrl-C stops"))
        last, done = None, 0
        try:
            for changed in changes:
                for ex in dict.fromkeys(files[p] for p in sorted(changed) if p in files):
                    results, seed, seconds = runner.run([ex], impl)
                    report.phase_report(f"{time.strftime('%H:%M:%S')} · {ex.id}", results, impl, seed, seconds)
                    progress.record(results, impl, seed)
                    last, done = results[0], done + 1
                    if runs is not None and done >= runs:
                        return 0
                while not keys.empty():
                    key = keys.get()
                    if key == "q":
                        return 0
                    if key == "h" and last is not None:
                        function, hint = last.hint
                        report.console.print(f"[cyan]hint ({function or last.exercise.id}):[/] {hint}  "
                                             f"[dim](more: make hint ex={last.exercise.id} level=2)[/]")
                    if key == "n":
                        report.next_card(progress.next_exercise(impl), impl)
        finally:
            stop.set()
        return 0
