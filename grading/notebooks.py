"""One Jupyter notebook per phase, built from the catalog: read, edit the exercise file, run its checks."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import v4

from grading import BUILD, ROOT, catalog

OUT = BUILD / "notebooks"


def phase_notebook(phase: catalog.Phase) -> nbformat.NotebookNode:
    cells = [
        v4.new_markdown_cell(f"# Phase {phase.number} · {phase.title}\n\n"
                             f"Read [the notes]({ROOT / 'notes' / (phase.dir + '.md')}); for each exercise, edit "
                             f"the file under `exercises/{phase.dir}/` in your editor and run the cell below it. "
                             "The checks and the reference stay outside this notebook."),
        # Each check runs in a fresh process, so an edited exercise file is always re-imported.
        v4.new_code_cell("import os, sys\n"
                         f"os.chdir({str(ROOT)!r})\n"
                         "python = sys.executable"),
    ]
    for e in phase.exercises:
        cells.append(v4.new_markdown_cell(
            f"## {e.title}\n\n`exercises/{e.relpath}` · {e.points} points · difficulty {e.difficulty}/5 · "
            f"about {e.minutes} min · notes: [{e.notes}]({ROOT / 'notes' / (phase.dir + '.md')}#{e.notes})\n\n"
            f"**Idea:** {e.hints[0]}"))
        cells.append(v4.new_code_cell(f'!"{{python}}" -m grading check --exercise {e.id}'))
        cells.append(v4.new_code_cell(f"# more help: level 2, 3, 4; and your output next to the reference's\n"
                                      f'!"{{python}}" -m grading hint {e.id} --level 2\n'
                                      f'# !"{{python}}" -m grading compare {e.id}'))
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def write_all(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for phase in catalog.load().phases:
        if phase.exercises:
            path = out / f"{phase.dir}.ipynb"
            nbformat.write(phase_notebook(phase), str(path))
            written.append(path)
    return written


def extract(path: Path, exercises, impl: str) -> Path:
    """A tree to check: a copy of `impl` with each exercise cell of the notebook written over its file."""
    import shutil

    from grading import UsageError
    from grading.trees import resolve

    try:
        notebook = nbformat.read(str(path), as_version=4)
    except (OSError, ValueError) as err:
        raise UsageError(f"notebook {str(path)!r} cannot be read ({err}); make notebooks writes them") from None
    cells = {c.metadata.get("workbook", {}).get("file"): c.source for c in notebook.cells if c.cell_type == "code"}
    wanted = [e for e in exercises if e.relpath in cells]
    if not wanted:
        raise UsageError(f"notebook {str(path)!r} has no exercise cell for {', '.join(e.id for e in exercises)}")
    tree = BUILD / "notebook-trees" / path.stem
    shutil.rmtree(tree, ignore_errors=True)
    shutil.copytree(resolve(impl), tree, ignore=shutil.ignore_patterns("__pycache__"))
    for e in wanted:
        (tree / e.relpath).write_text(_file_source(cells[e.relpath]), encoding="utf-8")
    return tree
