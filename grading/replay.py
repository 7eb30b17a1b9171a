"""The reference's answers, recorded in the teacher's copy and replayed in a learner's release (which has no
solutions/).

`python -m grading release OUT` runs every check against solutions/ with the release's fixed seed, the `ref`
and `ref_tree` fixtures handing out recording stand-ins: each call of a reference function is stored under a
digest of its inputs, with what it returned, what it changed in its arguments (a generator's state, an array
updated in place), the global random states it advanced, and every call it made to a function the check
passed in (numerical_gradient(f, x) calls f). In the release the same fixtures replay: the same call with the
same inputs gets the recorded answer, once the functions it was handed have given, bit for bit, the answers
they gave when it was recorded. Anything else (inputs that depend on the learner's results, a reference class
such as GPT whose objects cannot be replayed) raises NeedsTeacher: that check is graded on the teacher's copy.

Snapshots are .npz files read with allow_pickle=False: arrays and one JSON index, never code.
"""
from __future__ import annotations

import dataclasses
import enum
import hashlib
import inspect
import json
import random
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from grading import ROOT

RELEASE_FILE = ROOT / "checks" / "release.json"
INDEX = "__index__"
LIBRARIES = ("numpy", "torch", "math", "builtins", "scipy", "functools", "operator")


def release() -> dict | None:
    """This copy's release record (seed, phases, source) when it is a learner's release, else None."""
    return json.loads(RELEASE_FILE.read_text()) if RELEASE_FILE.exists() else None


def snapshot_file(phase_dir: str, exercise_id: str, root: Path = ROOT) -> Path:
    return root / "checks" / phase_dir / "_snapshots" / f"{exercise_id}.npz"


class NeedsTeacher(pytest.skip.Exception):
    """This check needs the reference itself: it runs on the teacher's copy."""


class Unsupported(Exception):
    """A value the snapshots cannot hold or match (an object of the reference's classes, a module...)."""


def _torch():
    return sys.modules.get("torch")


def _is_tensor(value) -> bool:
    torch = _torch()
    return torch is not None and isinstance(value, torch.Tensor)


# ---------------------------------------------------------------- digests of inputs

def digest(value) -> str:
    h = hashlib.blake2b(digest_size=16)
    _feed(h, value)
    return h.hexdigest()


def _code_digest(code: types.CodeType, h):
    h.update(code.co_code)
    h.update(repr(code.co_names).encode())
    for const in code.co_consts:
        _code_digest(const, h) if isinstance(const, types.CodeType) else h.update(repr(const).encode())


def _feed(h, v):  # noqa: C901 - one case per kind of value
    torch = _torch()
    t = type(v)
    if v is None or t in (bool, int, float, complex, str, bytes):
        h.update(f"{t.__name__}:{v!r};".encode())
    elif t in (list, tuple) or (torch is not None and t is torch.Size):
        h.update(f"{t.__name__}[{len(v)}:".encode())
        for item in v:
            _feed(h, item)
        h.update(b"]")
    elif isinstance(v, dict) and t.__module__ in ("builtins", "collections"):
        h.update(f"{t.__name__}{{{len(v)}:".encode())
        for key, item in v.items():
            _feed(h, key)
            _feed(h, item)
        h.update(b"}")
    elif t in (set, frozenset):
        h.update(f"{t.__name__}:{sorted(digest(item) for item in v)};".encode())
    elif isinstance(v, np.ndarray):
        if v.dtype.hasobject:
            raise Unsupported("an array of Python objects")
        h.update(f"nd:{v.dtype.str}:{v.shape}:".encode())
        h.update(np.ascontiguousarray(v).tobytes())
    elif isinstance(v, np.generic):
        h.update(f"np:{v.dtype.str}:".encode() + v.tobytes())
    elif isinstance(v, np.dtype):
        h.update(f"dtype:{v.str};".encode())
    elif isinstance(v, np.random.Generator):
        h.update(b"generator:")
        _feed(h, v.bit_generator.state)
    elif _is_tensor(v):
        data = v.detach().cpu().contiguous()
        h.update(f"tensor:{data.dtype}:{tuple(data.shape)}:{v.requires_grad}:{type(v).__name__}:".encode())
        h.update(data.view(torch.uint8).numpy().tobytes() if data.numel() else b"")
        _feed(h, v.grad)
    elif torch is not None and isinstance(v, (torch.dtype, torch.device)):
        h.update(f"torch:{v};".encode())
    elif torch is not None and isinstance(v, torch.Generator):
        h.update(b"torch-generator:" + v.get_state().numpy().tobytes())
    elif t in (range, slice) or isinstance(v, (Path, enum.Enum)):
        h.update(f"{t.__qualname__}:{v!r};".encode())
    elif hasattr(v, "__ref_name__"):
        h.update(f"reference:{v.__ref_name__};".encode())
    elif callable(v) and _library_function(v):
        h.update(f"library:{getattr(v, '__module__', '')}.{getattr(v, '__qualname__', repr(v))};".encode())
    elif dataclasses.is_dataclass(v) and not isinstance(v, type):
        # A config (the learner's CharConfig, say): the reference reads its fields and properties, so those are
        # what a call depends on, whichever tree's class holds them.
        properties = sorted(name for name in dir(t) if isinstance(getattr(t, name, None), property))
        h.update(f"dataclass:{t.__qualname__}:".encode())
        _feed(h, [(f.name, getattr(v, f.name)) for f in dataclasses.fields(v)])
        _feed(h, [(name, getattr(v, name)) for name in properties])
    else:
        raise Unsupported(_what(v))


def _library_function(function) -> bool:
    module = getattr(function, "__module__", None) or type(function).__module__ or ""
    return module.partition(".")[0] in LIBRARIES and not inspect.ismethod(function)


def _callback(value) -> bool:
    """A function the check hands the reference (the f of numerical_gradient(f, x)): replayed by calling it."""
    return isinstance(value, types.FunctionType) and not hasattr(value, "__ref_name__") and \
        not _library_function(value)


def _what(value) -> str:
    kind = "class" if isinstance(value, type) else type(value).__name__
    name = value.__qualname__ if isinstance(value, type) else ""
    return f"{kind} {name}".strip()


def _global_states() -> dict:
    states = {"random": random.getstate(), "numpy": np.random.get_state(legacy=False)}
    if _torch() is not None:
        states["torch"] = _torch().random.get_rng_state()
    return states


def _set_global(name: str, state):
    if name == "random":
        random.setstate((state[0], tuple(state[1]), state[2]))
    elif name == "numpy":
        np.random.set_state(state)
    else:
        _torch().random.set_rng_state(state)


# ---------------------------------------------------------------- values in a snapshot: JSON nodes + arrays

class Arrays:
    """The arrays of one snapshot file, named a0, a1, ... (each stored once)."""

    def __init__(self, stored: dict | None = None):
        self.stored = dict(stored or {})
        self._by_digest = {}

    def put(self, array: np.ndarray) -> str:
        key = digest(array)
        if key not in self._by_digest:
            self._by_digest[key] = f"a{len(self.stored)}"
            self.stored[self._by_digest[key]] = np.array(array, copy=True)
        return self._by_digest[key]


NUMPY_LACKS = {"bfloat16": "int16", "float8_e4m3fn": "uint8", "float8_e5m2": "uint8"}


def encode(v, arrays: Arrays):  # noqa: C901
    torch = _torch()
    t = type(v)
    if v is None or t in (bool, int, str) or (t is float):
        return {"py": v}
    if t is complex:
        return {"complex": [v.real, v.imag]}
    if t is bytes:
        return {"bytes": v.hex()}
    if t in (list, tuple):
        return {t.__name__: [encode(item, arrays) for item in v]}
    if torch is not None and t is torch.Size:
        return {"size": list(v)}
    if t in (set, frozenset):
        return {"set": [encode(item, arrays) for item in v], "frozen": t is frozenset}
    if isinstance(v, dict) and t.__name__ in ("dict", "Counter", "OrderedDict"):
        return {"dict": [[encode(k, arrays), encode(item, arrays)] for k, item in v.items()], "type": t.__name__}
    if t is range:
        return {"range": [v.start, v.stop, v.step]}
    if isinstance(v, np.ndarray) and not v.dtype.hasobject and v.dtype.kind != "V":
        return {"array": arrays.put(v)}
    if isinstance(v, np.generic) and v.dtype.kind not in "OV":
        return {"scalar": arrays.put(np.asarray(v))}
    if isinstance(v, np.dtype):
        return {"dtype": v.str}
    if _is_tensor(v):
        if v.grad_fn is not None:
            raise Unsupported("a tensor in autograd's graph")
        data = v.detach().cpu().contiguous()
        name = str(data.dtype).removeprefix("torch.")
        if name in NUMPY_LACKS:
            data = data.view(getattr(torch, NUMPY_LACKS[name]))
        return {"tensor": arrays.put(data.numpy()), "dtype": name, "device": str(v.device),
                "requires_grad": v.requires_grad, "parameter": isinstance(v, torch.nn.Parameter),
                "grad": encode(v.grad, arrays)}
    if torch is not None and isinstance(v, torch.dtype):
        return {"torch_dtype": str(v).removeprefix("torch.")}
    raise Unsupported(_what(v))


KINDS = ("tensor", "py", "complex", "bytes", "list", "tuple", "size", "set", "dict", "range", "array", "scalar",
         "dtype", "torch_dtype")  # a node's kind is its first key among these (a tensor's node has a dtype too)


def decode(node, arrays: Arrays):  # noqa: C901
    kind = next(k for k in KINDS if k in node)
    value = node[kind]
    if kind == "py":
        return value
    if kind == "complex":
        return complex(*value)
    if kind == "bytes":
        return bytes.fromhex(value)
    if kind in ("list", "tuple"):
        items = [decode(item, arrays) for item in value]
        return items if kind == "list" else tuple(items)
    if kind == "size":
        return _torch().Size(value)
    if kind == "set":
        return (frozenset if node["frozen"] else set)(decode(item, arrays) for item in value)
    if kind == "dict":
        import collections

        made = {"dict": dict, "Counter": collections.Counter, "OrderedDict": collections.OrderedDict}[node["type"]]
        return made((decode(k, arrays), decode(item, arrays)) for k, item in value)
    if kind == "range":
        return range(*value)
    if kind == "array":
        return arrays.stored[value].copy()
    if kind == "scalar":
        return arrays.stored[value][()]
    if kind == "dtype":
        return np.dtype(value)
    if kind == "tensor":
        return _decode_tensor(node, arrays)
    if kind == "torch_dtype":
        return getattr(_torch(), value)
    raise ValueError(f"unknown snapshot node {kind!r}")


def _decode_tensor(node, arrays: Arrays):
    import torch

    data = torch.from_numpy(arrays.stored[node["tensor"]].copy())
    if node["dtype"] in NUMPY_LACKS:
        data = data.view(getattr(torch, node["dtype"]))
    if node["device"] != "cpu":
        data = data.to(node["device"])
    if node["parameter"]:
        data = torch.nn.Parameter(data, requires_grad=node["requires_grad"])
    elif node["requires_grad"]:
        data.requires_grad_(True)
    if node["grad"] != {"py": None}:
        data.grad = decode(node["grad"], arrays)
    return data


def restore_into(target, node, arrays: Arrays):
    """Give `target` (an argument the call changed) the recorded state, in place, so aliases see it too."""
    value = decode(node, arrays)
    torch = _torch()
    if isinstance(target, np.ndarray) and isinstance(value, np.ndarray) and target.shape == value.shape:
        np.copyto(target, value)
    elif _is_tensor(target) and _is_tensor(value) and target.shape == value.shape:
        with torch.no_grad():
            target.copy_(value)
        target.grad = value.grad
    elif isinstance(target, list):
        if len(target) == len(value):
            for i, item in enumerate(value):
                _restore_item(target, i, node["list"][i], arrays)
        else:
            target[:] = value
    elif isinstance(target, dict) and isinstance(value, dict):
        for k in [k for k in target if k not in value]:
            del target[k]
        for (key_node, item_node), k in zip(node["dict"], value):
            _restore_item(target, k, item_node, arrays)
    elif isinstance(target, np.random.Generator):
        target.bit_generator.state = value
    elif torch is not None and isinstance(target, torch.Generator):
        target.set_state(value)
    else:
        raise Unsupported(f"an argument changed in place ({_what(target)})")


def _restore_item(container, key, node, arrays):
    current = container[key] if (isinstance(container, list) or key in container) else None
    if isinstance(current, (np.ndarray, list, dict)) or _is_tensor(current):
        try:
            return restore_into(current, node, arrays)
        except Unsupported:
            pass
    container[key] = decode(node, arrays)


def _state_of(value, arrays: Arrays):
    """What restore_into needs: a generator's state, or the value itself."""
    torch = _torch()
    if isinstance(value, np.random.Generator):
        return encode(value.bit_generator.state, arrays)
    if torch is not None and isinstance(value, torch.Generator):
        return encode(value.get_state(), arrays)
    return encode(value, arrays)


def identical(a, b) -> bool:
    """Bit for bit (NaNs equal): a callback's answer now and when recorded."""
    try:
        return digest(a) == digest(b)
    except Unsupported:
        return False


# ---------------------------------------------------------------- one exercise's snapshot

class Snapshot:
    """The recorded calls of one exercise's checks: index {"attrs": {module: {name: kind}}, "calls": {key: [entry]}}."""

    def __init__(self, index: dict | None = None, arrays: Arrays | None = None):
        self.index = index or {"attrs": {}, "calls": {}}
        self.arrays = arrays or Arrays()

    @classmethod
    def load(cls, path: Path) -> Snapshot:
        if not path.exists():
            return cls()
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        index = json.loads(arrays.pop(INDEX).tobytes().decode("utf-8"))
        return cls(index, Arrays(arrays))

    def save(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        index = np.frombuffer(json.dumps(self.index, sort_keys=True).encode("utf-8"), dtype=np.uint8)
        np.savez_compressed(path, **self.arrays.stored, **{INDEX: index})

    @property
    def calls(self) -> int:
        return sum(len(entries) for entries in self.index["calls"].values())

    # ------------------------------------------------ keys

    @staticmethod
    def key(qualname: str, args: tuple, kwargs: dict) -> tuple[str, dict]:
        """(digest of the call, {position: callback}); a callback counts by its code, not its closure."""
        callbacks, shown = {}, {}
        for position, value in [*enumerate(args), *kwargs.items()]:
            if _callback(value):
                callbacks[str(position)] = value
                h = hashlib.blake2b(digest_size=16)
                _code_digest(value.__code__, h)
                shown[str(position)] = ("callback", value.__qualname__, h.hexdigest())
            else:
                shown[str(position)] = value
        return digest((qualname, list(shown.items()))), callbacks

    # ------------------------------------------------ recording (teacher's copy)

    def note(self, dotted: str, name: str, kind: dict):
        self.index["attrs"].setdefault(dotted, {})[name] = kind

    def record(self, qualname: str, function, args: tuple, kwargs: dict):
        try:
            key, callbacks = self.key(qualname, args, kwargs)
            before = {str(p): digest(v) for p, v in [*enumerate(args), *kwargs.items()] if str(p) not in callbacks}
        except Unsupported:
            return function(*args, **kwargs)  # the replay cannot match this call either: nothing to store
        heard = {p: [] for p in callbacks}
        args = tuple(self._listening(callbacks[str(i)], heard[str(i)]) if str(i) in callbacks else a
                     for i, a in enumerate(args))
        kwargs = {k: self._listening(callbacks[k], heard[k]) if k in callbacks else v for k, v in kwargs.items()}
        states = _global_states()
        entry = {}
        try:
            out = function(*args, **kwargs)
        except Exception as err:
            if type(err).__module__ == "builtins":
                entry["raises"] = [type(err).__name__, str(err)]
                self._store(key, entry, args, kwargs, before, states, heard)
            raise
        try:
            entry["out"] = encode(out, self.arrays)
        except Unsupported as err:
            entry = {"unsupported": f"returns a {err}"}
        self._store(key, entry, args, kwargs, before, states, heard)
        return out

    def _listening(self, function, heard: list):
        def call(*args, **kwargs):
            try:
                called = [encode(args, self.arrays), encode(kwargs, self.arrays)]
            except Unsupported as err:
                called = None
                heard.append({"unsupported": f"hands the check's function a {err}"})
            out = function(*args, **kwargs)
            if called is not None:
                try:
                    heard.append(called + [encode(out, self.arrays)])
                except Unsupported as err:
                    heard.append({"unsupported": f"gets a {err} back from the check's function"})
            return out
        return call

    def _store(self, key, entry, args, kwargs, before, states, heard):
        if "unsupported" not in entry:
            try:
                changed = {p: _state_of(v, self.arrays) for p, v in [*enumerate(args), *kwargs.items()]
                           if str(p) in before and digest(v) != before[str(p)]}
                entry["after"] = {str(p): node for p, node in changed.items()}
                now = _global_states()
                moved = [name for name in states if digest(states[name]) != digest(now[name])]
                entry["global_before"] = {name: digest(states[name]) for name in moved}
                entry["global_after"] = {name: encode(now[name], self.arrays) for name in moved}
                entry["callbacks"] = heard
                bad = next((c for calls in heard.values() for c in calls if isinstance(c, dict)), None)
                if bad:
                    entry = bad
            except Unsupported as err:
                entry = {"unsupported": f"works on a {err}"}
        entries = self.index["calls"].setdefault(key, [])
        if entry not in entries:
            entries.append(entry)

    # ------------------------------------------------ replay (learner's release)

    def replay(self, qualname: str, args: tuple, kwargs: dict, miss):
        name = qualname.rpartition(".")[2]
        try:
            key, callbacks = self.key(qualname, args, kwargs)
        except Unsupported as err:
            return miss(f"{name}() is handed a {err}, which a release cannot match with its recording")
        entries = self.index["calls"].get(key)
        if not entries:
            return miss(f"{name}() is called with inputs that differ from the release's recording "
                        f"(they depend on your code's results)")
        now = _global_states()
        entries = [e for e in entries if all(digest(now[g]) == d for g, d in e.get("global_before", {}).items())]
        answers = {p: {} for p in callbacks}
        for entry in entries:
            if "unsupported" in entry:
                return miss(f"{name}() {entry['unsupported']}, which a release cannot replay")
            if self._callbacks_agree(entry, callbacks, answers):
                return self._apply(entry, args, kwargs)
        return miss(f"{name}() calls the function the check handed it, and its answers differ from the "
                    f"recording" if callbacks else f"{name}() depends on a random state that differs from the recording")

    def _callbacks_agree(self, entry, callbacks, answers) -> bool:
        for position, calls in entry.get("callbacks", {}).items():
            for args_node, kwargs_node, out_node in calls:
                asked = digest((args_node, kwargs_node))
                if asked not in answers[position]:
                    args, kwargs = decode(args_node, self.arrays), decode(kwargs_node, self.arrays)
                    answers[position][asked] = callbacks[position](*args, **kwargs)
                if not identical(answers[position][asked], decode(out_node, self.arrays)):
                    return False
        return True

    def _apply(self, entry, args, kwargs):
        for position, node in entry.get("after", {}).items():
            restore_into(args[int(position)] if position.isdigit() else kwargs[position], node, self.arrays)
        for name, node in entry.get("global_after", {}).items():
            _set_global(name, decode(node, self.arrays))
        if "raises" in entry:
            kind, message = entry["raises"]
            raise getattr(__import__("builtins"), kind)(message)
        return decode(entry["out"], self.arrays)


# ---------------------------------------------------------------- the stand-ins the fixtures hand out

class _Standin(types.ModuleType):
    """A reference module seen through a snapshot. Setting an attribute (a check's monkeypatch) keeps it here
    and, when recording, sets the real function on the real module too."""

    def __init__(self, dotted: str, snapshot: Snapshot, module=None, miss=None):
        super().__init__(dotted)
        self.__dict__.update(_dotted=dotted, _snapshot=snapshot, _module=module, _miss=miss)

    def __setattr__(self, attr, value):
        self.__dict__[attr] = value
        if self._module is not None and not attr.startswith("__"):
            setattr(self._module, attr, getattr(value, "__ref_function__", value))

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._recorded(name) if self._module is not None else self._replayed(name)

    def _recorded(self, name):
        value = getattr(self._module, name)
        if inspect.isfunction(value):
            self._snapshot.note(self._dotted, name, {"kind": "function"})
            return _function(f"{self._dotted}.{name}", value,
                             lambda *a, **k: self._snapshot.record(f"{self._dotted}.{name}", value, a, k))
        if isinstance(value, types.ModuleType):
            self._snapshot.note(self._dotted, name, {"kind": "other", "what": "module"})
            return value
        try:
            self._snapshot.note(self._dotted, name, {"kind": "value", "value": encode(value, self._snapshot.arrays)})
        except Unsupported as err:
            self._snapshot.note(self._dotted, name, {"kind": "other", "what": str(err)})
        return value

    def _replayed(self, name):
        kind = self._snapshot.index["attrs"].get(self._dotted, {}).get(name)
        if kind is None:
            return self._miss(f"the check uses the reference's {name}, which the release did not record")
        if kind["kind"] == "function":
            qualname = f"{self._dotted}.{name}"
            return _function(qualname, None, lambda *a, **k: self._snapshot.replay(qualname, a, k, self._miss))
        if kind["kind"] == "value":
            return decode(kind["value"], self._snapshot.arrays)
        return self._miss(f"the check uses the reference's {name} (a {kind['what']}), which a release does not ship")


def _function(qualname: str, real, call):
    call.__ref_name__, call.__ref_function__ = qualname, real
    call.__name__ = call.__qualname__ = qualname.rpartition(".")[2]
    if real is not None:
        call.__doc__, call.__wrapped__ = real.__doc__, real
    return call


class RecordingTree:
    """Stands in for Tree('solutions') while a release is recorded: the real reference, every call noted."""

    def __init__(self, tree, snapshot: Snapshot):
        self.tree, self.snapshot, self.path, self.label = tree, snapshot, tree.path, "solutions"

    def load(self, dotted: str) -> _Standin:
        return _Standin(dotted, self.snapshot, module=self.tree.load(dotted))


class ReplayTree:
    """Stands in for Tree('solutions') in a release: the recorded answers; `miss(reason)` raises NeedsTeacher."""

    def __init__(self, snapshot: Snapshot, miss):
        self.snapshot, self.miss, self.path, self.label = snapshot, miss, None, "the release's snapshots"

    def load(self, dotted: str) -> _Standin:
        return _Standin(dotted, self.snapshot, miss=self.miss)  # a name it lacks misses when the check uses it
