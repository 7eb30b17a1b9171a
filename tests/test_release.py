"""`python -m grading release OUT`: a learner's copy without solutions/, whose checks run on the reference's
recorded answers, and whose full grade runs on the teacher's copy."""
import json
import shutil

import numpy as np
import pytest

from grading import ROOT, catalog, release, replay, stubs
from tests.support import check_outcomes, cli, copy_solutions


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "class"
    done = cli("release", out, "--phase", "0,4")
    assert done.returncode == 0, done.stderr
    return out


def solution_only_line() -> str:
    """A line of solutions/phase00_math/probability.py that no file a learner sees holds."""
    source = (ROOT / "solutions/phase00_math/probability.py").read_text().splitlines()
    return next(line.strip() for line in source if line.strip() in release.solution_only_lines())


def test_holds_no_solution(made):
    assert not (made / "solutions").exists() and not (made / "tests").exists()
    assert not [p for p in made.rglob("*") if p.suffix == ".pyc" or p.name == "__pycache__"]
    line = solution_only_line()
    assert not [p for p in made.rglob("*") if p.is_file() and line in release._text(p)]
    assert release.leaks(made) == []
    assert stubs.differences(made / "exercises") == []          # exercises/ are the generated stubs
    assert json.loads((made / "checks/release.json").read_text())["phases"] == [0, 4]
    assert {p.parent.name for p in (made / "checks").rglob("test_*.py")} == {"phase00_math", "phase04_attention"}


def test_a_release_of_every_phase_records(tmp_path):
    """Recording runs every check on solutions/ through the recording stand-ins: a check those disturb (one that
    counts the host reads of a loop running the reference's parts did) stops a whole class's release."""
    done = cli("release", tmp_path / "all")
    assert done.returncode == 0, done.stderr
    every = [p.number for p in catalog.load().phases if p.exercises]
    assert json.loads((tmp_path / "all/checks/release.json").read_text())["phases"] == every


def test_a_planted_solution_file_is_a_leak(made, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(made, copy)
    shutil.copy(ROOT / "solutions/phase00_math/probability.py", copy / "notes/probability.py")
    assert any(found.startswith("notes/probability.py:") for found in release.leaks(copy))


def test_solutions_pass_locally(made, tmp_path):
    learner = copy_solutions(tmp_path / "mine")
    for phase in ("0", "4"):
        done = cli("check", "--phase", phase, "--impl", learner, "--json", tmp_path / "r.json", cwd=made)
        assert done.returncode == 0, done.stdout + done.stderr
        outcomes = check_outcomes(tmp_path / "r.json")
        assert outcomes and set(outcomes.values()) == {"passed"}
        assert "seed 20160105" in done.stdout and "teacher's copy" not in done.stdout


def test_stubs_and_a_planted_mistake_fail(made, tmp_path):
    done = cli("check", "--phase", "0", cwd=made)
    assert done.returncode == 1 and "0 of 7 exercises passed" in done.stdout, done.stdout + done.stderr
    learner = copy_solutions(tmp_path / "mine")
    target = learner / "phase04_attention/attention.py"
    source = target.read_text()
    assert source.count("    weights = softmax(scores, axis=-1)") == 1
    target.write_text(source.replace("    weights = softmax(scores, axis=-1)", "    weights = softmax(scores, axis=-2)"))
    done = cli("check", "--exercise", "scaled_dot_product_attention", "--impl", learner, "--json",
               tmp_path / "r.json", cwd=made)
    assert done.returncode == 1 and "failed" in check_outcomes(tmp_path / "r.json").values(), done.stdout


def test_grade_compare_and_the_learners_verbs(made, tmp_path):
    done = cli("grade", cwd=made)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "teacher's copy" in done.stderr and f"--impl {made / 'exercises'}" in done.stderr
    for verb in (("stubs",), ("release", tmp_path / "again")):
        done = cli(*verb, cwd=made)
        assert done.returncode == 2 and "teacher's copy" in done.stderr, done.stderr
    learner = copy_solutions(tmp_path / "mine")
    done = cli("compare", "probability", "--impl", learner, cwd=made)
    assert done.returncode == 0 and "matches" in done.stdout, done.stdout + done.stderr
    for verb in (("hint", "probability"), ("progress",), ("next",), ("list",)):
        done = cli(*verb, cwd=made)
        assert done.returncode == 0 and done.stdout.strip(), (verb, done.stderr)


def test_reset_in_a_release_restores_the_released_stub(made, tmp_path):
    copy = tmp_path / "class"
    shutil.copytree(made, copy)
    mine = copy / "exercises/phase00_math/probability.py"
    stub = mine.read_text()
    mine.write_text(stub + "\nmy_work = 1\n")
    done = cli("reset", "probability", cwd=copy)
    assert done.returncode == 0, done.stderr
    assert mine.read_text() == stub and "saved at .backups/" in done.stdout, done.stdout
    saved = copy / done.stdout.split("saved at ")[1].strip()
    assert saved.read_text() == stub + "\nmy_work = 1\n"


def test_teacher_grades_the_release_exercises(made, tmp_path):
    copy = tmp_path / "learner"
    shutil.copytree(made / "exercises", copy)
    shutil.copytree(ROOT / "solutions/phase00_math", copy / "phase00_math", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    done = cli("grade", "--phase", "0", "--phase", "4", "--impl", copy, "--no-record", "--out", tmp_path / "r.json")
    assert done.returncode in (0, 1), done.stderr
    outcomes = check_outcomes(tmp_path / "r.json")
    zero = {c for c in outcomes if "/phase00_math/" in c}
    assert zero and all(outcomes[c] == "passed" for c in zero)
    assert not any(outcomes[c] == "passed" for c in set(outcomes) - zero)  # phase 4: stubs


def test_checks_left_to_the_teacher_are_listed_in_the_json(tmp_path):
    """Phase 6 loads NumPy weights into the reference's torch modules: those checks are deferred, and named."""
    out = tmp_path / "class6"
    assert cli("release", out, "--phase", "6").returncode == 0
    learner = copy_solutions(tmp_path / "mine")
    done = cli("check", "--exercise", "torch_transformer", "--impl", learner, "--json", tmp_path / "r.json", cwd=out)
    assert done.returncode == 0 and "on the teacher's copy" in done.stdout, done.stdout + done.stderr
    [test] = json.loads((tmp_path / "r.json").read_text())["tests"]
    deferred = test["extra_data"]["deferred"]
    assert deferred and all(d["outcome"] == "teacher" and d["id"].startswith("checks/phase06") for d in deferred)
    assert test["extra_data"]["status"] == "teacher's copy" and not test["extra_data"]["checks"]


def test_an_exercise_checked_as_far_as_a_release_can_is_done_there(capsys):
    from grading import progress, report

    exercise = catalog.load().exercise("torch_transformer")
    assert progress.Standing(exercise, "teacher's copy", 0.0, False).done
    assert not progress.Standing(exercise, "teacher's copy", 0.0, True).done
    report.next_card(progress.Standing(exercise, "teacher's copy", 0.0, True), "exercises")
    assert "file changed since: check it again" in capsys.readouterr().out


def test_snapshots_are_guarded_like_checks(made):
    """The release's own engine hashes its snapshots and release record with checks/ (grading/integrity.py)."""
    import subprocess
    import sys

    listed = subprocess.run([sys.executable, "-c", "from grading import integrity; print('\\n'.join("
                             "integrity.manifest(['phase00_math', 'phase04_attention'])))"],
                            cwd=made, capture_output=True, text=True).stdout.split()
    assert "checks/release.json" in listed and any(p.endswith("_snapshots/probability.npz") for p in listed)


def test_out_not_empty_is_one_line(tmp_path):
    (tmp_path / "kept.txt").write_text("mine")
    done = cli("release", tmp_path, "--phase", "0")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "not empty" in done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["kept.txt"]


# ---------------------------------------------------------------- record and replay, in this process

def _recorded(function, *calls):
    """A Snapshot holding `function`'s answers to each call (args, kwargs), and a replaying stand-in for it."""
    snapshot = replay.Snapshot()
    for args, kwargs in calls:
        snapshot.record("m.f", function, args, kwargs)
    misses = []

    def miss(reason):
        misses.append(reason)
        raise replay.NeedsTeacher(reason)

    return lambda *a, **k: snapshot.replay("m.f", a, k, miss), misses


def test_replay_answers_the_recorded_call_and_nothing_else(tmp_path):
    x = np.arange(6.0).reshape(2, 3)
    again, misses = _recorded(lambda a, scale=1.0: (a * scale, {"sum": float(a.sum())}), ((x,), {"scale": 2.0}))
    out, extra = again(x.copy(), scale=2.0)
    assert np.array_equal(out, x * 2) and extra == {"sum": 15.0} and not misses
    with pytest.raises(replay.NeedsTeacher):
        again(x + 1e-12, scale=2.0)                  # inputs that differ: the teacher's copy grades it
    assert "differ from the release's recording" in misses[-1]


def test_replay_restores_what_the_call_changed():
    def draw(values, rng):
        values[0] = rng.normal()
        return rng.integers(10)

    values, rng = np.zeros(3), np.random.default_rng(5)
    again, _ = _recorded(draw, ((values.copy(), np.random.default_rng(5)), {}))
    expected_values, expected_rng = np.zeros(3), np.random.default_rng(5)
    expected = draw(expected_values, expected_rng)
    assert again(values, rng) == expected and np.array_equal(values, expected_values)
    assert rng.normal() == expected_rng.normal()     # the generator moved on as the real call moved it


def test_replay_calls_the_checks_function_and_compares_bit_for_bit():
    def numerical(f, x, eps=1e-6):
        return np.array([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(len(x))])

    def power(n):
        return lambda z: float(np.sum(z ** n))

    x = np.array([0.5, -1.0])
    again, misses = _recorded(numerical, ((power(3), x), {}))
    assert np.array_equal(again(power(3), x), numerical(power(3), x)) and not misses
    with pytest.raises(replay.NeedsTeacher):
        again(power(2), x)                          # the same code, but its answers differ from the recording
    assert "answers differ" in misses[-1]
    with pytest.raises(replay.NeedsTeacher):
        again(lambda z: float(np.sum(z ** 3)), x)   # another function: its code differs


def test_snapshot_files_hold_no_pickles(tmp_path):
    snapshot = replay.Snapshot()
    snapshot.record("m.f", lambda a: {"w": a, "n": 3, "t": (1.5, "x")}, (np.ones(2),), {})
    snapshot.save(tmp_path / "s.npz")
    with np.load(tmp_path / "s.npz", allow_pickle=False) as stored:
        assert all(stored[name].dtype != object for name in stored.files)
    assert replay.Snapshot.load(tmp_path / "s.npz").index == json.loads(json.dumps(snapshot.index, sort_keys=True))


def test_learner_code_may_not_read_the_snapshots(made, tmp_path):
    learner = copy_solutions(tmp_path / "mine")
    target = learner / "phase00_math/probability.py"
    snapshot = made / "checks/phase00_math/_snapshots/probability.npz"
    target.write_text(target.read_text() + f"\nopen({str(snapshot)!r}, 'rb').read()\n")
    done = cli("check", "--exercise", "probability", "--impl", learner, cwd=made)
    assert done.returncode == 1 and "may not read the reference" in done.stdout, done.stdout
