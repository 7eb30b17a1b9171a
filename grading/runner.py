"""Run checks through pytest in this process and collect one verdict per check, mapped to its exercise."""
from __future__ import annotations

import contextlib
import io
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grading import ROOT, UsageError, catalog
from grading.trees import ImportFailure, resolve


CHECK_TIMEOUT_S = 300  # a learner's infinite loop fails its check instead of hanging the run


@dataclass
class CheckResult:
    nodeid: str
    name: str
    outcome: str          # passed | failed | not started
    message: str = ""


@dataclass
class ExerciseResult:
    exercise: catalog.Exercise
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(c.outcome == "passed" for c in self.checks)

    @property
    def status(self) -> str:
        if not self.checks:
            return "no checks"
        if self.passed == len(self.checks):
            return "passed"
        if all(c.outcome == "not started" for c in self.checks):
            return "not started"
        return "failing"

    @property
    def score(self) -> float:
        return round(self.exercise.points * self.passed / len(self.checks), 2) if self.checks else 0.0

    @property
    def first_failure(self) -> CheckResult | None:
        return next((c for c in self.checks if c.outcome == "failed"), None)


def _learner_location(excinfo, tree: Path) -> str:
    """The deepest traceback line inside the tree under test: where the learner's code went wrong."""
    for frame in reversed(traceback.extract_tb(excinfo.tb)):
        path = Path(frame.filename)
        if tree in path.parents:
            return f" (at {path.relative_to(tree.parent)}:{frame.lineno})"
    return ""


def describe(excinfo, tree: Path) -> tuple[str, str]:
    """(outcome, one-paragraph message) for a failed check."""
    error = excinfo.value
    if "Timeout" in str(error)[:40]:
        return "failed", f"timed out after {CHECK_TIMEOUT_S} s (an endless loop?){_learner_location(excinfo, tree)}"
    if isinstance(error, NotImplementedError):
        return "not started", str(error) or "NotImplementedError"
    if isinstance(error, ImportFailure):
        return "failed", str(error)
    if isinstance(error, AssertionError):
        text = str(error).split("\nassert ")[0].strip()
        return "failed", text or f"a check assertion failed{_learner_location(excinfo, tree)}"
    return "failed", f"{type(error).__name__}: {error}{_learner_location(excinfo, tree)}"


class Collector:
    """pytest plugin: one CheckResult per check, keyed by exercise id."""

    def __init__(self, tree: Path, cat: catalog.Catalog):
        self.tree, self.cat = tree, cat
        self.results: dict[str, list[CheckResult]] = {}
        self.seed = None

    def _add(self, path, result: CheckResult):
        ex = catalog.exercise_for_check_file(Path(path), self.cat)
        self.results.setdefault(ex.id, []).append(result)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        name = item.name.removeprefix("test_").replace("_", " ")
        nodeid = item.nodeid if not item.nodeid.startswith("::") else f"{item.path}{item.nodeid}"  # outside the root
        if report.when == "call" and report.passed:
            self._add(item.path, CheckResult(nodeid, name, "passed"))
        elif report.failed and call.excinfo is not None:
            verdict, message = describe(call.excinfo, self.tree)
            self._add(item.path, CheckResult(nodeid, name, verdict, message))
        elif report.when == "setup" and report.skipped:
            self._add(item.path, CheckResult(nodeid, name, "failed", f"skipped: {report.longrepr[-1]}"))

    def pytest_collectreport(self, report):
        if report.failed:
            self._add(report.nodeid, CheckResult(report.nodeid, "check file", "failed",
                                                 f"the check file could not be collected: {report.longreprtext.strip().splitlines()[-1]}"))

    def pytest_configure(self, config):
        self.seed = config.workbook_seed


def check_files(exercises, extra: Path | None, cat: catalog.Catalog) -> list[Path]:
    files = [e.check_file for e in exercises if e.check_file.exists()]
    if extra is not None:
        if not extra.is_dir():
            raise UsageError(f"extra checks folder {str(extra)!r} does not exist or is not a folder")
        wanted = {e.id for e in exercises}
        for path in sorted(extra.rglob("test_*.py")):
            if catalog.exercise_for_check_file(path, cat).id in wanted:
                files.append(path)
    return files


def run(exercises, impl: str = "exercises", seed: int | None = None, extra: Path | None = None,
        keyword: str | None = None) -> tuple[list[ExerciseResult], int, float]:
    """Run the checks of `exercises` against tree `impl`. Returns (results, session seed, seconds)."""
    cat = catalog.load()
    tree = resolve(impl)
    files = check_files(exercises, extra, cat)
    collector = Collector(tree, cat)
    args = [str(f) for f in files] + [
        "--noconftest", "-p", "checks.conftest", "-p", "no:cacheprovider", "-q",
        "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), "--impl", impl,
        "--timeout", str(CHECK_TIMEOUT_S)]
    if seed is not None:
        args += ["--seed", str(seed)]
    if keyword:
        args += ["-k", keyword]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    start, captured = time.perf_counter(), io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        code = pytest.main(args, plugins=[collector]) if files else 0
    if code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        raise UsageError("the checks could not run:\n" + captured.getvalue()[-3000:])
    results = [ExerciseResult(e, collector.results.get(e.id, [])) for e in exercises]
    return results, collector.seed, time.perf_counter() - start
