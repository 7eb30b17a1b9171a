"""Every check passes on the reference solutions and fails on freshly generated stubs, phase by phase."""
import pytest

from grading import catalog, stubs
from tests.support import check_outcomes, cli

PHASES = [p.number for p in catalog.load().phases if p.exercises]


@pytest.fixture(scope="module")
def fresh_stubs(tmp_path_factory):
    """Stubs generated into a temporary folder: a learner's exercises/ never affects the verdict."""
    tree = tmp_path_factory.mktemp("stubs") / "tree"
    stubs.generate(tree)
    return tree


@pytest.mark.parametrize("phase", PHASES)
def test_all_checks_pass_on_solutions(phase, tmp_path):
    out = tmp_path / "results.json"
    result = cli("check", "--phase", phase, "--impl", "solutions", "--json", out)
    assert result.returncode == 0, result.stdout + result.stderr
    outcomes = check_outcomes(out)
    assert outcomes and all(o == "passed" for o in outcomes.values()), outcomes


@pytest.mark.parametrize("phase", PHASES)
def test_every_check_fails_on_stubs(phase, fresh_stubs, tmp_path):
    out = tmp_path / "results.json"
    result = cli("check", "--phase", phase, "--impl", fresh_stubs, "--json", out)
    assert result.returncode == 1, result.stdout + result.stderr
    outcomes = check_outcomes(out)
    passing = [nodeid for nodeid, outcome in outcomes.items() if outcome == "passed"]
    assert not passing, f"checks that pass on a stub: {passing}"
    expected = {e.id for e in catalog.load().phase(phase).exercises}
    assert "not started" in result.stdout
    assert expected, "phase has exercises"


def test_every_exercise_has_checks():
    for exercise in catalog.load().exercises:
        assert exercise.check_file.exists(), f"{exercise.id}: missing {exercise.check_file}"
