"""Every CLI verb: usage errors are one line and exit 2; reports say passed / failing / not started."""
import json
import shutil

import pytest

from grading import ROOT, catalog, stubs
from tests.support import check_outcomes, cli, copy_solutions


@pytest.mark.parametrize("args, words", [
    (["check", "--phase", "42"], "valid phases: 0, 1"),
    (["check", "--phase", "zero"], "valid phases"),
    (["check"], "say which phase"),
    (["check", "--exercise", "nope"], "python -m grading list` shows all"),
    (["check", "--exercise", "attention"], "did you mean"),
    (["check", "--phase", "0", "--notebook", "/no/such.ipynb"], "cannot be read"),
    (["grade", "--", "-x"], "only `check` takes them"),
    (["grade", "--visibility", "sometimes"], "invalid choice"),
    (["grade", "--phase", "42"], "valid phases"),
    (["grade-all", "/no/such/folder"], "not a folder of learners' copies"),
    (["gradescope", "/dev/null"], "is not a folder"),
    (["watch", "--phase", "42"], "valid phases"),
    (["next", "--impl", "/no/such/folder"], "does not exist"),
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
    assert "failing" in result.stdout and "likely mistake" in result.stdout and "seed=7" in result.stdout
    # the hint is cross_entropy's (the failing function's), not the exercise's first, which is softmax's
    hints = catalog.load().exercise("probability").hints
    hint_line = next(line for line in result.stdout.splitlines() if "hint" in line and "(more:" in line)
    assert "hint (cross_entropy):" in hint_line and hints[0] not in hint_line and "cross-entropy" in hint_line


def test_a_failing_function_gets_its_own_function_hint(tmp_path):
    """entropy with its sign flipped: the hint is entropy's function_hints entry, not the exercise's hint 1."""
    tree = copy_solutions(tmp_path / "tree")
    target = tree / "phase00_math" / "probability.py"
    source = target.read_text()
    planted = source.replace("return float(-np.sum(p[nonzero]", "return float(np.sum(p[nonzero]")
    assert planted != source
    target.write_text(planted)
    result = cli("check", "--exercise", "probability", "--impl", tree)
    assert result.returncode == 1
    exercise = catalog.load().exercise("probability")
    own = dict(exercise.function_hints)["entropy"]
    assert f"hint (entropy): {own}" in result.stdout, result.stdout


def test_a_check_that_names_no_function_gets_the_hint_of_the_one_it_called(tmp_path):
    """bigram_nll summed instead of averaged fails "nll matches reference and beats uniform", whose name names
    no function of bigram; the check called only bigram_nll of the learner's, so the hint is bigram_nll's."""
    tree = copy_solutions(tmp_path / "tree")
    target = tree / "phase00_math" / "bigram.py"
    source = target.read_text()
    planted = source.replace("return float(-np.mean(np.log(probs[current, following])))",
                             "return float(-np.sum(np.log(probs[current, following])))")
    assert planted != source
    target.write_text(planted)
    exercise = catalog.load().exercise("bigram")
    assert exercise.function_checked_by("nll matches reference and beats uniform") is None
    result = cli("check", "--exercise", "bigram", "--impl", tree)
    assert result.returncode == 1 and "nll matches reference" in result.stdout, result.stdout
    assert f"hint (bigram_nll): {exercise.hint_for('bigram_nll')[1]}" in result.stdout, result.stdout


def test_hint_for_one_function_and_a_misspelt_one():
    exercise = catalog.load().exercise("probability")
    result = cli("hint", "probability", "--function", "cross_entropy")
    assert result.returncode == 0
    assert result.stdout.strip() == f"probability · cross_entropy: {exercise.hint_for('cross_entropy')[1]}"
    result = cli("hint", "probability", "--function", "cross_entropi")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "did you mean cross_entropy" in result.stderr and "functions with a hint: softmax" in result.stderr
    assert "one function's hint: make hint ex=probability fn=NAME (softmax, " in cli("hint", "probability").stdout


def test_the_hint_follows_the_call_the_failure_message_shows():
    """"entropy and kl" names entropy, but a failure that shows kl_divergence's call is kl_divergence's; a message
    naming no call falls back to the name; a call of a function without a hint falls through to the next."""
    from grading.runner import CheckResult, ExerciseResult

    exercise = catalog.load().exercise("probability")
    check = "checks/phase00_math/test_probability.py::test_entropy_and_kl"

    def hint(message, called=()):
        return ExerciseResult(exercise, [CheckResult(check, "entropy and kl", "failed", message, called)]).hint

    assert hint("kl_divergence(p, q) is 0.31; expected 0.29") == exercise.hint_for("kl_divergence")
    assert hint("values differ") == exercise.hint_for("entropy")
    layers = catalog.load().exercise("transformer_layers")
    assert layers.hint_for("layer_norm")[0] is None and layers.hint_for("layer_norm_forward")[0]
    failed = CheckResult("checks/x.py::test_variance", "variance", "failed", "layer_norm(x, 1, 0) is off",
                         ("layer_norm_forward",))
    assert ExerciseResult(layers, [failed]).hint == layers.hint_for("layer_norm_forward")


def test_the_failure_shown_is_the_one_that_names_the_mistake(tmp_path):
    """A one-sided difference first fails the comparison with the reference (a small error that reads like a
    tolerance quibble); the report shows instead the check that recognises it."""
    tree = copy_solutions(tmp_path / "tree")
    target = tree / "phase00_math" / "calculus.py"
    source = target.read_text()
    planted = source.replace("x[i] = original - eps\n", "x[i] = original\n").replace("/ (2 * eps)", "/ eps")
    assert planted != source
    target.write_text(planted)
    result = cli("check", "--exercise", "numerical_gradient", "--impl", tree)
    assert result.returncode == 1
    assert "likely mistake: a one-sided difference" in result.stdout, result.stdout


def _leave_unwritten(path, function: str, exercise_id: str):
    """Put back the stub of one function in a copy of the reference, as a learner part-way through has it."""
    source = path.read_text()
    start = source.index("# BEGIN SOLUTION", source.index(f"def {function}"))
    end = source.index("# END SOLUTION", start) + len("# END SOLUTION")
    path.write_text(source[:start] + f"raise NotImplementedError({stubs.not_written_message(function, exercise_id)!r})"
                    + source[end:])


def test_partly_written_exercise_is_in_progress_and_names_what_is_missing(tmp_path):
    """cross_entropy left as its stub: 'in progress', the unwritten function named, its hint shown."""
    tree = copy_solutions(tmp_path / "tree")
    _leave_unwritten(tree / "phase00_math" / "probability.py", "cross_entropy", "probability")
    result = cli("check", "--exercise", "probability", "--impl", tree)
    assert result.returncode == 1
    row = next(line for line in result.stdout.splitlines() if "probability" in line and "checks" in line)
    assert "in progress" in row, result.stdout
    assert "in progress: cross_entropy is not written yet" in result.stdout and "hint (cross_entropy):" in result.stdout


def test_waiting_on_an_earlier_exercise_is_named(tmp_path):
    """softmax (phase 0) left as its stub: phase 4's attention says it waits on it, in check and in compare."""
    tree = copy_solutions(tmp_path / "tree")
    _leave_unwritten(tree / "phase00_math" / "probability.py", "softmax", "probability")
    result = cli("check", "--exercise", "scaled_dot_product_attention", "--impl", tree)
    assert result.returncode == 1 and "in progress" in result.stdout, result.stdout
    assert "waiting on: softmax (exercise probability) is not started" in result.stdout, result.stdout
    compared = cli("compare", "scaled_dot_product_attention", "--impl", tree)
    assert "waiting on softmax (exercise probability)" in compared.stdout, compared.stdout


def test_compare_names_each_output():
    result = cli("compare", "scaled_dot_product_attention", "--impl", "solutions")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("out", "weights", "dq", "dk", "dv"):
        assert f"-> {name} " in result.stdout, result.stdout
    assert "output 0" not in result.stdout


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
    fresh = tmp_path / "stubs"
    stubs.generate(fresh)
    result = cli("check", "--exercise", "probability", "--impl", fresh, "--extra-checks", tmp_path / "private",
                 "--json", out)
    assert check_outcomes(out)[next(n for n in check_outcomes(out) if "private" in n)] == "not started"


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
    """`make check phase=0` on fresh stubs reports not started (exit 1); impl=solutions passes (exit 0). Fresh
    stubs in a temporary folder: a learner's edits to exercises/ must not change this test's verdict."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    import subprocess

    tree = tmp_path / "tree"
    stubs.generate(tree)
    stub_run = subprocess.run(["make", "-s", "check", "phase=0", f"impl={tree}"], cwd=ROOT, capture_output=True,
                              text=True)
    solved = subprocess.run(["make", "-s", "check", "phase=0", "impl=solutions"], cwd=ROOT, capture_output=True, text=True)
    bad = subprocess.run(["make", "-s", "check", "phase=42"], cwd=ROOT, capture_output=True, text=True)
    assert solved.returncode == 0, solved.stdout + solved.stderr
    assert bad.returncode == 2 and "valid phases" in bad.stderr  # make's own status for any failed recipe
    assert stub_run.returncode == 2  # the engine's 1 ("some checks fail"), as make reports it


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


def test_phase_without_exercises_says_so(monkeypatch, capsys):
    """An author's new phase, declared before its exercises: a catalog with an empty phase 11 (nothing runs)."""
    import dataclasses

    from grading import cli as grading_cli

    real = catalog.load()
    added = catalog.Phase(11, "phase11_next", "Next", ())
    monkeypatch.setattr(catalog, "load", lambda *a: dataclasses.replace(real, phases=(*real.phases, added)))
    args = grading_cli.parse(["check", "--phase", "11"])   # main() would also install its signal handlers here
    assert args.run(args) == 0
    assert "has no exercises yet" in capsys.readouterr().out


def test_unknown_ids_suggest_the_closest():
    result = cli("hint", "attention_score")
    assert result.returncode == 2 and "did you mean attention_scores" in result.stderr
    assert cli("hint", "softmax").stderr.count("probability") == 1  # found by the exercise's title


def test_version_help_and_a_closed_pipe():
    import subprocess
    import sys

    version = cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("transformers-from-scratch ")
    top = cli("--help").stdout
    assert all(verb in top for verb in ("check", "grade", "progress", "next", "watch", "gradescope", "grade-all"))
    assert "a phase number: 0, 1" in cli("check", "--help").stdout
    assert "after_published" in cli("grade", "--help").stdout
    reader_gone = subprocess.Popen([sys.executable, "-m", "grading", "list"], cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
    reader_gone.stdout.close()  # as `grading list | head -1` does once head has its line
    assert reader_gone.wait(timeout=60) == 141 and b"Traceback" not in reader_gone.stderr.read()


def test_json_dash_is_stdout_and_the_report_goes_to_stderr():
    result = cli("check", "--exercise", "vectors", "--impl", "solutions", "--json", "-", "--seed", "3")
    assert result.returncode == 0 and not (ROOT / "-").exists()
    data = json.loads(result.stdout)
    assert data["tests"][0]["extra_data"]["exercise"] == "vectors" and "1 of 1 exercises passed" in result.stderr


def test_arguments_after_dashes_go_to_pytest(tmp_path):
    tree = tmp_path / "tree"
    stubs.generate(tree)
    result = cli("check", "--exercise", "vectors", "--impl", tree, "--seed", "11", "--", "-x", "-p", "no:cacheprovider")
    assert result.returncode == 1 and "pytest's own run (not graded)" in result.stderr
    assert "seed 11 (rerun with --seed 11)" in result.stdout and "1 failed" in result.stdout  # -x: stopped at one


def _pytest(*args, timeout=300):
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "pytest", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))


def test_plain_pytest_keeps_a_cache_prints_the_seed_and_selects_by_marker(tmp_path):
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert ini["cache_dir"].startswith("build/") and ini["testpaths"] == ["tests"]
    tree = tmp_path / "tree"
    stubs.generate(tree)
    cache = f"cache_dir={tmp_path / 'cache'}"  # the same cache plugin, in a folder of this test's own
    first = _pytest("checks/phase00_math/test_vectors.py", "--impl", tree, "-o", cache, "--seed", "5")
    again = _pytest("checks/phase00_math/test_vectors.py", "--impl", tree, "-o", cache, "--lf")
    assert first.returncode == 1 and "workbook: impl" in first.stdout and "seed 5" in first.stdout
    assert "run-last-failure" in again.stdout, again.stdout[-2000:]
    picked = _pytest("checks/phase00_math", "--impl", "solutions", "-p", "no:cacheprovider", "--co", "-q",
                     "-m", "exercise(id='vectors')")
    ids = [line for line in picked.stdout.splitlines() if "::" in line]
    assert ids and all("test_vectors.py" in line for line in ids), picked.stdout
    phase = _pytest("checks/phase00_math", "checks/phase01_neural_networks", "--impl", "solutions", "-p",
                    "no:cacheprovider", "--co", "-q", "-m", "phase(number=1)")
    ids = [line for line in phase.stdout.splitlines() if "::" in line]
    assert phase.returncode == 0 and ids and all("phase01_neural_networks" in line for line in ids)


def test_xdist_workers_share_the_session_seed():
    from types import SimpleNamespace

    from checks import conftest

    controller = SimpleNamespace(workbook_seed=1234)
    node = SimpleNamespace(config=controller, workerinput={})
    conftest.pytest_configure_node(node)
    worker = SimpleNamespace(workerinput=node.workerinput, getoption=lambda name: None,
                             addinivalue_line=lambda name, line: None)
    conftest.pytest_configure(worker)
    assert worker.workbook_seed == 1234


def test_verbose_lists_every_failing_check(tmp_path):
    tree = copy_solutions(tmp_path / "tree")
    target = tree / "phase00_math" / "probability.py"
    target.write_text(target.read_text().replace(
        "    shifted = x - np.max(x, axis=axis, keepdims=True)  # softmax(x) = softmax(x - c): exp never overflows",
        "    shifted = x"))
    out = tmp_path / "r.json"
    quiet = cli("check", "--exercise", "probability", "--impl", tree, "--seed", "3")
    verbose = cli("check", "--exercise", "probability", "--impl", tree, "--seed", "3", "--verbose", "--json", out)
    data = json.loads(out.read_text())
    failing = [c["id"].rpartition("::")[2].removeprefix("test_").replace("_", " ")
               for t in data["tests"] for c in t["extra_data"]["checks"] if c["outcome"] == "failed"]
    assert len(failing) >= 2, failing
    assert all(f"{name}: " in verbose.stdout for name in failing), verbose.stdout
    assert sum(f"{name}: " in quiet.stdout for name in failing) == 1, quiet.stdout
