"""Every CLI verb: usage errors are one line and exit 2; reports say passed / failing / not started."""
import json
import shutil

import pytest

from grading import BUILD, ROOT, catalog, stubs
from tests.support import check_outcomes, cli, copy_solutions


@pytest.mark.parametrize("args, words", [
    (["check", "--phase", "42"], "valid phases: 0, 1"),
    (["check", "--phase", "zero"], "valid phases"),
    (["check"], "say which phase"),
    (["check", "--exercise", "nope"], "valid exercises: vectors"),
    (["check", "--phase", "1", "--exercise", "probability"], "belongs to phase 0"),
    (["check", "--phase", "0", "--impl", "/no/such/folder"], "does not exist"),
    (["check", "--phase", "0", "--impl", "README.md"], "is not a tree"),
    (["check", "--phase", "0", "--impl", "grading"], "is not a tree"),
    (["check", "--phase", "0", "--extra-checks", "/no/such/folder"], "extra checks folder"),
    (["check", "--phase", "0", "--seed", "abc"], "invalid int value"),
    (["grade", "--impl", "/no/such/folder"], "does not exist"),
    (["hint", "nope"], "unknown exercise 'nope'"),
    (["hint", "probability", "--level", "9"], "levels 1..4"),
    (["compare", "nope"], "unknown exercise"),
    (["compare", "probability", "--impl", "/no/such/folder"], "does not exist"),
    (["reset", "nope"], "unknown exercise"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_usage_errors_are_one_line_and_exit_2(args, words):
    result = cli(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_stubs_report_not_started(tmp_path):
    tree = tmp_path / "tree"
    stubs.generate(tree)
    result = cli("check", "--phase", "0", "--impl", tree)
    assert result.returncode == 1
    assert result.stdout.count("not started") >= 7 and "Traceback" not in result.stdout


def test_failing_exercise_shows_message_hint_and_seed(tmp_path):
    tree = copy_solutions(tmp_path / "tree")
    target = tree / "phase00_math" / "probability.py"
    target.write_text(target.read_text().replace("return float(-np.mean(log_probs", "return float(-np.sum(log_probs"))
    result = cli("check", "--exercise", "probability", "--impl", tree, "--seed", "7")
    assert result.returncode == 1
    assert "failing" in result.stdout and "likely mistake" in result.stdout and "hint:" in result.stdout
    assert "seed=7" in result.stdout


def test_learner_syntax_error_is_reported_not_raised(tmp_path):
    tree = copy_solutions(tmp_path / "tree")
    (tree / "phase00_math" / "vectors.py").write_text("def dot(u, v)\n    return 0\n")
    result = cli("check", "--exercise", "vectors", "--impl", tree)
    assert result.returncode == 1
    assert "SyntaxError" in result.stdout and "vectors.py line 1" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_learner_crash_names_the_line(tmp_path):
    tree = copy_solutions(tmp_path / "tree")
    target = tree / "phase00_math" / "vectors.py"
    target.write_text(target.read_text().replace("    return [list(column) for column in zip(*a)]",
                                                 "    return a[99]"))
    result = cli("check", "--exercise", "vectors", "--impl", tree)
    assert "IndexError" in result.stdout and "phase00_math/vectors.py:" in result.stdout


def test_extra_checks_are_scored(tmp_path):
    extra = tmp_path / "private" / "phase00_math"
    extra.mkdir(parents=True)
    (extra / "test_probability_private.py").write_text(
        "import numpy as np\n"
        "from checks.helpers import assert_close\n\n"
        "def test_softmax_of_equal_logits_is_uniform(impl):\n"
        "    assert_close(impl.softmax(np.zeros(4)), np.full(4, 0.25), 'softmax(zeros(4))')\n")
    out = tmp_path / "r.json"
    result = cli("check", "--exercise", "probability", "--impl", "solutions", "--extra-checks", tmp_path / "private",
                 "--json", out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert any("private" in nodeid for nodeid in check_outcomes(out))
    result = cli("check", "--exercise", "probability", "--extra-checks", tmp_path / "private", "--json", out)
    assert check_outcomes(out)[next(n for n in check_outcomes(out) if "private" in n)] == "not started"


def test_grade_writes_gradescope_json_and_html(tmp_path):
    """On fresh stubs (fast; the solutions' full marks are proven phase by phase in test_checks_verdicts)."""
    tree = tmp_path / "tree"
    stubs.generate(tree)
    result = cli("grade", "--impl", tree)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    data = json.loads((BUILD / "grade" / "results.json").read_text())
    assert data["score"] == 0 and data["max_score"] == sum(e.points for e in catalog.load().exercises)
    assert {"name", "score", "max_score", "status", "output"} <= set(data["tests"][0])
    assert all(t["score"] == 0 and t["extra_data"]["status"] in ("not started", "failing") for t in data["tests"])
    assert (BUILD / "grade" / "report.html").read_text().startswith("<!doctype html>")
    assert "total" in result.stdout


def test_hint_levels():
    one = cli("hint", "probability")
    four = cli("hint", "probability", "--level", "4")
    assert one.returncode == four.returncode == 0
    assert "1. idea" in one.stdout and "2. equation" not in one.stdout and "level=2" in one.stdout
    assert "4. near-code" in four.stdout


def test_compare_on_solutions_and_stubs(tmp_path):
    same = cli("compare", "probability", "--impl", "solutions")
    assert same.returncode == 0 and "matches" in same.stdout
    tree = tmp_path / "tree"
    stubs.generate(tree)
    fresh = cli("compare", "probability", "--impl", tree)
    assert fresh.returncode == 1 and "not started" in fresh.stdout


def test_compare_names_the_first_divergence(tmp_path):
    tree = copy_solutions(tmp_path / "tree")
    target = tree / "phase00_math" / "probability.py"
    target.write_text(target.read_text().replace("return e / np.sum(e, axis=axis, keepdims=True)",
                                                 "return e / np.sum(e, axis=0, keepdims=True)"))
    result = cli("compare", "probability", "--impl", tree, "--seed", "3")
    assert result.returncode == 1 and "first divergence at" in result.stdout


def test_doctor_and_list():
    doctor = cli("doctor")
    assert doctor.returncode == 0 and "numpy" in doctor.stdout and "tokenizer" in doctor.stdout
    listing = cli("list")
    assert listing.returncode == 0 and "probability" in listing.stdout


def test_phase_0_make_targets_on_a_copy(tmp_path):
    """`make check phase=0` on the committed stubs reports not started (exit 1); impl=solutions passes (exit 0)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    import subprocess

    stub_run = subprocess.run(["make", "-s", "check", "phase=0"], cwd=ROOT, capture_output=True, text=True)
    solved = subprocess.run(["make", "-s", "check", "phase=0", "impl=solutions"], cwd=ROOT, capture_output=True, text=True)
    bad = subprocess.run(["make", "-s", "check", "phase=42"], cwd=ROOT, capture_output=True, text=True)
    assert solved.returncode == 0, solved.stdout + solved.stderr
    assert bad.returncode != 0 and "valid phases" in bad.stderr
    assert stub_run.returncode != 0


def test_endless_loop_fails_its_check_instead_of_hanging(tmp_path):
    import dataclasses

    from grading import runner

    tree = copy_solutions(tmp_path / "tree")
    target = tree / "phase00_math" / "vectors.py"
    target.write_text(target.read_text().replace("    return [list(column) for column in zip(*a)]",
                                                 "    while True:\n        pass"))
    exercise = dataclasses.replace(catalog.load().exercise("vectors"), check_s=2)
    results, _, _ = runner.run([exercise], str(tree))
    messages = [c.message for c in results[0].checks if c.outcome == "failed"]
    assert any("timed out after 2 s" in m for m in messages), messages


def test_notebooks_are_valid_and_cover_every_exercise(tmp_path):
    import nbformat

    from grading import catalog, notebooks

    paths = notebooks.write_all(tmp_path)
    assert paths
    for path in paths:
        notebook = nbformat.read(str(path), as_version=4)
        nbformat.validate(notebook)
    text = "".join(p.read_text() for p in paths)
    for exercise in catalog.load().exercises:
        assert f"-m grading check --exercise {exercise.id}" in text


def test_phase_without_exercises_says_so():
    empty = [p.number for p in catalog.load().phases if not p.exercises]
    if not empty:
        pytest.skip("every phase has exercises")
    result = cli("check", "--phase", empty[0])
    assert result.returncode == 0 and "has no exercises yet" in result.stdout
