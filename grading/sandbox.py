"""The child side of a check run: one exercise's checks, in a process of its own, with guards around the learner.

The engine (grading/runner.py) starts `child_main` once per exercise. The child runs pytest on that exercise's
check files and sends each check's outcome back over a pipe the learner's code is not handed; its stdout and
stderr (the learner's prints, a crash's traceback) go to a second pipe the engine reads and shortens. Whatever
the learner's code does here (patch the engine, exit, crash, hang, fill memory) ends in this process.

Guards, installed before any learner code runs:
- writes under checks/, solutions/, grading/, tests/ and data/ are refused (an audit hook: Python code cannot
  remove it), so a trusted run never changes the files that decide the grade;
- learner code may not import or read the reference (solutions/), the checks or the engine;
- bytecode is not written, so nothing in those folders changes behind the sources' backs.
"""
from __future__ import annotations

import builtins
import faulthandler
import gc
import importlib
import os
import sys
from pathlib import Path

import pytest

from grading import ROOT

PROTECTED = tuple(str(ROOT / d) + os.sep for d in ("checks", "solutions", "grading", "tests", "data"))
SOLUTIONS = str(ROOT / "solutions") + os.sep
CHECKS = str(ROOT / "checks") + os.sep
FORBIDDEN_IMPORTS = {"solutions", "checks", "grading", "tests", "exercises"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
PATH_EVENTS = {"os.remove", "os.rmdir", "os.mkdir", "os.truncate", "os.chmod", "os.chown", "os.utime",
               "os.symlink", "os.link", "shutil.rmtree", "shutil.copyfile", "shutil.move"}


class Refused(PermissionError):
    """The learner's code tried something a check run does not allow."""


def _real(path) -> str | None:
    if isinstance(path, int):
        return None
    try:
        return os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return None


def _protected(path) -> bool:
    real = _real(path)
    return real is not None and (real + os.sep).startswith(PROTECTED)


def _reference(real: str) -> bool:
    """solutions/, or a release's recorded answers (checks/<phase>/_snapshots/)."""
    return real.startswith(SOLUTIONS) or (real.startswith(CHECKS) and f"{os.sep}_snapshots{os.sep}" in real)


def _learner_on_stack(tree: str) -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(tree):
            return True
        frame = frame.f_back
    return False


def install_guards(tree: Path, learner_package: str):
    """From now on, refuse writes to the grading files, and the learner's imports and reads of the reference.
    learner_package: the name the learner's tree is imported under (grading.trees.package_name)."""
    tree_prefix = str(tree) + os.sep
    guard_reads = not (tree_prefix == SOLUTIONS)
    sys.dont_write_bytecode = True

    def audit(event, args):
        if event == "open":
            path, mode, flags = args
            writing = (mode is not None and any(c in mode for c in "wax+")) or (mode is None and flags & WRITE_FLAGS)
            if writing and _protected(path):
                raise Refused(f"a check run may not write {_real(path)} (checks/, solutions/ and the engine are read-only)")
            if guard_reads and not writing and isinstance(path, (str, bytes, os.PathLike)):
                real = _real(path)
                if real and _reference(real) and _learner_on_stack(tree_prefix):
                    raise Refused(f"learner code may not read the reference solutions ({os.path.relpath(real, ROOT)})")
        elif event in PATH_EVENTS and args and _protected(args[0]):
            raise Refused(f"a check run may not change {_real(args[0])} ({event})")
        elif event == "os.rename" and any(_protected(a) for a in args[:2]):
            raise Refused(f"a check run may not move files in checks/, solutions/ or the engine ({args[0]!r})")

    sys.addaudithook(audit)
    forbidden = FORBIDDEN_IMPORTS - {learner_package}

    def refuse_outside_imports(name: str, importer: str):
        if name.partition(".")[0] in forbidden and importer.partition(".")[0] == learner_package:
            where = importer.partition(".")[2].replace(".", "/") or importer
            raise Refused(f"{where}.py imports {name!r}: an exercise may import only its own tree (relative "
                          f"imports) and libraries, not the reference, the checks or the engine")

    real_import, real_import_module = builtins.__import__, importlib.import_module

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and globals:
            refuse_outside_imports(name, globals.get("__name__") or "")
        return real_import(name, globals, locals, fromlist, level)

    def guarded_import_module(name, package=None):
        if not name.startswith("."):
            refuse_outside_imports(name, sys._getframe(1).f_globals.get("__name__") or "")
        return real_import_module(name, package)

    builtins.__import__, importlib.import_module = guarded_import, guarded_import_module


class Reporter:
    """pytest plugin (in the child): each check's outcome, sent to the engine as soon as it is known."""

    def __init__(self, conn, tree: Path, check_s: int):
        from grading.runner import Collector  # the verdict wording lives with the engine

        self.conn, self.collector = conn, Collector(tree, check_s)
        self.real_stdout = sys.stdout

    def _send(self, *message):
        self.conn.send(message)

    def pytest_collection_finish(self, session):
        from grading.runner import node_id

        self._send("collected", [node_id(item) for item in session.items])

    def pytest_runtest_protocol(self, item, nextitem):
        from grading.inputs import CALLED
        from grading.runner import node_id

        CALLED.clear()
        self._send("start", node_id(item))

    def pytest_runtest_logfinish(self, nodeid, location):
        self._send("finish", nodeid)

    def pytest_collectreport(self, report):
        result = self.collector.collect_failure(report)
        if result:
            self._send("result", result)

    def pytest_runtest_makereport(self, item, call):
        result = self.collector.verdict(item, call)
        if result:
            self._send("result", result)

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config):
        sys.stdout = self.real_stdout  # pytest's terminal report went to devnull; the learner's prints go to the engine


def _prepare(spec: dict, output) -> Path:
    """Before any learner code: own process group, output to the engine's pipe, crash dumps, guards."""
    os.setsid()  # a process group of its own: the engine can stop all it starts, and Ctrl-C reaches only the engine
    gc.freeze()  # what the fork server imported (torch) is never garbage: collections skip it, several times faster
    os.dup2(output.fileno(), 1)
    os.dup2(output.fileno(), 2)
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    faulthandler.enable(file=sys.stderr)  # a segfault prints where it happened; the engine names it
    from grading import trees

    tree = Path(spec["tree"])
    install_guards(tree, trees.package_name(tree))
    trees._IN_CHILD = True
    return tree


def _finish(results, code: int):
    results.send(("done", int(code)))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the learner's atexit handlers and finalizers do not get a say


def child_main(spec: dict, results, output):
    """Run one exercise's checks. spec: tree, impl, files, seed, check_s, keyword (see runner.run)."""
    tree = _prepare(spec, output)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # 0.1 s a child instead of 0.5: load only what checks use
    # no:unraisableexception: its gc.collect() at exit would walk every object the fork server imported.
    args = [*spec["files"], "-p", "pytest_timeout", "-p", "no:cacheprovider", "-p", "no:unraisableexception",
            "-s", "-qq", "-p", "no:warnings",
            "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), "--impl", spec["impl"],
            "--timeout", str(spec["check_s"])]
    # The conftests of checks/ and of the exercise's phase, loaded as plugins: a teacher's checks outside the tree
    # get the same fixtures, and pytest cannot register one conftest twice.
    args += ["--noconftest", *[a for plugin in spec["conftests"] for a in ("-p", plugin)]]
    if spec["seed"] is not None:
        args += ["--seed", str(spec["seed"])]
    if spec["keyword"]:
        args += ["-k", spec["keyword"]]
    reporter = Reporter(results, tree, spec["check_s"])
    sys.stdout = open(os.devnull, "w")  # pytest's own progress report: the engine writes the report
    _finish(results, pytest.main(args, plugins=[reporter]))


def compare_main(spec: dict, results, output):
    """`make compare`'s rows for one exercise. spec: tree, impl, exercise, seed."""
    _prepare(spec, output)
    from grading import catalog
    from grading.compare import rows

    results.send(("payload", rows(catalog.load().exercise(spec["exercise"]), spec["impl"], spec["seed"])))
    _finish(results, 0)
