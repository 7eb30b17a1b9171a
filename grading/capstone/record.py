"""Run folders and the engine's sealed run record.

build/capstone/<run id>/ holds what the trainer writes (ckpt.pt, log.jsonl) and what the engine writes:
config.json (the TrainConfig the trainer got), run.json (the record: tier, device, nonce, engine-measured
times, sha256 of the graded checkpoint and of the log), engine.jsonl (what the engine saw and when), and
after grading grade.json and grade.png. build/capstone/latest points at the newest run.

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
RECORD = "run.json"


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


def find_run(run: str | None) -> Path:
    """A run's folder from its id (or a path to it); the latest run when None."""
    if run is None:
        if LATEST.is_symlink():
            run = os.readlink(LATEST)
        elif LATEST.is_file():
            run = LATEST.read_text().strip()
        else:
            raise UsageError(f"no capstone run yet under {RUNS}; start one with: make capstone tier=smoke")
    folder = RUNS / run if not Path(run).is_dir() else Path(run)
    if not (folder / RECORD).is_file():
        known = sorted(p.name for p in RUNS.glob("*") if (p / RECORD).is_file()) if RUNS.is_dir() else []
        hint = f"runs here: {', '.join(known[-5:])}" if known else "no runs yet: make capstone tier=smoke"
        raise UsageError(f"no capstone run {run!r} (no {RECORD} under {folder}); {hint}")
    return folder


def sha256_file(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _key() -> bytes:
    """The engine's sealing key, made once per clone (0600) and kept outside every run folder."""
    RUNS.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(KEY_FILE.read_text().strip())
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(KEY_FILE.read_text().strip())


def _canonical(record: dict) -> bytes:
    return json.dumps({k: v for k, v in record.items() if k != "hmac"}, sort_keys=True).encode()


def seal(record: dict) -> dict:
    return {**record, "hmac": hmac.new(_key(), _canonical(record), hashlib.sha256).hexdigest()}


def seal_ok(record: dict) -> bool:
    expected = hmac.new(_key(), _canonical(record), hashlib.sha256).hexdigest()
    return hmac.compare_digest(str(record.get("hmac", "")), expected)


def write_json(path: Path, data: dict) -> None:
    """Atomically: a temp file in the same folder, then os.replace."""
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def write_record(folder: Path, record: dict) -> dict:
    sealed = seal(record)
    write_json(folder / RECORD, sealed)
    return sealed


def read_record(folder: Path) -> dict:
    try:
        return json.loads((folder / RECORD).read_text())
    except json.JSONDecodeError as err:
        raise UsageError(f"{folder / RECORD} is not valid JSON ({err.msg}, line {err.lineno}): was it edited?") from None


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
