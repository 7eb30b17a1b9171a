"""Run checks, one exercise per child process, and decide each check's verdict here, in the engine.

The learner's code never runs in this process. Each exercise's checks run in a child (grading/sandbox.py) with
a wall-time limit per check and per exercise and a memory limit (from the catalog); the child reports each
check over a pipe, and its output goes to a second pipe this process reads and shortens. A child that exits,
crashes, hangs, is killed or reports nothing costs its own exercise, with the cause named, and the run goes on.
"""
from __future__ import annotations

import contextlib
import importlib.util
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
import traceback
import types
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grading import ROOT, UsageError, catalog, integrity
from grading.trees import ImportFailure, resolve

GRACE_S = 15            # beyond a check's own limit (pytest-timeout stops it first) before the child is killed
OUTPUT_KEEP = 16_000    # characters of a child's output kept from its start and from its end
MEMORY_POLL_S = 0.2     # how often the child's resident memory is read (a scan of its process tree)


@dataclass
class CheckResult:
    nodeid: str
    name: str
    outcome: str          # passed | failed | not started | teacher (a release: graded on the teacher's copy)
    message: str = ""
    called: tuple = ()    # a failed check: the exercise's functions it called (grading.inputs.CALLED), in order


DEFERRED = "teacher"


@dataclass
class ExerciseResult:
    exercise: catalog.Exercise
    checks: list[CheckResult] = field(default_factory=list)
    output: str = ""      # what the learner's code printed (shortened)
    cause: str = ""       # why the child ended early, if it did
    deferred: list[CheckResult] = field(default_factory=list)  # a release's checks that need the reference itself

    @property
    def passed(self) -> int:
        return sum(c.outcome == "passed" for c in self.checks)

    @property
    def status(self) -> str:
        """passed | failing (every check ran, some failed) | in progress (some checks reach unwritten code: this
        exercise's or an earlier one's) | not started (every check stops at this exercise's own stubs)."""
        if not self.checks:
            return "teacher's copy" if self.deferred else "no checks"
        if self.passed == len(self.checks):
            return "passed"
        unwritten = [c for c in self.checks if c.outcome == "not started"]
        if len(unwritten) == len(self.checks) and not self.blocked_by:
            return "not started"
        return "in progress" if unwritten else "failing"

    @property
    def first_unwritten(self) -> CheckResult | None:
        """The first check that stopped at one of this exercise's own stubs."""
        return next((c for c in self.checks if c.outcome == "not started" and
                     unwritten_function(c.message)[1] in (None, self.exercise.id)), None)

    @property
    def blocked_by(self) -> dict[str, str]:
        """{exercise id: function} of earlier exercises whose stubs this exercise's checks ran into."""
        found = {}
        for c in self.checks:
            function, exercise_id = unwritten_function(c.message) if c.outcome == "not started" else (None, None)
            if exercise_id not in (None, self.exercise.id):
                found.setdefault(exercise_id, function)
        return found

    @property
    def score(self) -> float:
        return round(self.exercise.points * self.passed / len(self.checks), 2) if self.checks else 0.0

    @property
    def first_failure(self) -> CheckResult | None:
        """The failure to show first: one whose check recognised the likely mistake, else the first in order
        (a one-sided difference fails the comparison with the reference, but only its own check names it)."""
        failed = [c for c in self.checks if c.outcome == "failed"]
        return next((c for c in failed if "likely mistake:" in c.message), failed[0] if failed else None)

    def _call_in(self, message: str) -> str | None:
        """The exercise's function whose call the failure message shows first ("bigram_nll(text, vocab, probs) is
        ..."): checks name the call that went wrong."""
        calls = [(m.start(), f) for f in catalog.functions_of(self.exercise)
                 for m in [re.search(rf"(?<!\w){re.escape(f)}\(", message)] if m]
        return min(calls)[1] if calls else None

    @property
    def hint(self) -> tuple[str | None, str]:
        """(function, hint): the hint for the function the shown failure is about (see Exercise.hint_for): the first
        of this exercise's functions that has a hint among the call its message shows, the one its name names, and
        the only one it called."""
        failure = self.first_failure
        if failure:
            candidates = (self._call_in(failure.message), self.exercise.function_checked_by(failure.name),
                          failure.called[0] if len(failure.called) == 1 else None)   # the one function it called
            return next((found for found in map(self.exercise.hint_for, filter(None, candidates)) if found[0]),
                        self.exercise.hint_for(None))
        unwritten = self.first_unwritten
        return self.exercise.hint_for(unwritten_function(unwritten.message)[0] if unwritten else None)


_UNWRITTEN = re.compile(r"(\w+) is not written yet \(exercise '([\w-]+)'")


def unwritten_function(message: str) -> tuple[str | None, str | None]:
    """(function, exercise id) named by a stub's NotImplementedError message, or (None, None)."""
    found = _UNWRITTEN.search(message)
    return (found[1], found[2]) if found else (None, None)


# ---------------------------------------------------------------- wording a check's verdict (used in the child)

def _learner_location(excinfo, tree: Path) -> str:
    """The deepest traceback line inside the tree under test: where the learner's code went wrong."""
    for frame in reversed(traceback.extract_tb(excinfo.tb)):
        path = Path(frame.filename)
        if tree in path.parents:
            return f" (at {path.relative_to(tree.parent)}:{frame.lineno})"
    return ""


def describe(excinfo, tree: Path, check_s: int) -> tuple[str, str]:
    """(outcome, one-paragraph message) for a failed check."""
    error = excinfo.value
    if "Timeout" in str(error)[:40]:
        return "failed", f"timed out after {check_s} s (an endless loop?){_learner_location(excinfo, tree)}"
    if isinstance(error, NotImplementedError):
        return "not started", str(error) or "NotImplementedError"
    if isinstance(error, ImportFailure):
        return "failed", str(error)
    if isinstance(error, AssertionError):
        text = str(error).split("\nassert ")[0].strip()
        return "failed", text or f"a check assertion failed{_learner_location(excinfo, tree)}"
    if isinstance(error, SystemExit):
        return "failed", f"called sys.exit({error.code!r}) during the check{_learner_location(excinfo, tree)}"
    if isinstance(error, KeyboardInterrupt):
        return "failed", f"raised KeyboardInterrupt during the check{_learner_location(excinfo, tree)}"
    return "failed", f"{type(error).__name__}: {error}{_learner_location(excinfo, tree)}"


def node_id(item) -> str:
    """pytest's node id, with the file's path for a teacher's check outside the root (pytest gives '::name')."""
    return item.nodeid if not item.nodeid.startswith("::") else f"{item.path}{item.nodeid}"


class Collector:
    """Turns pytest's reports into CheckResults (in the child; the engine receives them as dicts)."""

    def __init__(self, tree: Path, check_s: int):
        self.tree, self.check_s = tree, check_s

    def verdict(self, item, call) -> dict | None:
        name, nodeid = item.name.removeprefix("test_").replace("_", " "), node_id(item)
        deferred = getattr(item, "workbook_deferred", None)  # a release's check that asked for the reference itself
        if deferred:  # reported once: where it was raised (a fixture's setup, or the check itself)
            first = call.when == "call" or (call.when == "setup" and call.excinfo is not None)
            return asdict(CheckResult(nodeid, name, DEFERRED, deferred)) if first else None
        if call.excinfo is None:
            return asdict(CheckResult(nodeid, name, "passed")) if call.when == "call" else None
        if call.excinfo.errisinstance(_skip_exception()):  # a check that does not apply here (no GPU) is not counted,
            if call.when != "setup":                         # but a fixture that cannot be set up fails it
                return None
            return asdict(CheckResult(nodeid, name, "failed", f"skipped: {call.excinfo.value}"))
        from grading.inputs import CALLED

        outcome, message = describe(call.excinfo, self.tree, self.check_s)
        if call.when == "teardown":
            message = f"after the check: {message}"
        return asdict(CheckResult(nodeid, name, outcome, message, tuple(dict.fromkeys(CALLED))))

    @staticmethod
    def collect_failure(report) -> dict | None:
        if not report.failed:
            return None
        last = (report.longreprtext.strip().splitlines() or ["(no message)"])[-1]
        return asdict(CheckResult(report.nodeid, "check file", "failed", f"the check file could not be collected: {last}"))


def _skip_exception():
    import pytest

    return pytest.skip.Exception


# ---------------------------------------------------------------- the engine side

def check_files(exercises, extra: Path | None, cat: catalog.Catalog) -> dict[str, list[Path]]:
    """exercise id -> its check files (the workbook's, then a teacher's test_<id>*.py from `extra`)."""
    files = {e.id: [e.check_file] for e in exercises if e.check_file.exists()}
    if extra is not None:
        if not extra.is_dir():
            raise UsageError(f"extra checks folder {str(extra)!r} does not exist or is not a folder")
        for path in sorted(extra.rglob("test_*.py")):
            ex = catalog.exercise_for_check_file(path, cat)
            if any(e.id == ex.id for e in exercises):
                files.setdefault(ex.id, []).append(path.resolve())
    return files


BASE_PRELOAD = ("numpy", "pytest", "pytest_timeout", "checks.conftest", "checks.helpers", "grading.sandbox")


def _heavy_imports(exercises) -> tuple[str, ...]:
    """Libraries worth importing once in the fork server for these exercises: torch from phase 6 on, and
    transformers (the phase-7 checks' twin of GPT-2, when installed). On Linux forking after importing torch is
    safe; on macOS forking after Apple's frameworks have loaded is not, so children import it themselves."""
    if not sys.platform.startswith("linux"):
        return ()
    wanted = (["torch"] if any(e.phase >= 6 for e in exercises) else []) + (
        ["transformers.models.gpt2.modeling_gpt2"] if any(e.phase == 7 for e in exercises) else [])
    return tuple(name for name in wanted if importlib.util.find_spec(name.partition(".")[0]) is not None)


_preloaded: set[str] = set()


def _context(exercises=()) -> multiprocessing.context.BaseContext:
    """A fork server that has imported pytest, NumPy (and torch, transformers when the phases need them) once:
    each exercise's child is a fork of it, fresh and isolated, without paying the imports again. A process has
    one fork server; a later run that needs more of it restarts it with the larger set."""
    if sys.platform == "win32":  # pragma: no cover - no fork on Windows
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    needed = set(_heavy_imports(exercises))
    if not needed <= _preloaded:
        server = getattr(forkserver, "_forkserver", None)
        if _preloaded and hasattr(server, "_stop"):
            server._stop()
        _preloaded.update(needed)
        ctx.set_forkserver_preload([*sorted(_preloaded), *BASE_PRELOAD])
    elif not _preloaded:
        ctx.set_forkserver_preload(list(BASE_PRELOAD))
    return ctx


class _Output(threading.Thread):
    """Drains a child's output pipe, keeping its start and its end (a learner printing 50 MB costs nothing)."""

    def __init__(self, conn):
        super().__init__(daemon=True)
        self.conn, self.head, self.tail, self.total = conn, b"", b"", 0  # the connection owns the descriptor

    def run(self):
        try:
            while chunk := os.read(self.conn.fileno(), 65536):
                self.total += len(chunk)
                take = max(0, OUTPUT_KEEP - len(self.head))
                self.head += chunk[:take]
                self.tail = (self.tail + chunk[take:])[-OUTPUT_KEEP:]
        except OSError:
            pass

    def text(self) -> str:
        skipped = self.total - len(self.head) - len(self.tail)
        middle = f"\n… ({skipped:,} bytes of output left out) …\n" if skipped else ""
        return self.head.decode(errors="replace") + middle + self.tail.decode(errors="replace")


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (0 once it is gone)."""
    import psutil

    try:
        process = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20
    except psutil.Error:
        return 0.0


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _crash_site(output: str, tree: Path) -> str:
    """From faulthandler's dump, the innermost learner frame: ' in softmax (phase00_math/probability.py:12)'."""
    for line in output.splitlines():
        line = line.strip()
        if line.startswith('File "') and str(tree) in line:
            path, _, rest = line[6:].partition('", line ')
            lineno, _, func = rest.partition(" in ")
            return f" in {func} ({Path(path).relative_to(tree.parent)}:{lineno})"
    return ""


@contextlib.contextmanager
def _blank_main():
    """The child needs nothing from the caller's __main__; without this, multiprocessing would run the caller's
    script (a notebook, `python -`, a test runner) again in every child to rebuild it."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


class ChildRun:
    """One exercise's child process, watched: messages in, limits enforced, the cause named if it ends badly."""

    def __init__(self, ctx, exercise: catalog.Exercise, spec: dict, target=None):
        from grading import sandbox

        self.exercise, self.spec = exercise, spec
        self.results_in, results_out = ctx.Pipe(duplex=False)
        output_in, output_out = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=target or sandbox.child_main, args=(spec, results_out, output_out),
                                   daemon=True)
        with _blank_main():
            self.process.start()
        results_out.close()
        output_out.close()
        self.output = _Output(output_in)
        self.output.start()
        self.collected: list[str] = []
        self.checks: dict[str, dict] = {}
        self.current, self.done, self.exit_code, self.payload = None, False, None, None
        self.started = self.check_started = self.memory_checked = time.monotonic()

    def _receive(self, message):
        kind, *rest = message
        if kind == "collected":
            self.collected = list(rest[0])
        elif kind == "start":
            self.current, self.check_started = rest[0], time.monotonic()
        elif kind == "finish":
            self.current = None
        elif kind == "result":
            result = rest[0]
            self.checks.setdefault(result["nodeid"], result)  # the first verdict of a check stands
        elif kind == "payload":
            self.payload = rest[0]
        elif kind == "done":
            self.done, self.exit_code = True, rest[0]

    def _limit_reached(self) -> str | None:
        ex, now = self.exercise, time.monotonic()
        if self.current and now - self.check_started > ex.check_s + GRACE_S:
            return f"killed: check {self._name(self.current)} ran past its {ex.check_s} s limit"
        if now - self.started > ex.exercise_s:
            return f"killed: the exercise ran past its {ex.exercise_s} s limit"
        if now - self.memory_checked < MEMORY_POLL_S:
            return None
        self.memory_checked = now
        rss = _rss_mb(self.process.pid)
        if rss > ex.memory_mb:
            return f"killed: exceeded {ex.memory_mb / 1024:g} GB of memory ({rss / 1024:.1f} GB)"
        return None

    def _kill(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, AttributeError):
            self.process.kill()

    @staticmethod
    def _name(nodeid: str) -> str:
        return nodeid.rpartition("::")[2].removeprefix("test_").replace("_", " ")

    def wait(self) -> str:
        """Run to the end; '' when the child finished normally, else the cause."""
        cause = ""
        try:
            while True:
                try:
                    ready = self.results_in.poll(0.05)
                    while ready:
                        self._receive(self.results_in.recv())
                        ready = self.results_in.poll(0)
                except (EOFError, OSError):
                    break
                if not self.process.is_alive() and not self.results_in.poll(0):
                    break
                cause = self._limit_reached()
                if cause:
                    self._kill()
                    break
        except BaseException:
            self._kill()
            raise
        finally:
            self.process.join(5)
            self._kill()  # the child and anything it started
            self.process.join()
            self.output.join(5)
            self.results_in.close()
            self.output.conn.close()
        during = f" during check {self._name(self.current)}" if self.current else " before its checks ran"
        if cause:
            return cause
        if self.done:
            if self.current and self.exit_code == 2:  # pytest's "interrupted": the learner raised KeyboardInterrupt
                return f"raised KeyboardInterrupt{during}"
            return f"stopped{during}, reporting nothing for it" if self.current else ""
        code = self.process.exitcode
        if code is not None and code < 0:
            if -code == signal.SIGSEGV:
                return f"segmentation fault{during}{_crash_site(self.output.text(), Path(self.spec['tree']))}"
            if -code == signal.SIGKILL:
                return f"killed by SIGKILL{during} (out of memory? the system's OOM killer sends it)"
            return f"killed by {_signal_name(code)}{during}"
        return f"exited with status {code}{during} without finishing its checks (os._exit? a crash outside Python?)"

    def result(self, cause: str) -> ExerciseResult:
        """The exercise's checks in collection order. After a normal end a check with no verdict was skipped
        (it does not apply here: no GPU) and is left out; after an abnormal end it failed with the cause."""
        checks = []
        for nodeid in self.collected or list(self.checks):
            if nodeid in self.checks:
                checks.append(CheckResult(**self.checks[nodeid]))
            elif cause:
                why = cause if nodeid == self.current else f"not run: {cause}"
                checks.append(CheckResult(nodeid, self._name(nodeid), "failed", why))
        deferred = [c for c in checks if c.outcome == DEFERRED]
        checks = [c for c in checks if c.outcome != DEFERRED]
        if not checks and not deferred and (cause or not self.done):
            checks.append(CheckResult(f"{self.exercise.id}::child", "checks", "failed",
                                      cause or "the checks reported nothing"))
        return ExerciseResult(self.exercise, checks, self.output.text(), cause, deferred)


def _conftests(exercise: catalog.Exercise) -> list[str]:
    """checks/conftest.py and the exercise's phase's own conftest (phase 8's one-thread fixture), as modules."""
    nested = ROOT / "checks" / exercise.phase_dir / "conftest.py"
    return ["checks.conftest"] + ([f"checks.{exercise.phase_dir}.conftest"] if nested.exists() else [])


def _impl_label(impl: str, tree: Path) -> str:
    return impl if impl in ("exercises", "solutions") else str(tree)


def run_compare(exercise: catalog.Exercise, impl: str, seed: int) -> tuple[list, str]:
    """`compare`'s rows from a child process, and the cause if the child ended badly."""
    from grading import sandbox

    tree = resolve(impl)
    spec = dict(tree=str(tree), impl=_impl_label(impl, tree), exercise=exercise.id, seed=seed)
    child = ChildRun(_context([exercise]), exercise, spec, target=sandbox.compare_main)
    cause = child.wait()
    return [tuple(row) for row in child.payload or []], cause


def run(exercises, impl: str = "exercises", seed: int | None = None, extra: Path | None = None,
        keyword: str | None = None, progress=None) -> tuple[list[ExerciseResult], int, float]:
    """Run the checks of `exercises` against tree `impl`. Returns (results, session seed, seconds).
    progress(i, exercise), if given, is called in the engine before each exercise's checks start (a status line).

    Refuses (UsageError) a run during which checks/, solutions/ or the engine changed on disk."""
    import random

    from grading import replay

    cat = catalog.load()
    tree = resolve(impl)
    files = check_files(exercises, extra, cat)
    release = replay.release()
    if release is not None and seed not in (None, release["seed"]):
        raise UsageError(f"a release checks on the inputs its snapshots were recorded with (seed {release['seed']}); "
                         f"drop the seed")
    seed = release["seed"] if release else random.randrange(2**31) if seed is None else seed
    last = max((e.phase for e in exercises), default=-1)
    guarded = [p.dir for p in cat.phases if p.number <= last]
    before = integrity.manifest(guarded)
    ctx = _context(exercises)
    results, start = [], time.perf_counter()
    for i, exercise in enumerate(exercises):
        if progress is not None:
            progress(i, exercise)
        if exercise.id not in files:
            results.append(ExerciseResult(exercise))
            continue
        spec = dict(tree=str(tree), impl=_impl_label(impl, tree),
                    files=[str(f) for f in files[exercise.id]], conftests=_conftests(exercise),
                    seed=seed, check_s=exercise.check_s,
                    keyword=keyword)
        child = ChildRun(ctx, exercise, spec)
        cause = child.wait()
        results.append(child.result(cause))
    integrity.refuse_changes(before, integrity.manifest(guarded))
    return results, seed, time.perf_counter() - start
