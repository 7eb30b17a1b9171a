"""One loader for either tree: exercises/, solutions/, or any folder shaped like them."""
from __future__ import annotations

import hashlib
import importlib
import sys
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


class Tree:
    """A tree of exercises (the learner's, the reference, or a teacher's copy) that modules load from."""

    def __init__(self, impl: str):
        self.path = resolve(impl)
        self.label = impl

    def load(self, dotted: str) -> types.ModuleType:
        try:
            return load_module(self.path, dotted)
        except ModuleNotFoundError as err:
            if err.name and err.name.split(".")[-1] == dotted.split(".")[-1]:
                raise ImportFailure(f"{self.label}/{dotted.replace('.', '/')}.py does not exist") from None
            raise ImportFailure(f"importing {self.label}/{dotted.replace('.', '/')}.py failed: {err}") from None
        except SyntaxError as err:
            raise ImportFailure(f"{self.label}/{dotted.replace('.', '/')}.py line {err.lineno}: SyntaxError: {err.msg}") from None
        except Exception as err:  # noqa: BLE001 - a learner's module can raise anything at import
            raise ImportFailure(f"importing {self.label}/{dotted.replace('.', '/')}.py raised {type(err).__name__}: {err}") from None
