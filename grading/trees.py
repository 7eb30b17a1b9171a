"""One loader for either tree: exercises/, solutions/, or any folder shaped like them."""
from __future__ import annotations

import hashlib
import importlib
import sys
import traceback
import types
from pathlib import Path

from grading import ROOT, UsageError

NAMED_TREES = {"exercises": ROOT / "exercises", "solutions": ROOT / "solutions"}


def resolve(impl: str) -> Path:
    """'exercises' | 'solutions' | PATH -> the tree's folder, or a UsageError saying what is valid."""
    path = NAMED_TREES.get(impl) or Path(impl).expanduser()
    if not path.exists():
        raise UsageError(f"impl path {impl!r} does not exist; use exercises, solutions, or a folder shaped like exercises/")
    if not path.is_dir() or not any(p.is_dir() and p.name.startswith("phase") for p in path.iterdir()):
        raise UsageError(f"impl path {impl!r} is not a tree: it has no phaseNN_* folders like exercises/ has")
    return path.resolve()


def package_name(path: Path) -> str:
    for name, named in NAMED_TREES.items():
        if path == named.resolve():
            return name
    return "tree_" + hashlib.sha1(str(path).encode()).hexdigest()[:10]


def load_module(tree: Path, dotted: str) -> types.ModuleType:
    """Import `dotted` (e.g. 'phase00_math.probability') from `tree`, keeping relative imports inside it."""
    name = package_name(tree)
    if name not in sys.modules:
        if name in NAMED_TREES:
            if str(ROOT) not in sys.path:
                sys.path.insert(0, str(ROOT))
            importlib.import_module(name)
        else:
            package = types.ModuleType(name)
            package.__path__ = [str(tree)]
            package.__file__ = str(tree / "__init__.py")
            sys.modules[name] = package
    return importlib.import_module(f"{name}.{dotted}")


class ImportFailure(Exception):
    """The module under test could not be imported (a learner's syntax error, say)."""


def _where_it_failed(err: BaseException, tree: Path) -> str:
    """The file (and line) inside the tree that raised: the learner's phase 0, not the phase 4 that imported it."""
    if isinstance(err, SyntaxError) and err.filename and tree in Path(err.filename).resolve().parents:
        return f"{Path(err.filename).resolve().relative_to(tree.parent)} line {err.lineno}"
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        path = Path(frame.filename)
        if tree in path.parents:
            return f"{path.relative_to(tree.parent)} line {frame.lineno}"
    return ""


class Tree:
    """A tree of exercises (the learner's, the reference, or a teacher's copy) that modules load from."""

    def __init__(self, impl: str):
        self.path = resolve(impl)
        self.label = impl

    def load(self, dotted: str) -> types.ModuleType:
        """Import once; a module that failed fails again at once with the same cause (a slow import that then
        raises costs its time once, not once per check)."""
        key = (self.path, dotted)
        if key in _FAILED:
            raise _FAILED[key]
        try:
            return load_module(self.path, dotted)
        except BaseException as err:  # noqa: BLE001 - a learner's module can raise anything, SystemExit included
            if isinstance(err, KeyboardInterrupt) and not _IN_CHILD:
                raise
            failure = ImportFailure(self._describe(err, dotted))
            _FAILED[key] = failure
            raise failure from None

    def _describe(self, err: BaseException, dotted: str) -> str:
        name = f"{self.label}/{dotted.replace('.', '/')}.py"
        if isinstance(err, ModuleNotFoundError) and err.name and err.name.split(".")[-1] == dotted.split(".")[-1]:
            return f"{name} does not exist"
        where = _where_it_failed(err, self.path)
        if isinstance(err, SyntaxError):
            return f"{where or name}: SyntaxError: {err.msg}"
        if "Timeout" in str(err)[:40]:
            return f"importing {name} did not finish within the check's time limit" + (f" (at {where})" if where else "")
        cause = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        if isinstance(err, SystemExit):
            cause = f"SystemExit({err.code!r}): the module calls sys.exit() or exit() when imported"
        return f"importing {name} raised {cause}" + (f" (at {where})" if where else "")


_FAILED: dict[tuple[Path, str], ImportFailure] = {}
_IN_CHILD = False  # set by the sandbox: there a KeyboardInterrupt can only come from the learner's code
