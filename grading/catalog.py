"""Load and validate grading/catalog.toml: the one list of phases and exercises."""
from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from grading import ROOT, UsageError

CATALOG = ROOT / "grading" / "catalog.toml"
RELEASED_STUBS = ROOT / "checks" / "_stubs"   # a learner's release (no solutions/) keeps its generated stubs here
HINT_LEVELS = ("idea", "equation", "shapes", "near-code")


class CatalogError(UsageError):
    """The catalog file itself is malformed."""


@dataclass(frozen=True)
class Exercise:
    id: str
    phase: int
    module: str          # file stem inside the phase folder
    title: str
    points: int
    difficulty: int      # 1 (warm-up) .. 5 (hard)
    minutes: int
    hints: tuple[str, ...]
    papers: tuple[str, ...]
    notes: str           # anchor in the phase's notes file
    phase_dir: str
    mutates: tuple[str, ...] = ()   # functions whose contract is to update their array arguments in place
    check_s: int = 60               # wall-time limit of one check (an endless loop fails that check)
    exercise_s: int = 300           # wall-time limit of the exercise's whole child process
    memory_mb: int = 4096           # resident memory of the exercise's child process
    function_hints: tuple[tuple[str, str], ...] = ()   # (function, its own one-line hint)

    @property
    def dotted(self) -> str:
        """Module path inside a tree, e.g. 'phase00_math.probability'."""
        return f"{self.phase_dir}.{self.module}"

    @property
    def relpath(self) -> str:
        return f"{self.phase_dir}/{self.module}.py"

    @property
    def check_file(self) -> Path:
        return ROOT / "checks" / self.phase_dir / f"test_{self.id}.py"

    def function_checked_by(self, check_name: str) -> str | None:
        """The function of this exercise a check is named after: the longest name that fits
        ("log softmax matches reference" is log_softmax's, not softmax's)."""
        words = check_name.replace("_", " ")
        named = [f for f in functions_of(self) if re.search(rf"\b{re.escape(f.replace('_', ' '))}\b", words)]
        return max(named, key=len, default=None)

    def hint_for(self, function: str | None) -> tuple[str | None, str]:
        """(function, hint): the function's own hint (function_hints), else the first hint stage that names it
        (cross-entropy's for cross_entropy); (None, the first stage) when neither does."""
        own = dict(self.function_hints).get(function)
        if own:
            return function, own
        for hint in self.hints if function else ():
            if re.search(rf"(?<![\w-]){re.escape(function)}(?![\w-])", re.sub(r"(?<=[a-z])-(?=[a-z])", "_", hint)):
                return function, hint
        return None, self.hints[0]


@lru_cache(maxsize=None)
def functions_of(exercise: Exercise) -> tuple[str, ...]:
    """The functions, classes and methods (not _private helpers) an exercise's module defines, read from its
    stub (or from the solution, which has the same signatures) without importing it."""
    return _defined_in(exercise.relpath, (ROOT / "exercises", ROOT / "solutions"))


def _defined_in(relpath: str, trees: tuple[Path, ...]) -> tuple[str, ...]:
    """The public functions, classes and methods (dunders included) of the first of trees/relpath that parses;
    () if none does."""
    for tree in trees:
        try:
            module = ast.parse((tree / relpath).read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        return tuple(node.name for node in ast.walk(module)
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and (not node.name.startswith("_") or _is_dunder(node.name)))
    return ()


def _is_dunder(name: str) -> bool:
    """__init__, __call__, __add__: methods a stub may leave to write, unlike _private helpers."""
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


@dataclass(frozen=True)
class Phase:
    number: int
    dir: str
    title: str
    exercises: tuple[Exercise, ...]

    @property
    def notes_file(self) -> Path:
        return ROOT / "notes" / f"{self.dir}.md"


@dataclass(frozen=True)
class Catalog:
    phases: tuple[Phase, ...]

    def phase(self, number) -> Phase:
        for p in self.phases:
            if str(number).strip().isdigit() and int(number) == p.number:
                return p
        valid = ", ".join(str(p.number) for p in self.phases)
        raise UsageError(f"unknown phase {number!r}; valid phases: {valid}")

    @property
    def exercises(self) -> tuple[Exercise, ...]:
        return tuple(e for p in self.phases for e in p.exercises)

    def exercise(self, ex_id: str) -> Exercise:
        for e in self.exercises:
            if e.id == ex_id:
                return e
        raise UsageError(f"unknown exercise {ex_id!r}; valid exercises: {', '.join(e.id for e in self.exercises)}")

    def exercise_for_module(self, phase_dir: str, module: str) -> Exercise | None:
        for e in self.exercises:
            if e.phase_dir == phase_dir and e.module == module:
                return e
        return None


def _field(entry: dict, name: str, kind, where: str):
    if name not in entry:
        raise CatalogError(f"catalog: {where} is missing field '{name}'")
    value = entry[name]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise CatalogError(f"catalog: {where} field '{name}' must be {kind.__name__}, got {value!r}")
    return value


def _optional(entry: dict, where: str) -> dict:
    """The fields an exercise may leave out: in-place contracts and the limits its child process runs under."""
    fields = {}
    if "mutates" in entry:
        mutates = _field(entry, "mutates", list, where)
        if not all(isinstance(m, str) and m.isidentifier() for m in mutates):
            raise CatalogError(f"catalog: {where} field 'mutates' must list function names")
        fields["mutates"] = tuple(mutates)
    for name in ("check_s", "exercise_s", "memory_mb"):
        if name in entry:
            value = _field(entry, name, int, where)
            if value <= 0:
                raise CatalogError(f"catalog: {where} field {name!r} must be positive, got {value}")
            fields[name] = value
    if "function_hints" in entry:
        own = _field(entry, "function_hints", dict, where)
        if not all(isinstance(h, str) and h.strip() for h in own.values()):
            raise CatalogError(f"catalog: {where} field 'function_hints' must map function names to non-empty strings")
        fields["function_hints"] = tuple(own.items())
    return fields


def check_function_hints(cat: Catalog) -> None:
    """Each function_hints key names a function of its module (a CatalogError in one line if not). Read from the
    reference (the solution, or a release's pristine stub), not the learner's file, so that renaming a function
    of one's own breaks nothing. An author's check, run by the workbook's tests rather than at every load: it
    parses every solution file (0.1 s), which each check's child process would pay."""
    for exercise in cat.exercises:
        defined = _defined_in(exercise.relpath, (ROOT / "solutions", RELEASED_STUBS))
        unknown = [f for f, _ in exercise.function_hints if f not in defined]
        if defined and unknown:
            raise CatalogError(f"catalog: exercise {exercise.id!r} field 'function_hints' names {unknown[0]!r}, which "
                               f"is not a function of {exercise.relpath}; its functions: "
                               f"{', '.join(dict.fromkeys(defined))}")


def parse(data: dict) -> Catalog:
    phases = {}
    for i, p in enumerate(data.get("phase", [])):
        where = f"phase entry #{i + 1}"
        number = _field(p, "number", int, where)
        phases[number] = dict(dir=_field(p, "dir", str, where), title=_field(p, "title", str, where), exercises=[])
    seen = set()
    for i, e in enumerate(data.get("exercise", [])):
        where = f"exercise #{i + 1} ({e.get('id', '?')})"
        ex_id = _field(e, "id", str, where)
        if ex_id in seen:
            raise CatalogError(f"catalog: {where}: duplicate id {ex_id!r}")
        seen.add(ex_id)
        phase = _field(e, "phase", int, where)
        if phase not in phases:
            raise CatalogError(f"catalog: {where} field 'phase' names unknown phase {phase}")
        hints = _field(e, "hints", list, where)
        if not 2 <= len(hints) <= len(HINT_LEVELS) or not all(isinstance(h, str) and h.strip() for h in hints):
            raise CatalogError(f"catalog: {where} field 'hints' must list 2 to 4 non-empty strings (idea, equation, shapes, near-code)")
        difficulty = _field(e, "difficulty", int, where)
        if not 1 <= difficulty <= 5:
            raise CatalogError(f"catalog: {where} field 'difficulty' must be 1..5, got {difficulty}")
        points = _field(e, "points", int, where)
        if points <= 0:
            raise CatalogError(f"catalog: {where} field 'points' must be positive, got {points}")
        phases[phase]["exercises"].append(Exercise(
            id=ex_id, phase=phase, module=_field(e, "module", str, where), title=_field(e, "title", str, where),
            points=points, difficulty=difficulty, minutes=_field(e, "minutes", int, where), hints=tuple(hints),
            papers=tuple(_field(e, "papers", list, where)), notes=_field(e, "notes", str, where),
            phase_dir=phases[phase]["dir"], **_optional(e, where)))
    return Catalog(tuple(Phase(n, v["dir"], v["title"], tuple(v["exercises"])) for n, v in sorted(phases.items())))


@lru_cache(maxsize=None)
def load(path: Path = CATALOG) -> Catalog:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise CatalogError(f"catalog: {path} is not valid TOML: {err}") from None
    return parse(data)


def exercise_for_check_file(path: Path, cat: Catalog | None = None) -> Exercise:
    """checks/<phase>/test_<id>.py (or a teacher's test_<id>_anything.py) -> its exercise."""
    cat = cat or load()
    stem = Path(path).stem.removeprefix("test_")
    ids = sorted((e.id for e in cat.exercises), key=len, reverse=True)
    for ex_id in ids:
        if stem == ex_id or stem.startswith(ex_id + "_"):
            return cat.exercise(ex_id)
    raise UsageError(f"check file {path} names no exercise; name it test_<exercise id>[_more].py")
