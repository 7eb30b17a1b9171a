"""The catalog, solutions, exercises, checks, notes and papers agree; malformed entries are named."""
import ast
import re
import sys

import pytest

from grading import ROOT, UsageError, catalog, stubs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CAT = catalog.load()
PAPERS = tomllib.loads((ROOT / "papers" / "papers.toml").read_text())


def anchors(markdown: str) -> set[str]:
    """GitHub-style anchors of the headings in a markdown text."""
    result = set()
    for line in markdown.splitlines():
        if line.startswith("#"):
            text = line.lstrip("#").strip().lower()
            result.add(re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text)))
    return result


@pytest.mark.parametrize("exercise", CAT.exercises, ids=lambda e: e.id)
def test_exercise_is_complete(exercise):
    solution = ROOT / "solutions" / exercise.relpath
    assert solution.exists(), f"missing solutions/{exercise.relpath}"
    assert stubs.BEGIN in solution.read_text(), f"solutions/{exercise.relpath} has no solution block"
    assert (ROOT / "exercises" / exercise.relpath).exists(), f"missing exercises/{exercise.relpath}"
    assert exercise.check_file.exists(), f"missing {exercise.check_file.relative_to(ROOT)}"
    notes = ROOT / "notes" / f"{exercise.phase_dir}.md"
    assert notes.exists(), f"missing notes/{notes.name}"
    assert exercise.notes in anchors(notes.read_text()), f"notes/{notes.name} has no heading #{exercise.notes}"
    for key in exercise.papers:
        assert key in PAPERS, f"{exercise.id} cites {key!r}, which papers/papers.toml lacks"


def test_every_marked_module_and_check_file_belongs_to_an_exercise():
    for path in stubs.solution_files():
        rel = path.relative_to(stubs.SOLUTIONS)
        if stubs.BEGIN in path.read_text():
            assert CAT.exercise_for_module(rel.parts[0], path.stem), f"solutions/{rel} is in no catalog entry"
    for path in (ROOT / "checks").rglob("test_*.py"):
        catalog.exercise_for_check_file(path)  # raises for a stray file


def test_papers_have_their_fields():
    for key, paper in PAPERS.items():
        for field in ("title", "authors", "year", "url", "why"):
            assert field in paper, f"papers.toml [{key}] lacks {field}"


@pytest.mark.parametrize("phase_dir", [p.dir for p in CAT.phases if p.number <= 5])
def test_no_torch_in_numpy_phases(phase_dir):
    for tree in ("solutions", "exercises"):
        for path in (ROOT / tree / phase_dir).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, (ast.Import, ast.ImportFrom)) else []
                module = node.module if isinstance(node, ast.ImportFrom) else ""
                assert not any(n.split(".")[0] == "torch" for n in names + [module or ""]), \
                    f"{path.relative_to(ROOT)} imports torch; phases 0-5 are NumPy only"


BASE = {"phase": [{"number": 0, "dir": "phase00_math", "title": "Math"}],
        "exercise": [{"id": "x", "phase": 0, "module": "m", "title": "t", "points": 1, "difficulty": 1,
                      "minutes": 5, "hints": ["a", "b"], "papers": [], "notes": "n"}]}


@pytest.mark.parametrize("change, message", [
    (lambda d: d["exercise"][0].pop("points"), "exercise #1 (x) is missing field 'points'"),
    (lambda d: d["exercise"][0].update(points="ten"), "field 'points' must be int"),
    (lambda d: d["exercise"][0].update(phase=9), "unknown phase 9"),
    (lambda d: d["exercise"][0].update(hints=["only one"]), "field 'hints' must list 2 to 4"),
    (lambda d: d["exercise"][0].update(difficulty=7), "field 'difficulty' must be 1..5"),
    (lambda d: d["exercise"].append(dict(d["exercise"][0])), "duplicate id 'x'"),
    (lambda d: d["phase"][0].pop("dir"), "phase entry #1 is missing field 'dir'"),
    (lambda d: d["exercise"][0].update(function_hints="x"), "field 'function_hints' must be dict"),
    (lambda d: d["exercise"][0].update(function_hints={"f": " "}), "field 'function_hints' must map function names"),
])
def test_malformed_entries_are_named(change, message):
    import copy

    data = copy.deepcopy(BASE)
    change(data)
    with pytest.raises(UsageError, match=re.escape(message)):
        catalog.parse(data)


def test_valid_entry_parses():
    assert catalog.parse(BASE).exercise("x").dotted == "phase00_math.m"


def test_rendered_pages_are_up_to_date():
    from grading import docs

    assert docs.render(check=True) == [], "run: python -m grading docs"


def test_function_hints_name_functions_of_their_exercise():
    catalog.check_function_hints(CAT)
    for exercise in CAT.exercises:
        for function, hint in exercise.function_hints:
            assert function in catalog.functions_of(exercise), f"{exercise.id}: function_hints key {function!r}"
            assert exercise.hint_for(function) == (function, hint)


def test_every_stubbed_function_of_a_multi_function_exercise_has_its_own_hint():
    """The hint under a failing check is the failing function's: a hint stage or a function_hints entry names it."""
    unhinted = [f"{e.id}.{f}" for e in CAT.exercises if len(catalog.functions_of(e)) >= 2
                for f in stubs.stubbed_functions(e) if e.hint_for(f)[0] != f]
    assert not unhinted, f"{len(unhinted)} stubbed functions no hint names (add function_hints): {', '.join(unhinted)}"


def test_a_function_hint_for_no_such_function_is_a_one_line_catalog_error(tmp_path):
    exercise = next(e for e in CAT.exercises if not e.function_hints and catalog.functions_of(e))
    marker = f'id = "{exercise.id}"\n'
    text = (ROOT / "grading" / "catalog.toml").read_text()
    assert text.count(marker) == 1
    bad = tmp_path / "catalog.toml"
    bad.write_text(text.replace(marker, marker + 'function_hints = { no_such_function = "a typo" }\n'))
    with pytest.raises(catalog.CatalogError) as raised:
        catalog.check_function_hints(catalog.load(bad))
    message = str(raised.value)
    assert "\n" not in message and "'no_such_function'" in message and exercise.relpath in message, message
    assert f"its functions: {catalog.functions_of(exercise)[0]}" in message, message
