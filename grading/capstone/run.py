"""`make capstone`: run the learner's trainer in a child process that the engine times and watches.

The engine prepares the data, issues a nonce, writes and seals the run record, spawns
`python -m grading.capstone child --impl TREE --config config.json`, and then, until the child exits:
- reads each new line of the trainer's log.jsonl and stamps its validation losses with the engine's own
  clock (engine.jsonl), warning once when the curve, extrapolated to the end of the run, misses the target;
- notes when each new checkpoint appears (the trainer writes ckpt.pt atomically, so a new file is a new inode);
- at the budget, freezes the checkpoint that exists then (a hard link, graded.pt): a checkpoint written
  later does not count; at the budget plus the tier's grace it kills the trainer.
Ctrl-C stops the trainer and still seals the record: the last whole checkpoint can be graded.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from grading import ROOT, UsageError
from grading import capstone_record as record_io
from grading import capstone_tiers as tiers
from grading.trees import resolve

POLL_S = 0.25
CKPT, LOG, FROZEN, ENGINE_LOG, CONFIG = "ckpt.pt", "log.jsonl", "graded.pt", "engine.jsonl", "config.json"


def say(message: str) -> None:
    print(f"[capstone] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the early warning

def forecast(points: list[tuple[float, float]], horizon: float) -> float | None:
    """Validation loss expected at time `horizon` from (time, val loss) points so far, or None when too few.

    A least-squares line through the last three points in (log time, loss): the middle of a training run
    falls roughly linearly in log time, and a line in log time flattens, so the forecast errs high (the
    learning-rate decay at the end usually buys a little more than this predicts).
    """
    pts = [(math.log(t), v) for t, v in points if t > 0 and math.isfinite(v)][-3:]
    if len(pts) < 3:
        return None
    mean_x = sum(x for x, _ in pts) / len(pts)
    mean_y = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mean_x) ** 2 for x, _ in pts)
    if sxx == 0:
        return None
    slope = min(0.0, sum((x - mean_x) * (y - mean_y) for x, y in pts) / sxx)   # a rising curve: assume flat
    last_x, last_y = pts[-1]
    return last_y + slope * (math.log(max(horizon, math.exp(last_x))) - last_x)


def horizon(elapsed: float, step: int, max_steps: int, budget: float) -> float:
    """When the run will end: at the budget, or sooner when max_steps comes first at the pace so far."""
    if step <= 0:
        return budget
    return min(budget, elapsed * max_steps / step)


class Watcher:
    """Reads the trainer's files as they grow, stamping what it sees with the engine's clock."""

    def __init__(self, folder: Path, target: float, budget: float, max_steps: int):
        self.folder, self.target, self.budget, self.max_steps = folder, target, budget, max_steps
        self.offset, self.bad_lines = 0, 0
        self.val_points: list[dict] = []
        self.checkpoints: dict[tuple, float] = {}   # file identity -> engine seconds when first seen
        self.warned = False
        self.engine_log = open(folder / ENGINE_LOG, "a")

    def _event(self, event: dict) -> None:
        self.engine_log.write(json.dumps(event) + "\n")
        self.engine_log.flush()

    def poll(self, now: float) -> None:
        self._read_log(now)
        self._see_checkpoint(now)

    def _read_log(self, now: float) -> None:
        path = self.folder / LOG
        if not path.is_file():
            return
        with open(path, "rb") as f:
            f.seek(self.offset)
            chunk = f.read()
        end = chunk.rfind(b"\n")
        if end < 0:
            return
        self.offset += end + 1
        for line in chunk[: end + 1].splitlines():
            try:
                entry = json.loads(line)
                val = float(entry["val_loss"]) if isinstance(entry, dict) and "val_loss" in entry else None
            except (ValueError, TypeError, KeyError):
                self.bad_lines += 1
                continue
            if val is not None:
                point = {"engine_s": round(now, 3), "step": entry.get("step"), "tokens": entry.get("tokens"),
                         "val_loss": val}
                self.val_points.append(point)
                self._event(point)
                self._warn_if_off_track(point)

    def _warn_if_off_track(self, point: dict) -> None:
        if self.warned or not isinstance(point["step"], int):
            return
        end = horizon(point["engine_s"], point["step"], self.max_steps, self.budget)
        expected = forecast([(p["engine_s"], p["val_loss"]) for p in self.val_points], end)
        if expected is not None and expected > self.target and point["engine_s"] > 0.25 * end:
            self.warned = True
            say(f"warning: at this pace validation loss reaches about {expected:.2f} by {end:.0f} s, above the "
                f"target {self.target:g} (step {point['step']}: {point['val_loss']:.3f} at {point['engine_s']:.0f} s)")

    @staticmethod
    def _identity(path: Path) -> tuple[int, int, int]:
        """A checkpoint file's identity: inode numbers are reused after a replace, so add mtime and size."""
        st = path.stat()
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _see_checkpoint(self, now: float) -> None:
        try:
            identity = self._identity(self.folder / CKPT)
        except FileNotFoundError:
            return
        if identity not in self.checkpoints:
            self.checkpoints[identity] = now
            self._event({"engine_s": round(now, 3), "checkpoint": list(identity)})

    def seen_at(self, path: Path, fallback: float) -> float:
        """When the engine first saw the checkpoint now at `path` (fallback: it appeared after the last poll)."""
        return self.checkpoints.get(self._identity(path), fallback)

    def close(self) -> None:
        self.engine_log.close()


# ---------------------------------------------------------------- the run

def _freeze(folder: Path) -> bool:
    """Keep the checkpoint that exists now as graded.pt: a hard link to the same inode, so the trainer's
    next atomic replace of ckpt.pt leaves it untouched. A copy where links are not supported."""
    source, frozen = folder / CKPT, folder / FROZEN
    if not source.is_file():
        return False
    try:
        os.link(source, frozen)
    except FileNotFoundError:
        return False
    except OSError:
        shutil.copy2(source, frozen)
    return True


def _stop(child: subprocess.Popen, settle_s: float = 3.0, wait_s: float = 10.0) -> None:
    """Stop the trainer after Ctrl-C: a terminal sends SIGINT to the whole process group, so give it a
    moment to stop by itself; then send SIGINT (KeyboardInterrupt in Python); then kill it."""
    for action, seconds in ((None, settle_s), (signal.SIGINT, wait_s)):
        if child.poll() is not None:
            return
        if action is not None:
            child.send_signal(action)
        try:
            child.wait(seconds)
            return
        except subprocess.TimeoutExpired:
            pass
    child.kill()


def spawn(folder: Path, impl: Path, threads: int | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "grading.capstone", "child", "--impl", str(impl), "--config", str(folder / CONFIG)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


def prepare_data(tier: tiers.Tier) -> tuple[Path, dict]:
    from data.prepare import PrepareError, load_meta, prepare

    try:
        folder = prepare(tier.data["source"], tokenizer=tier.data["tokenizer"])
        return folder, load_meta(folder)
    except PrepareError as err:
        raise UsageError(f"preparing the data for tier {tier.name!r} failed: {err}") from None


def start(tier_name: str, impl: str = "exercises", device: str | None = None, max_steps: int | None = None) -> int:
    """Run one capstone attempt; 0 when the trainer finished (grade it next), 1 when it failed."""
    tier = tiers.get(tier_name)
    if max_steps is not None and max_steps < 1:
        raise UsageError(f"--max-steps must be a positive number of steps, got {max_steps}")
    impl_path = resolve(impl)
    device = tiers.resolve_device(device)
    budget = tier.budget(device)
    data_dir, meta = prepare_data(tier)
    run_id, nonce, folder = record_io.new_run(tier.name)
    config = tiers.train_config(tier, device, data_dir=data_dir, out_dir=folder, nonce=nonce,
                                vocab_size=int(meta["vocab_size"]), max_steps=max_steps, progress=sys.stderr.isatty())
    record_io.write_json(folder / CONFIG, config)
    import platform

    import torch

    record = {
        "run_id": run_id, "tier": tier.name, "tier_fingerprint": tier.fingerprint(), "impl": str(impl_path),
        "device": device, "hardware": tiers.device_name(device, budget.threads), "nonce": nonce, "started_utc": record_io.now_utc(),
        "budget_s": budget.seconds, "grace_s": tier.grace_s, "target": budget.target, "points": tier.points,
        "config": config, "model_config": tiers.model_config(tier, int(meta["vocab_size"])),
        "max_steps_override": max_steps, "threads": budget.threads,
        "data": {"dir": str(data_dir), "val": [s["sha256"] for s in meta["splits"]["val"]["shards"]]},
        "versions": {"python": platform.python_version(), "torch": torch.__version__},
        "status": "running", "load_average_start": _load(),
    }
    record = record_io.write_record(folder, record)
    say(f"run {run_id}: tier {tier.name} ({tier.title}) on {device} ({record['hardware']})")
    say(f"target: validation loss {budget.target:g} within {_clock(budget.seconds)}; "
        f"trainer: {impl_path}; folder: {folder}")

    watcher = Watcher(folder, budget.target, budget.seconds, int(config["max_steps"]))
    status, frozen_at = "finished", None
    t0 = time.monotonic()
    child = spawn(folder, impl_path, budget.threads)
    try:
        while child.poll() is None:
            now = time.monotonic() - t0
            # Poll at the budget exactly, so the last checkpoint before it is seen before it is frozen.
            time.sleep(max(0.01, min(POLL_S, budget.seconds - now)) if now < budget.seconds else POLL_S)
            now = time.monotonic() - t0
            watcher.poll(now)
            if frozen_at is None and now >= budget.seconds:
                frozen_at = now if _freeze(folder) else -1.0
                status = "over budget"
                say(f"budget of {_clock(budget.seconds)} reached: the checkpoint that exists now is the one graded; "
                    f"the trainer has {tier.grace_s:g} s to stop")
            if now >= budget.seconds + tier.grace_s and status != "killed at budget":
                say("grace period over: killing the trainer")
                child.kill()
                status = "killed at budget"
    except KeyboardInterrupt:
        status = "interrupted"
        say("interrupted: stopping the trainer (its last checkpoint stays whole)")
        try:
            _stop(child)
        except KeyboardInterrupt:
            child.kill()
    child.wait()
    wall = time.monotonic() - t0
    watcher.poll(wall)
    watcher.close()

    if frozen_at is not None and frozen_at >= 0:
        graded, seen = folder / FROZEN, watcher.seen_at(folder / FROZEN, frozen_at)
    elif (folder / CKPT).is_file():
        graded, seen = folder / CKPT, watcher.seen_at(folder / CKPT, wall)
    else:
        graded, seen = None, None
    if child.returncode != 0 and status == "finished":
        status = "trainer failed"
    record.update({
        "status": status, "exit_code": child.returncode, "wall_s": round(wall, 3),
        "checkpoint": {"file": graded.name, "sha256": record_io.sha256_file(graded), "seen_s": round(seen, 3)}
        if graded else None,
        "log_sha256": record_io.sha256_file(folder / LOG),
        "engine_log_sha256": record_io.sha256_file(folder / ENGINE_LOG),
        "log_bad_lines": watcher.bad_lines, "warned": watcher.warned, "finished_utc": record_io.now_utc(),
        "load_average_end": _load(),
    })
    record_io.write_record(folder, record)

    last = watcher.val_points[-1] if watcher.val_points else None
    said = f"; last logged val loss {last['val_loss']:.3f} at step {last['step']}" if last else ""
    say(f"{status} after {_clock(wall)} (exit status {child.returncode}){said}")
    if graded is None:
        say(f"no checkpoint was written to {folder / CKPT}: nothing to grade")
        return 1
    say(f"graded checkpoint: {graded.name}, written by {seen:.1f} s; next: make capstone-grade run={run_id}")
    if status == "interrupted":
        return 130
    return 0 if child.returncode == 0 or status in ("over budget", "killed at budget") else 1


def _load() -> list[float] | None:
    """The machine's 1, 5 and 15 minute load averages: a busy machine explains a slow run."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _clock(seconds: float) -> str:
    seconds = float(seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
