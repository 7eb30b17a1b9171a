"""The checks catch plausible mistakes: each planted in a copy of the reference, each must fail a check.

Mistakes are data, one file a phase: tests/mistakes/phaseNN.toml, entries of
    [[mistake]]
    exercise = "probability"                       # catalog id
    description = "softmax without subtracting the max"
    replace = "exact text in solutions/<phase>/<module>.py (must occur once)"
    with = "the mistaken text"
"""
import json
import sys
from pathlib import Path

import pytest

from grading import ROOT, catalog, runner
from tests.support import copy_solutions

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
    # In this process (the tree gets its own package name, so nothing is shared with other runs):
    # importing torch and transformers once instead of once per mistake saves most of the time.
    results, seed, _ = runner.run([exercise], str(tree))
    outcomes = {c.nodeid: (c.outcome, c.message) for c in results[0].checks}
    assert outcomes, "no checks ran"
    assert any(o == "failed" for o, _ in outcomes.values()), f"planted mistake was not caught (seed {seed}): {outcomes}"


@pytest.mark.parametrize("exercise_id", sorted({m.values[0]["exercise"] for m in mistakes()}))
def test_control_unmodified_reference_passes_in_this_process(exercise_id, tmp_path):
    """The control for the mistakes above: the same in-process harness on an untouched copy passes, so a
    caught mistake is caught because of the mistake, not because of the harness."""
    tree = copy_solutions(tmp_path / "tree")
    results, seed, _ = runner.run([catalog.load().exercise(exercise_id)], str(tree))
    failures = {c.nodeid: c.message for c in results[0].checks if c.outcome != "passed"}
    assert results[0].checks and not failures, f"seed {seed}: {failures}"


def test_the_seed_sweep_names_a_mistake_no_seed_catches(tmp_path, monkeypatch, capsys):
    """tests/seed_sweep.py on a "mistake" that changes nothing but a comment: missed under every seed, exit 1."""
    from tests import seed_sweep

    first = (ROOT / "solutions/phase00_math/vectors.py").read_text().splitlines()[0]
    harmless = {"exercise": "vectors", "description": "a comment added", "replace": first, "with": f"# x\n{first}"}
    monkeypatch.setattr(seed_sweep, "mistakes", lambda: [pytest.param(harmless)])
    assert seed_sweep.sweep([1, 2], None, tmp_path / "sweep.jsonl") == 1
    assert "missed under seeds [1, 2]: vectors: a comment added" in capsys.readouterr().out
    lines = [json.loads(line) for line in (tmp_path / "sweep.jsonl").read_text().splitlines()]
    assert lines == [{"mistake": "a comment added", "exercise": "vectors", "missed": [1, 2]},
                     {"control": "vectors", "failing": {}}]
