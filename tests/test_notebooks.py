"""Notebooks: relative paths only, every exercise a cell, executed end to end with the reference filled in, and
the saved notebook's cells are what `check --notebook` grades."""
from __future__ import annotations

import json
import os

import nbformat
import pytest

from grading import BUILD, ROOT, catalog, notebooks
from tests.support import cli


@pytest.fixture
def out(tmp_path):
    """A folder inside the workbook, as build/notebooks/ is (the engine's tests write under .test-build/)."""
    import shutil

    folder = BUILD / "test-notebooks" / tmp_path.name
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_notebooks_are_valid_relative_and_cover_every_exercise(out):
    paths = notebooks.write_all(out)
    assert paths
    text = ""
    for path in paths:
        notebook = nbformat.read(str(path), as_version=4)
        nbformat.validate(notebook)
        text += path.read_text()
    assert str(ROOT) not in text  # nothing names this machine's paths
    for exercise in catalog.load().exercises:
        assert f"-m grading check --exercise {exercise.id}" in text and f"%%exercise {exercise.relpath}" in text


def test_a_saved_notebooks_cells_are_what_is_checked(tmp_path):
    phase0 = catalog.load().phase(0)
    path = tmp_path / "phase00_math.ipynb"
    nbformat.write(notebooks.phase_notebook(phase0, tmp_path), str(path))  # cells from the stubs
    stub = cli("check", "--exercise", "vectors", "--notebook", path)
    assert stub.returncode == 1 and "not started" in stub.stdout
    notebook = nbformat.read(str(path), as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("workbook", {}).get("exercise") == "vectors")
    cell.source = f"%%exercise {phase0.exercises[0].relpath}\n" + (ROOT / "solutions" / "phase00_math" / "vectors.py").read_text()
    nbformat.write(notebook, str(path))
    solved = cli("check", "--exercise", "vectors", "--notebook", path)
    assert solved.returncode == 0 and "1 of 1 exercises passed" in solved.stdout, solved.stdout + solved.stderr


def test_a_notebook_with_the_reference_filled_in_runs_end_to_end(out, tmp_path):
    pytest.importorskip("ipykernel", reason="the notebooks extra (make notebooks) is not installed")
    nbclient = pytest.importorskip("nbclient", reason="the notebooks extra (make notebooks) is not installed")
    phase = catalog.load().phase(1)  # relative imports between its files: what a notebook must get right
    out.mkdir(parents=True)
    notebook = notebooks.phase_notebook(phase, out, impl="solutions")
    client = nbclient.NotebookClient(notebook, kernel_name="python3", timeout=600,
                                     resources={"metadata": {"path": str(out)}})
    client.execute(env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    outputs = {c.metadata["workbook"]["exercise"]: c for c in notebook.cells if "workbook" in c.metadata}
    checks = [c for c in notebook.cells if c.cell_type == "code" and "-m grading check" in c.source]
    printed = ["".join(o.get("text", "") for o in c.outputs) for c in checks]
    assert len(printed) == len(phase.exercises) and all("1 of 1 exercises passed" in p for p in printed), printed
    assert all(not c.outputs or c.outputs[0].get("output_type") != "error" for c in outputs.values())
    nbformat.write(notebook, str(out / "ran.ipynb"))
    graded = cli("check", "--phase", "1", "--notebook", out / "ran.ipynb", "--json", tmp_path / "r.json")
    assert graded.returncode == 0, graded.stdout[-2000:]
    assert json.loads((tmp_path / "r.json").read_text())["score"] == sum(e.points for e in phase.exercises)
