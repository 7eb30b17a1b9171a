"""Run folders and the engine's sealed run record: the one owner of the layout, the hashes and the seal.

build/capstone/<run id>/ holds what the trainer writes (ckpt.pt, log.jsonl) and what the engine writes:
config.json (the TrainConfig the trainer got), data/ (the trainer's copy of the train and validation
splits; never the test split), run.json (the record: tier, implementation, device, nonce, budgets and
what each segment of the run spent by the engine's clocks, sha256 of the graded checkpoint, of the logs and
of the held-out tokens), engine.jsonl (what the engine saw and when, one JSON object a line), sketch.npy
(a sample of the graded weights, to spot copies), and after grading grade.json and grade.png.
build/capstone/latest points at the newest run.

run.json carries an HMAC-SHA256 over its contents under a key kept in build/capstone/.key, outside every
run folder. An edited record, log or checkpoint therefore no longer matches its seal. What this does not
stop: anyone who can read the key (the learner's own account can) can re-seal an edited record; the seal
catches hand edits, files copied between runs or clones, and a trainer that rewrites files after the fact
without going to the trouble of forging a seal.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from grading import BUILD, UsageError

RUNS = BUILD / "capstone"
KEY_FILE = RUNS / ".key"
LATEST = RUNS / "latest"
RECORD, CONFIG, ENGINE_LOG, SKETCH, GRADE, PLOT = "run.json", "config.json", "engine.jsonl", "sketch.npy", "grade.json", "grade.png"
CKPT, LOG, FROZEN, DATA = "ckpt.pt", "log.jsonl", "graded.pt", "data"    # the trainer's files, and the frozen one


# ---------------------------------------------------------------- run folders

def new_run(tier: str) -> tuple[str, str, Path]:
    """(run id, nonce, folder) for a fresh run; the nonce is 32 hex digits from `secrets`."""
    nonce = secrets.token_hex(16)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    run_id = f"{tier}-{stamp}-{nonce[:6]}"
    folder = RUNS / run_id
    folder.mkdir(parents=True)
    _point_latest(run_id)
    return run_id, nonce, folder


def _point_latest(run_id: str) -> None:
    """build/capstone/latest -> <run id>: a symlink where the system allows one, else a file naming it."""
    tmp = RUNS / f".latest.{secrets.token_hex(4)}"
    try:
        os.symlink(run_id, tmp)
    except OSError:
        tmp.write_text(run_id + "\n")
    os.replace(tmp, LATEST)


def runs() -> list[Path]:
    """Every run folder (one holding a run.json), oldest name first."""
    return sorted(p for p in RUNS.glob("*") if (p / RECORD).is_file()) if RUNS.is_dir() else []


def find_run(run: str | None) -> Path:
    """A run's folder from its id (or a path to it); the latest run when None or 'latest'."""
    if run in (None, "latest"):
        if LATEST.is_symlink():
            run = os.readlink(LATEST)
        elif LATEST.is_file():
            run = LATEST.read_text().strip()
        else:
            raise UsageError(f"no capstone run yet under {RUNS}; start one with: make capstone tier=smoke")
    folder = Path(run) if Path(run).is_dir() else RUNS / run
    if not (folder / RECORD).is_file():
        known = [p.name for p in runs()]
        hint = f"runs here: {', '.join(known[-5:])}" if known else "no runs yet: make capstone tier=smoke"
        raise UsageError(f"no capstone run {run!r} (no {RECORD} under {folder}); {hint}")
    return folder


def clean_partial_files(folder: Path) -> list[str]:
    """Remove the temporary files a killed trainer or engine leaves behind (*.tmp: a checkpoint half written)."""
    removed = []
    for path in list(folder.glob("*.tmp")) + list(folder.glob(".*.tmp")):
        path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed


# ---------------------------------------------------------------- hashes

def sha256_file(path: Path) -> str | None:
    if not Path(path).is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_sha256(tree: Path) -> str:
    """One sha256 for a tree of Python files: each file's path and contents, in path order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(tree).rglob("*.py") if "__pycache__" not in p.parts):
        digest.update(f"{path.relative_to(tree).as_posix()}\0{sha256_file(path)}\n".encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- the seal

def _key(create: bool = False) -> bytes:
    """The engine's sealing key (0600, outside every run folder). Made once, by the first run of a clone;
    a missing key once runs exist, or a damaged one, is an error: runs sealed with it cannot be checked."""
    if not KEY_FILE.exists():
        sealed = runs()
        if not create or sealed:
            why = (f"the {len(sealed)} run(s) under {RUNS} were sealed with it and cannot be checked without it"
                   if sealed else "no run has been started yet")
            raise UsageError(f"the sealing key {KEY_FILE} is missing: {why}; restore the file, or move those runs "
                             f"elsewhere to start afresh")
        RUNS.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
        except FileExistsError:
            pass
    try:
        key = bytes.fromhex(KEY_FILE.read_text().strip())
    except (ValueError, OSError, UnicodeDecodeError):
        key = b""
    if len(key) != 32:
        raise UsageError(f"the sealing key {KEY_FILE} is damaged (it must hold 64 hex digits); restore the file, or "
                         f"move the runs under {RUNS} elsewhere and delete it to start afresh")
    return key


def _canonical(record: dict) -> bytes:
    return json.dumps({k: v for k, v in record.items() if k != "hmac"}, sort_keys=True).encode()


def seal(record: dict, create_key: bool = False) -> dict:
    return {**record, "hmac": hmac.new(_key(create_key), _canonical(record), hashlib.sha256).hexdigest()}


def seal_ok(record: dict) -> bool:
    expected = hmac.new(_key(), _canonical(record), hashlib.sha256).hexdigest()
    return hmac.compare_digest(str(record.get("hmac", "")), expected)


# ---------------------------------------------------------------- files

def write_json(path: Path, data: dict) -> None:
    """Atomically: a temp file in the same folder, then os.replace."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_record(folder: Path, record: dict, create_key: bool = False) -> dict:
    sealed = seal(record, create_key)
    write_json(folder / RECORD, sealed)
    return sealed


def read_record(folder: Path) -> dict:
    """run.json as a dict, or a UsageError saying what is wrong with it (one line)."""
    path = folder / RECORD
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise UsageError(f"{path} is not valid JSON ({err.msg}, line {err.lineno}): was it edited?") from None
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"{path} cannot be read: {err}") from None
    if not isinstance(record, dict):
        raise UsageError(f"{path} holds a JSON {type(record).__name__}, not the engine's record: was it edited?")
    return record


def read_jsonl(path: Path) -> list[dict]:
    """The JSON objects of a .jsonl file, skipping lines that are not one (a log is evidence, never trusted)."""
    rows = []
    if Path(path).is_file():
        for line in Path(path).read_text(errors="replace").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict):
                rows.append(row)
    return rows


def curve(folder: Path) -> list[dict]:
    """The run's validation points as the engine saw them ({"wall_s", "cpu_s", "step", "tokens", "val_loss"}):
    after a resume, the points of steps beyond the checkpoint it resumed from are dropped (they were redone)."""
    points: list[dict] = []
    for row in read_jsonl(folder / ENGINE_LOG):
        if "resumed_from_step" in row:
            step = row["resumed_from_step"]
            points = [p for p in points if isinstance(p.get("step"), int) and p["step"] <= step]
        elif "val_loss" in row:
            points.append(row)
    return points


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def load_average() -> list[float] | None:
    """The machine's 1, 5 and 15 minute load averages: a busy machine explains a slow run."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None
