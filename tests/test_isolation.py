"""Every way a learner's code can misbehave costs only its own exercise, with the cause named.

Each case plants one fault in phase 0's `probability` exercise (a copy of the reference, so the other six
exercises are correct) and runs phase 0. The faulty exercise must fail with a one-line cause naming what
happened; every other exercise must score full marks; checks/ and solutions/ must be unchanged. Most cases run
the engine in this process (its fork server is shared, so a case costs about a second); the last tests drive
the CLI for exit codes, signals and reports.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from grading import BUILD, ROOT, catalog, runner, stubs
from tests.support import cli, copy_solutions, default_sigint

SOFTMAX = "    shifted = x - np.max(x, axis=axis, keepdims=True)  # softmax(x) = softmax(x - c): exp never overflows\n"
MODULE_TOP = "import numpy as np\n"


def _in_softmax(code: str) -> dict:
    return {"replace": SOFTMAX, "with": code + SOFTMAX}


def _at_import(code: str) -> dict:
    return {"replace": MODULE_TOP, "with": MODULE_TOP + code}


# id -> (planted fault, words the cause must contain, limits for the exercise)
FAULTS = {
    "patches the engine's verdict": (_at_import(
        "import sys\nsys.modules['grading.runner'].ExerciseResult.passed = property(lambda self: 99)\n"
        "raise RuntimeError('and then fails')\n"), "RuntimeError: and then fails", {}),
    "rewrites a reference solution": (_at_import(
        f"open({str(ROOT / 'solutions/phase00_math/probability.py')!r}, 'w').write('')\n"), "may not write", {}),
    "rewrites a check file": (_at_import(
        f"open({str(ROOT / 'checks/phase00_math/test_probability.py')!r}, 'a').write('#')\n"), "may not write", {}),
    "deletes a check file": (_at_import(
        f"import os\nos.remove({str(ROOT / 'checks/phase00_math/test_vectors.py')!r})\n"), "may not change", {}),
    "zeroes its input in place": (_in_softmax("    x[...] = 0\n"), "softmax changed its input x", {}),
    "os._exit(0) in a function": (_in_softmax("    import os; os._exit(0)\n"),
                                  "exited with status 0 during check", {}),
    "sys.exit(3) in a function": (_in_softmax("    import sys; sys.exit(3)\n"), "called sys.exit(3)", {}),
    "sys.exit(0) at import": (_at_import("import sys\nsys.exit(0)\n"), "SystemExit(0)", {}),
    "raises at import": (_at_import("raise ValueError('module-level')\n"), "ValueError: module-level", {}),
    "segfault in a function": (_in_softmax("    import ctypes; ctypes.string_at(0)\n"),
                               "segmentation fault during check", {}),
    "fills memory": (_in_softmax("    hog = [bytearray(2**26) for _ in range(400)]\n"),
                     "exceeded 0.5 GB of memory", {"memory_mb": 512}),
    "raises KeyboardInterrupt": (_in_softmax("    raise KeyboardInterrupt\n"), "raised KeyboardInterrupt", {}),
    "endless loop": (_in_softmax("    while True: pass\n"), "timed out after 2 s", {"check_s": 2}),
    "endless loop in C, past the exercise's limit": (_in_softmax("    import time; time.sleep(3600)\n"),
                                                     "ran past its 4 s limit", {"check_s": 60, "exercise_s": 4}),
    "60 s import": (_at_import("import time\ntime.sleep(60)\n"), "did not finish within", {"check_s": 2}),
    "imports the reference": (_at_import("from solutions.phase00_math.probability import *\n"),
                              "may import only its own tree", {}),
    "imports the reference with importlib": (_at_import(
        "import importlib\nimportlib.import_module('solutions.phase00_math.probability')\n"),
        "may import only its own tree", {}),
    "reads the reference's source": (_at_import(
        f"exec(open({str(ROOT / 'solutions/phase00_math/probability.py')!r}).read())\n"),
        "may not read the reference", {}),
}


def _protected_hashes() -> dict[str, str]:
    """The files a phase-0 run could reach: the shared checks code and phase 0's checks and solutions."""
    files = [p for folder in ("checks", "solutions") for p in [*(ROOT / folder).glob("*.py"),
                                                            *(ROOT / folder / "phase00_math").glob("*.py")]]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


def _plant(tree, fault: dict):
    target = tree / "phase00_math" / "probability.py"
    source = target.read_text()
    assert source.count(fault["replace"]) == 1
    target.write_text(source.replace(fault["replace"], fault["with"], 1))


@pytest.mark.parametrize("case", list(FAULTS))
def test_fault_costs_only_its_exercise(case, tmp_path):
    fault, words, limits = FAULTS[case]
    tree = copy_solutions(tmp_path / "tree")
    _plant(tree, fault)
    exercises = [dataclasses.replace(e, **limits) if e.id == "probability" else e
                 for e in catalog.load().phase(0).exercises]
    before = _protected_hashes()
    results, seed, _ = runner.run(exercises, str(tree))
    assert _protected_hashes() == before, "a check run changed checks/ or solutions/"
    by_id = {r.exercise.id: r for r in results}
    faulty = by_id.pop("probability")
    messages = [c.message for c in faulty.checks if c.outcome != "passed"]
    assert faulty.status == "failing" and any(words in m for m in messages), (seed, messages, faulty.output[-2000:])
    assert all("\n" not in m.split("\n  likely mistake")[0] for m in messages), messages
    assert all(r.status == "passed" and r.score == r.exercise.points for r in by_id.values()), \
        {r.exercise.id: [c.message for c in r.checks if c.outcome != "passed"] for r in by_id.values()}


def test_patching_the_engine_does_not_raise_the_score(tmp_path):
    """On fresh stubs, one exercise patches the engine's scoring class and is otherwise correct: it earns its
    own points, and every other exercise still scores 0."""
    tree = tmp_path / "tree"
    stubs.generate(tree)
    reference = (ROOT / "solutions" / "phase00_math" / "probability.py").read_text()
    (tree / "phase00_math" / "probability.py").write_text(reference.replace(MODULE_TOP, MODULE_TOP + (
        "import sys\nsys.modules['grading.runner'].ExerciseResult.passed = property(lambda self: len(self.checks))\n")))
    results, _, _ = runner.run(list(catalog.load().phase(0).exercises), str(tree))
    assert {r.exercise.id: r.score for r in results if r.score} == {"probability": 15.0}


def test_a_slow_failing_import_is_paid_once(tmp_path):
    tree = copy_solutions(tmp_path / "tree")
    counter = tmp_path / "imports"
    _plant(tree, _at_import(f"open({str(counter)!r}, 'a').write('x')\nraise RuntimeError('slow and broken')\n"))
    results, _, _ = runner.run([catalog.load().exercise("probability")], str(tree))
    assert len(results[0].checks) > 3 and all("slow and broken" in c.message for c in results[0].checks)
    assert counter.read_text() == "x", "the failing module was imported again for every check"


def test_a_syntax_error_is_reported_in_the_file_that_has_it(tmp_path):
    tree = copy_solutions(tmp_path / "tree")
    (tree / "phase00_math" / "probability.py").write_text("def softmax(x)\n    return x\n")
    results, _, _ = runner.run([catalog.load().exercise("attention_scores")], str(tree))
    messages = [c.message for c in results[0].checks if c.outcome == "failed"]
    assert messages and all("phase00_math/probability.py line 1: SyntaxError" in m for m in messages), messages


def test_printing_50_mb_is_shortened(tmp_path):
    tree = copy_solutions(tmp_path / "tree")
    _plant(tree, _in_softmax("    print('x' * 50_000_000)\n"))
    results, _, _ = runner.run([catalog.load().exercise("probability")], str(tree))
    assert results[0].status == "passed"
    assert len(results[0].output) < 40_000 and "bytes of output left out" in results[0].output


def test_a_teacher_tree_that_imports_the_learners_exercises_is_flagged(tmp_path):
    tree = copy_solutions(tmp_path / "tree")
    _plant(tree, _at_import("import exercises.phase00_math.vectors\n"))
    results, _, _ = runner.run([catalog.load().exercise("probability")], str(tree))
    assert all("may import only its own tree" in c.message for c in results[0].checks)


def test_engine_tests_use_their_own_build_folder():
    assert BUILD != (ROOT / "build").resolve() and os.environ["WORKBOOK_BUILD"] == str(BUILD)


# ---------------------------------------------------------------- through the CLI: exit codes, reports, signals

def test_cli_exits_1_and_writes_a_fresh_report(tmp_path):
    tree = copy_solutions(tmp_path / "tree")
    _plant(tree, _in_softmax("    import os; os._exit(0)\n"))
    out = tmp_path / "results.json"
    out.write_text('{"stale": true}')
    result = cli("check", "--phase", "0", "--impl", tree, "--json", out, "--seed", "5")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "exited with status 0 during check" in result.stdout and "Traceback" not in result.stdout
    data = json.loads(out.read_text())
    assert data["output"].endswith("seed 5") and data["score"] == data["extra_data"]["max_score"] - 15


def _start_engine(tree, out):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen([sys.executable, "-m", "grading", "check", "--phase", "0", "--impl", str(tree),
                             "--json", str(out)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=default_sigint)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_the_engine_keeps_the_previous_report(signum, tmp_path):
    """Ctrl-C (or SIGTERM) during a run: the engine says so, exits, stops its child, writes no report."""
    tree = copy_solutions(tmp_path / "tree")
    marker = tmp_path / "child-pid"
    _plant(tree, _in_softmax(f"    import os; open({str(marker)!r}, 'w').write(str(os.getpid()))\n"
                             "    while True: pass\n"))
    out = tmp_path / "results.json"
    out.write_text('{"previous": true}')
    engine = _start_engine(tree, out)
    for _ in range(600):
        if marker.exists() and marker.read_text():
            break
        time.sleep(0.1)
    assert marker.exists(), "the child never reached the endless loop"
    engine.send_signal(signum)
    stdout, stderr = engine.communicate(timeout=60)
    assert engine.returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr, stderr
    assert json.loads(out.read_text()) == {"previous": True}
    child = int(marker.read_text())
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the child {child} outlived the engine")


def test_a_run_during_which_the_checks_change_is_refused(tmp_path, monkeypatch):
    from grading import integrity

    calls = []
    real = integrity.manifest

    def manifest(phase_dirs):
        calls.append(1)
        files = real(phase_dirs)
        if len(calls) > 1:
            files["checks/phase00_math/test_vectors.py"] = "changed"
        return files

    monkeypatch.setattr(integrity, "manifest", manifest)
    with pytest.raises(integrity.IntegrityError, match="test_vectors.py changed while the checks ran"):
        runner.run([catalog.load().exercise("vectors")], "solutions")
