"""One Jupyter notebook per phase, built from the catalog, with each exercise's file as a cell you edit there.

Running an exercise cell (it starts with `%%exercise phaseNN_x/module.py`) writes it into the notebook's own
tree (build/notebook-trees/<notebook>/, a copy of exercises/) and imports it, so its functions are yours to try
in the next cell; the check cell below checks that tree. `make check phase=N notebook=PATH` extracts the
exercise cells of the saved notebook into the same tree and checks them. Nothing in a notebook names this
machine's paths: links are relative and the set-up cell finds the workbook from the notebook's folder.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nbformat
from nbformat import v4

from grading import BUILD, ROOT, UsageError, catalog

OUT = BUILD / "notebooks"
MAGIC = "%%exercise"
KERNEL = "transformers-from-scratch"   # `make notebooks` registers it (ipykernel) for the workbook's .venv


def _setup_cell(out: Path, stem: str) -> str:
    up = Path(os.path.relpath(ROOT, out)).as_posix()
    return ("# Set-up: run me first. Finds the workbook from this notebook's folder and registers %%exercise.\n"
            "import os, sys\n"
            "from pathlib import Path\n"
            f"root = (Path.cwd() / {up!r}).resolve()\n"
            "if not (root / 'grading' / 'catalog.toml').is_file():  # Jupyter started elsewhere: look upwards\n"
            "    root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / 'grading' / 'catalog.toml').is_file())\n"
            "os.chdir(root)\n"
            "sys.path.insert(0, str(root))\n"
            "python = sys.executable\n"
            "from grading import notebooks\n"
            f"tree = notebooks.register({stem!r})  # where your exercise cells are written and checked")


def _exercise_cell(e: catalog.Exercise, source_tree: Path) -> nbformat.NotebookNode:
    code = (source_tree / e.relpath).read_text(encoding="utf-8")
    cell = v4.new_code_cell(f"{MAGIC} {e.relpath}\n{code.rstrip()}\n")
    cell.metadata["workbook"] = {"exercise": e.id, "file": e.relpath}
    return cell


def phase_notebook(phase: catalog.Phase, out: Path = OUT, impl: str = "exercises") -> nbformat.NotebookNode:
    """The phase's notebook; its exercise cells start as `impl`'s files (your exercises/, or the reference)."""
    from grading.trees import resolve

    source_tree = resolve(impl)
    notes = Path(os.path.relpath(phase.notes_file, out)).as_posix()
    cells = [
        v4.new_markdown_cell(f"# Phase {phase.number} · {phase.title}\n\n"
                             f"Read [the notes]({notes}). Each exercise below is one file of `exercises/{phase.dir}/` "
                             "as a code cell: fill it in, run it (your functions are then defined here to try), "
                             "then run the check cell under it. `make check phase="
                             f"{phase.number} notebook=<this file>` grades the saved notebook's cells."),
        v4.new_code_cell(_setup_cell(out, phase.dir)),
    ]
    for e in phase.exercises:
        cells.append(v4.new_markdown_cell(
            f"## {e.title}\n\n`{e.relpath}` · {e.points} points · difficulty {e.difficulty}/5 · "
            f"about {e.minutes} min · notes: [{e.notes}]({notes}#{e.notes})\n\n**Idea:** {e.hints[0]}"))
        cells.append(_exercise_cell(e, source_tree))
        # Each check runs in fresh processes, so the cell's latest run is what is checked.
        cells.append(v4.new_code_cell(f'!"{{python}}" -m grading check --exercise {e.id} --impl "{{tree}}"\n'
                                      f"# more help: !\"{{python}}\" -m grading hint {e.id} --level 2"))
    notebook = v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Transformers From Scratch (.venv)",
                                       "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def write_all(out: Path = OUT, impl: str = "exercises") -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for phase in catalog.load().phases:
        if phase.exercises:
            path = out / f"{phase.dir}.ipynb"
            nbformat.write(phase_notebook(phase, out, impl), str(path))
            written.append(path)
    return written


# ---------------------------------------------------------------- the notebook's tree

def tree_for(stem: str) -> Path:
    return BUILD / "notebook-trees" / stem


def _fresh_tree(stem: str, impl: str) -> Path:
    """A copy of `impl` (your other phases, which later phases import) that the notebook's cells are written over."""
    from grading.trees import resolve

    tree = tree_for(stem)
    shutil.rmtree(tree, ignore_errors=True)  # derived: the cells live in the notebook, the rest in `impl`
    shutil.copytree(resolve(impl), tree, ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def _file_source(cell_source: str) -> str:
    first, _, rest = cell_source.partition("\n")
    return (rest if first.startswith(MAGIC) else cell_source).rstrip() + "\n"


def register(stem: str, impl: str = "exercises") -> Path:
    """In a notebook's kernel: the %%exercise cell magic (write the cell into the notebook's tree, import it,
    define its public names here). Returns the tree."""
    from IPython import get_ipython

    from grading.trees import load_module, package_name

    tree = _fresh_tree(stem, impl).resolve()
    shell = get_ipython()

    def exercise(line: str, cell: str):
        relpath = line.strip()
        if not relpath.endswith(".py") or not (tree / relpath).parent.is_dir():
            raise UsageError(f"%%exercise needs a file of the tree, like phase00_math/vectors.py; got {relpath!r}")
        (tree / relpath).write_text(cell.rstrip() + "\n", encoding="utf-8")
        dotted = f"{package_name(tree)}.{relpath[:-3].replace('/', '.')}"
        for name in [m for m in sys.modules if m == dotted or m.startswith(dotted + ".")]:
            del sys.modules[name]  # run again after an edit: import the new text
        module = load_module(tree, relpath[:-3].replace("/", "."))
        shell.user_ns.update({k: v for k, v in vars(module).items() if not k.startswith("_")})

    shell.register_magic_function(exercise, "cell", "exercise")
    return tree


def extract(path: Path, exercises, impl: str) -> Path:
    """The tree `make check notebook=PATH` checks: the notebook's tree, with each exercise cell of the saved
    notebook written over its file."""
    try:
        notebook = nbformat.read(str(path), as_version=4)
    except (OSError, ValueError) as err:
        raise UsageError(f"notebook {str(path)!r} cannot be read ({err}); make notebooks writes them") from None
    cells = {c.metadata.get("workbook", {}).get("file"): c.source for c in notebook.cells if c.cell_type == "code"}
    wanted = [e for e in exercises if e.relpath in cells]
    if not wanted:
        raise UsageError(f"notebook {str(path)!r} has no exercise cell for {', '.join(e.id for e in exercises)}")
    tree = _fresh_tree(path.stem, impl)
    for e in wanted:
        (tree / e.relpath).write_text(_file_source(cells[e.relpath]), encoding="utf-8")
    return tree
