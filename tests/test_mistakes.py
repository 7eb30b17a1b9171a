"""The checks catch plausible mistakes: each planted in a copy of the reference, each must fail a check.

Mistakes are data, one file a phase: tests/mistakes/phaseNN.toml, entries of
    [[mistake]]
    exercise = "probability"                       # catalog id
    description = "softmax without subtracting the max"
    replace = "exact text in solutions/<phase>/<module>.py (must occur once)"
    with = "the mistaken text"
"""
import sys
from pathlib import Path

import pytest

from grading import ROOT, catalog
from tests.support import check_outcomes, cli, copy_solutions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def mistakes():
    for path in sorted((Path(__file__).parent / "mistakes").glob("*.toml")):
        for entry in tomllib.loads(path.read_text())["mistake"]:
            yield pytest.param(entry, id=f"{entry['exercise']}: {entry['description']}")


@pytest.mark.parametrize("mistake", list(mistakes()))
def test_mistake_is_caught(mistake, tmp_path):
    exercise = catalog.load().exercise(mistake["exercise"])
    tree = copy_solutions(tmp_path / "tree")
    target = tree / exercise.relpath
    source = target.read_text()
    assert source.count(mistake["replace"]) == 1, f"'replace' text must occur once in solutions/{exercise.relpath}"
    target.write_text(source.replace(mistake["replace"], mistake["with"]))
    out = tmp_path / "results.json"
    result = cli("check", "--exercise", exercise.id, "--impl", tree, "--json", out)
    assert result.returncode == 1, f"planted mistake was not caught:\n{result.stdout}\n{result.stderr}"
    outcomes = check_outcomes(out)
    assert any(o == "failed" for o in outcomes.values()), outcomes
