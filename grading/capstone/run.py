"""`make capstone`: run the learner's trainer in a child process that the engine times and watches.

The engine prepares the data, gives the trainer its own copy of the train and validation splits (never the
test split, which only the grader reads), hashes the held-out tokens, issues a nonce (and from it the run's
seed), writes and seals the run record, spawns `python -m grading.capstone child --impl TREE --config
config.json` in a process group of its own (with nproc > 1, under `python -m torch.distributed.run`, which
starts that many children, each in a session of its own), and then, until the child exits:
- measures the budget by the tier's clock: on a CPU the user + system seconds of the trainer's process
  tree, every rank's included (a busy machine slows a run's wall clock, not its CPU time); on a GPU the wall
  clock;
- reads each new line of the trainer's log.jsonl and stamps its steps and validation losses with the
  engine's clocks (engine.jsonl), warning once when the curve, extrapolated to the end of the run, misses
  the target;
- notes when each new checkpoint appears (the trainer writes ckpt.pt atomically, so a new file is a new inode);
- at the budget, freezes the checkpoint that exists then (a hard link, graded.pt): a checkpoint written
  later does not count; at the budget plus the tier's grace it kills the trainer's process group.
Ctrl-C, SIGTERM and SIGHUP stop the trainer's process group and still seal the record ("interrupted"); the
last whole checkpoint can be graded, or the run resumed from it (`make capstone resume=RUN`) with the same
nonce, seed and budget, the time already spent counting against it.
"""
from __future__ import annotations

import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from grading import ROOT, UsageError, engine_env
from grading.capstone import preflight
from grading.capstone import record as record_io
from grading.capstone import tiers
from grading.capstone.record import CKPT, CONFIG, DATA, ENGINE_LOG, FROZEN, LOG
from grading.capstone.tiers import clock_text
from grading.trees import resolve

POLL_S = 0.25
PROGRESS_S = 2.0                                   # engine-clock step progress in engine.jsonl, at most this often
RESUMABLE = ("interrupted", "trainer failed", "running")


def say(message: str) -> None:
    print(f"[capstone] {message}", file=sys.stderr, flush=True)


class Interrupted(Exception):
    """SIGTERM or SIGHUP reached the engine: stop the trainer and seal the record, as after Ctrl-C."""


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


# ---------------------------------------------------------------- the clocks

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes() -> list[tuple[int, int, int, float]] | None:
    """(pid, ppid, pgid, user + system CPU seconds with what it reaped of its children) of every live process;
    None where neither /proc nor ps tells."""
    proc = Path("/proc")
    if proc.is_dir():
        found = []
        for entry in os.scandir(proc):
            if not entry.name.isdigit():
                continue
            try:
                stat = (proc / entry.name / "stat").read_bytes()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2:].split()     # after "pid (comm) ": state, ppid, pgrp, ...
            if len(fields) > 14:                             # utime, stime, cutime, cstime
                found.append((int(entry.name), int(fields[1]), int(fields[2]), sum(int(f) for f in fields[11:15]) / _TICK))
        return found
    try:
        out = subprocess.run(["ps", "-A", "-o", "pid=,ppid=,pgid=,time="], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    rows = [line.split(None, 3) for line in out.splitlines() if line.strip()]
    return [(int(a), int(b), int(c), _ps_seconds(t)) for a, b, c, t in rows if a.isdigit() and b.isdigit() and c.isdigit()]


def trainer_tree(pgid: int, processes=None) -> list[tuple[int, int, int, float]]:
    """The processes of group `pgid` and all their descendants: torchrun starts each rank in a session (and so a
    group) of its own, which a group alone would miss."""
    processes = _processes() if processes is None else processes
    children: dict[int, list] = {}
    for row in processes or []:
        children.setdefault(row[1], []).append(row)
    tree = [row for row in processes or [] if row[2] == pgid]
    seen = {row[0] for row in tree}
    for row in tree:                                  # grows while it is walked: breadth first
        for child in children.get(row[0], []):
            if child[0] not in seen:
                seen.add(child[0])
                tree.append(child)
    return tree


def group_cpu_seconds(pgid: int) -> float | None:
    """User + system CPU seconds of every live process of the trainer's tree (trainer_tree), with what each has
    reaped of its own children; None where the system does not tell (then the engine counts the child's
    rusage when it exits)."""
    processes = _processes()
    if processes is None:
        return None
    return sum(row[3] for row in trainer_tree(pgid, processes))


def _ps_seconds(text: str) -> float:
    """ps's cumulative time, [[dd-]hh:]mm:ss[.cc], in seconds."""
    days, _, rest = text.strip().rpartition("-")
    seconds = 0.0
    for part in rest.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds + 86400 * int(days or 0)


class Clocks:
    """The run's two clocks, counting on from what earlier segments of the run spent."""

    def __init__(self, pgid: int, wall_before: float = 0.0, cpu_before: float = 0.0):
        self.pgid, self.wall_before, self.cpu_before = pgid, wall_before, cpu_before
        self.t0 = time.monotonic()
        self.rusage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = 0.0                     # this segment's, never decreasing (a reaped grandchild leaves the tree)

    def now(self) -> tuple[float, float]:
        seen = group_cpu_seconds(self.pgid)
        if seen is not None:
            self.cpu = max(self.cpu, seen)
        return self.wall_before + time.monotonic() - self.t0, self.cpu_before + self.cpu

    def after_exit(self) -> tuple[float, float]:
        """Once the child is reaped its rusage (with its reaped descendants') is exact."""
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = max(self.cpu, r.ru_utime + r.ru_stime - self.rusage0.ru_utime - self.rusage0.ru_stime)
        return self.wall_before + time.monotonic() - self.t0, self.cpu_before + self.cpu


# ---------------------------------------------------------------- the watcher

class Watcher:
    """Reads the trainer's files as they grow, stamping what it sees with the engine's clocks."""

    def __init__(self, folder: Path, target: float, budget: float, clock: str, max_steps: int, resume_step: int = 0):
        self.folder, self.target, self.budget, self.clock, self.max_steps = folder, target, budget, clock, max_steps
        self.offset, self.bad_lines = (folder / LOG).stat().st_size if (folder / LOG).is_file() else 0, 0
        self.last_val_step, self.step, self.progress_at = resume_step, resume_step, -math.inf
        self.val_points: list[dict] = []
        self.checkpoints: dict[tuple, tuple[float, float]] = {}   # file identity -> (wall, cpu) when first seen
        self.warned = False
        self.engine_log = open(folder / ENGINE_LOG, "a")

    def event(self, event: dict) -> None:
        self.engine_log.write(json.dumps(event) + "\n")
        self.engine_log.flush()

    def poll(self, wall: float, cpu: float) -> None:
        self._read_log(wall, cpu)
        self._see_checkpoint(wall, cpu)
        if self.step > 0 and wall - self.progress_at >= PROGRESS_S:
            self.progress_at = wall
            self.event({"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "step": self.step})

    def _read_log(self, wall: float, cpu: float) -> None:
        path = self.folder / LOG
        if not path.is_file():
            return
        if path.stat().st_size < self.offset:          # rewritten (a resumed trainer trims its log): read anew
            self.offset = 0
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
                step = entry.get("step")
                val = float(entry["val_loss"]) if "val_loss" in entry else None
            except (ValueError, TypeError, KeyError, AttributeError):
                self.bad_lines += 1
                continue
            if isinstance(step, int):
                self.step = max(self.step, step)
            if val is not None and isinstance(step, int) and step > self.last_val_step:
                self.last_val_step = step
                point = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "step": step,
                         "tokens": entry.get("tokens"), "val_loss": val}
                self.val_points.append(point)
                self.event(point)
                self._warn_if_off_track(point)

    def _warn_if_off_track(self, point: dict) -> None:
        if self.warned:
            return
        spent = point[f"{self.clock}_s"]
        end = horizon(spent, point["step"], self.max_steps, self.budget)
        expected = forecast([(p[f"{self.clock}_s"], p["val_loss"]) for p in self.val_points], end)
        if expected is not None and expected > self.target and spent > 0.25 * end:
            self.warned = True
            say(f"warning: at this pace validation loss reaches about {expected:.2f} by {end:.0f} s, above the "
                f"target {self.target:g} (step {point['step']}: {point['val_loss']:.3f} at {spent:.0f} s of "
                f"{self.clock} time)")

    @staticmethod
    def _identity(path: Path) -> tuple[int, int, int]:
        """A checkpoint file's identity: inode numbers are reused after a replace, so add mtime and size."""
        st = path.stat()
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _see_checkpoint(self, wall: float, cpu: float) -> None:
        try:
            identity = self._identity(self.folder / CKPT)
        except FileNotFoundError:
            return
        if identity not in self.checkpoints:
            self.checkpoints[identity] = (wall, cpu)
            self.event({"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "checkpoint": list(identity), "step": self.step})

    def seen_at(self, path: Path, fallback: tuple[float, float]) -> tuple[float, float]:
        """When the engine first saw the checkpoint now at `path` (fallback: it appeared after the last poll)."""
        return self.checkpoints.get(self._identity(path), fallback)

    def close(self) -> None:
        self.engine_log.close()


# ---------------------------------------------------------------- the trainer's process

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


def _signal_group(pgid: int, sig: int) -> None:
    """`sig` to the trainer's group; a SIGKILL also to every process of its tree (the ranks torchrun started in
    sessions of their own), so that none writes after the engine seals the record."""
    others = [row[0] for row in trainer_tree(pgid) if row[2] != pgid] if sig == signal.SIGKILL else []
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in others:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _stop(child: subprocess.Popen, wait_s: float = 10.0) -> None:
    """Stop the trainer's process group: SIGINT (KeyboardInterrupt in Python: it may finish a checkpoint), then SIGKILL."""
    if child.poll() is None:
        _signal_group(child.pid, signal.SIGINT)
        try:
            child.wait(wait_s)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(child.pid, signal.SIGKILL)


def spawn(folder: Path, impl: Path, threads: int | None = None, nproc: int = 1) -> subprocess.Popen:
    """The trainer, in a new session (its own process group, which the engine signals as one); with nproc > 1,
    torchrun (python -m torch.distributed.run --standalone) starting nproc trainers, one per rank."""
    env = engine_env(PYTHONUNBUFFERED="1", CAPSTONE_CONFIG_SHA256=record_io.sha256_file(folder / CONFIG))
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    launcher = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc)] if nproc > 1 else []
    cmd = [sys.executable, *launcher, "-m", "grading.capstone", "child", "--impl", str(impl), "--config",
           str(folder / CONFIG)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)


# ---------------------------------------------------------------- data

def prepare_data(tier: dict) -> tuple[Path, dict]:
    from data.prepare import PrepareError, load_meta, prepare
    from data.shakespeare import CorpusError

    try:
        folder = prepare(tier["data"]["source"], tokenizer=tier["data"]["tokenizer"])
        return folder, load_meta(folder)
    except (PrepareError, CorpusError) as err:
        raise UsageError(f"preparing the data for tier {tier['name']!r} failed: {err}") from None


def held_out(data_dir: Path) -> dict:
    """The held-out splits' tokens, hashed from the shards themselves (the grader hashes them again)."""
    from data.prepare import split_sha256, split_tokens

    return {f"{split}_{what}": value for split in ("val", "test")
            for what, value in (("sha256", split_sha256(data_dir, split)), ("tokens", len(split_tokens(data_dir, split))))}


def trainer_data(folder: Path, data_dir: Path, meta: dict) -> Path:
    """The trainer's data folder: train shards linked, validation shards copied (so an overwrite cannot reach
    the engine's), and a meta.json without the test split."""
    out = folder / DATA
    out.mkdir(exist_ok=True)
    for split, place in (("train", os.link), ("val", shutil.copy2)):
        for shard in meta["splits"][split]["shards"]:
            target = out / shard["file"]
            if not target.exists():
                try:
                    place(data_dir / shard["file"], target)
                except OSError:
                    shutil.copy2(data_dir / shard["file"], target)
    mine = {**meta, "splits": {s: meta["splits"][s] for s in ("train", "val")}}
    record_io.write_json(out / "meta.json", mine)
    return out


# ---------------------------------------------------------------- the checkpoint, as the engine finds it

def inspect_checkpoint(folder: Path, path: Path, nonce: str) -> dict:
    """sha256, step and nonce of a checkpoint, loaded weights-only; a sample of its weights in sketch.npy."""
    import numpy as np
    import torch

    from grading import first_line
    from grading.capstone.grade import weights_sample

    info = {"file": path.name, "sha256": record_io.sha256_file(path), "bytes": path.stat().st_size}
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(ckpt, dict):
            raise ValueError(f"it holds a {type(ckpt).__name__}, not a dict")
        sample = weights_sample(ckpt.get("model"))
    except Exception as err:  # noqa: BLE001 - any damage is a reason, never a crash
        return {**info, "problem": f"it does not load weights-only: {first_line(err)}"}
    np.save(folder / record_io.SKETCH, sample)
    step = ckpt.get("step")
    return {**info, "step": step if isinstance(step, int) else None, "nonce_ok": ckpt.get("nonce") == nonce,
            "elapsed_s": ckpt.get("elapsed_s") if isinstance(ckpt.get("elapsed_s"), (int, float)) else None,
            "sketch_sha256": record_io.sha256_file(folder / record_io.SKETCH)}


# ---------------------------------------------------------------- a run

def start(tier_name: str | None, impl: str = "exercises", device: str | None = None, max_steps: int | None = None,
          seed: int | None = None, tiers_file: str | None = None, variant: str | None = None,
          optimizer: str | None = None, nproc: str | int | None = None) -> int:
    """A fresh capstone run; 0 when the trainer finished (grade it next), 1 when it failed, 128 + n on signal n."""
    device = tiers.resolve_device(device)
    processes = tiers.resolve_nproc(nproc, device)
    if tier_name is None:
        if device == "cpu":
            raise tiers.ask_for_tier(device, tiers_file)
        tier_name = "gpt2-small"
    tier = tiers.customise(tiers.get(tier_name, tiers_file), variant, optimizer)
    if max_steps is not None and max_steps < 1:
        raise UsageError(f"--max-steps must be a positive number of steps, got {max_steps}")
    impl_path = resolve(impl)
    budget = tier.budget(device)
    tiers.check_shards(tier, device, processes)
    spec = tier.spec()
    preflight.refuse_leaking_attention(device, {**tier.model, **tier.train, **budget.train}, impl_path)
    record_io.seal({}, create_key=True)                      # a missing or damaged key stops here, before a run folder
    data_dir, meta = prepare_data(spec)
    run_id, nonce, folder = record_io.new_run(tier.name)
    seed = int(nonce[:8], 16) % 2**31 if seed is None else seed
    mine = trainer_data(folder, data_dir, meta)
    config = tiers.train_config(tier, device, data_dir=mine, out_dir=folder, nonce=nonce, seed=seed,
                                vocab_size=int(meta["vocab_size"]), max_steps=max_steps, progress=sys.stderr.isatty())
    import platform

    import torch

    tiers_path = Path(tiers_file or tiers.TIERS_FILE).resolve()
    record = {
        "run_id": run_id, "tier": tier.name, "tier_spec": spec, "tier_fingerprint": tier.fingerprint(),
        "choices": {"variant": variant, "optimizer": optimizer},
        "tiers_file": str(tiers_path), "tiers_file_is_the_workbooks": tiers_path == tiers.TIERS_FILE.resolve(),
        "impl": {"label": str(impl), "path": str(impl_path), "tree_sha256": record_io.tree_sha256(impl_path)},
        "device": device, "hardware": tiers.device_name(device, budget.threads), "nonce": nonce, "seed": seed,
        "started_utc": record_io.now_utc(), "clock": budget.clock, "budget_s": budget.seconds,
        "wall_cap_s": budget.wall_cap_s, "grace_s": tier.grace_s, "reserve_s": tier.reserve_s, "target": budget.target,
        "points": tier.points, "eval": tier.eval, "config": config,
        "model_config": tiers.model_config(tier, int(meta["vocab_size"])),
        "max_steps_override": max_steps, "threads": budget.threads, "nproc": processes,
        "data": {"dir": str(data_dir), "trainer_dir": str(mine), **held_out(data_dir)},
        "versions": {"python": platform.python_version(), "torch": torch.__version__},
        "status": "running", "segments": [], "spent": {"wall_s": 0.0, "cpu_s": 0.0},
    }
    say(f"run {run_id}: tier {tier.name} ({tier.title}) on {device} ({record['hardware']})"
        + (f", {processes} processes (DistributedDataParallel)" if processes > 1 else ""))
    say(f"target: test loss {budget.target:g} within {budget.describe()}; trainer: {impl_path}; folder: {folder}")
    return _segment(folder, record, config, resume_step=0)


def resume(run: str) -> int:
    """Continue an interrupted run from its last good checkpoint: the same nonce, seed and budget, with the
    time its earlier segments spent already counted."""
    folder = record_io.find_run(run)
    record = record_io.read_record(folder)
    if not record_io.seal_ok(record):
        raise UsageError(f"cannot resume {folder.name}: {record_io.RECORD} does not match the engine's seal (edited?)")
    status = record.get("status")
    if not {"clock", "segments", "spent", "reserve_s"} <= set(record):
        raise UsageError(f"run {folder.name} was recorded by an older engine and cannot be resumed; start a new one")
    if status not in RESUMABLE:
        raise UsageError(f"run {folder.name} ended '{status}'; only an interrupted or failed run resumes; "
                         f"start a new one: make capstone tier={record.get('tier')}")
    if status == "running" and _engine_alive(record.get("engine_pid")):
        raise UsageError(f"run {folder.name} is still running (engine process {record['engine_pid']})")
    ckpt_path = folder / CKPT
    if not ckpt_path.is_file() or ckpt_path.stat().st_size == 0:
        raise UsageError(f"cannot resume {folder.name}: {ckpt_path} is {'empty' if ckpt_path.is_file() else 'missing'}; "
                         f"start a new run: make capstone tier={record.get('tier')}")
    recorded = record.get("checkpoint") or {}
    if status != "running" and recorded.get("sha256") != record_io.sha256_file(ckpt_path):
        raise UsageError(f"cannot resume {folder.name}: {CKPT} is not the checkpoint the run recorded (sha256 differs)")
    info = inspect_checkpoint(folder, ckpt_path, record["nonce"])
    if info.get("problem") or not info.get("nonce_ok") or info.get("step") is None:
        why = info.get("problem") or ("it carries another run's nonce" if not info.get("nonce_ok") else "it records no step")
        raise UsageError(f"cannot resume {folder.name}: {CKPT} is not a checkpoint of this run ({why})")
    record_io.clean_partial_files(folder)
    spent = dict(record.get("spent") or {"wall_s": 0.0, "cpu_s": 0.0})
    if status == "running":                      # the engine died with the run: its last progress is what it spent
        seen = [r for r in record_io.read_jsonl(folder / ENGINE_LOG) if "wall_s" in r and "cpu_s" in r]
        if seen:
            spent = {"wall_s": max(spent["wall_s"], seen[-1]["wall_s"]), "cpu_s": max(spent["cpu_s"], seen[-1]["cpu_s"])}
        record.setdefault("segments", []).append({"status": "engine stopped unrecorded", "wall_s": None, "cpu_s": None})
    remaining = record["budget_s"] - spent[f"{record['clock']}_s"]
    if remaining <= record["reserve_s"]:
        raise UsageError(f"run {folder.name} has {max(remaining, 0):.0f} s of its budget left, no more than its "
                         f"reserve of {record['reserve_s']:g} s: grade it (make capstone-grade run={folder.name})")
    step = info["step"]
    _trim_log(folder / LOG, step)
    impl_path = Path(record["impl"]["path"])
    if not impl_path.is_dir():
        raise UsageError(f"cannot resume {folder.name}: its trainer's tree {impl_path} no longer exists")
    limit = remaining - record["reserve_s"]
    config = {**record["config"], "resume": True, "progress": sys.stderr.isatty(),
              "max_seconds": None if record["clock"] == "cpu" else (info.get("elapsed_s") or 0.0) + limit,
              "max_cpu_seconds": limit if record["clock"] == "cpu" else None}
    record.update(status="running", spent=spent)
    say(f"resuming run {folder.name} from step {step}: {clock_text(spent['wall_s'])} of wall and "
        f"{clock_text(spent['cpu_s'])} of CPU time spent, {clock_text(remaining)} of its budget left")
    return _segment(folder, record, config, resume_step=step)


def _engine_alive(pid) -> bool:
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _trim_log(path: Path, step: int) -> None:
    """Keep the trainer's log lines up to the checkpoint's step: the resumed trainer writes the later ones again."""
    if not path.is_file():
        return
    keep = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
            if isinstance(entry.get("step"), int) and entry["step"] <= step:
                keep.append(line)
        except (ValueError, AttributeError):
            continue
    tmp = path.with_name(f".{path.name}.trim.tmp")
    tmp.write_text("".join(line + "\n" for line in keep))
    os.replace(tmp, path)


def _segment(folder: Path, record: dict, config: dict, resume_step: int) -> int:
    """Spawn the trainer, watch it to its end (or the budget's), and seal what the engine saw."""
    record_io.write_json(folder / CONFIG, config)
    impl_path = Path(record["impl"]["path"])
    segment = {"started_utc": record_io.now_utc(), "tree_sha256": record_io.tree_sha256(impl_path),
               "load_average_start": record_io.load_average(), "resumed_from_step": resume_step or None}
    record["engine_pid"] = os.getpid()
    record = record_io.write_record(folder, record)
    budget, clock, grace, cap = record["budget_s"], record["clock"], record["grace_s"], record["wall_cap_s"]
    spent = record["spent"]

    watcher = Watcher(folder, record["target"], budget, clock, int(config["max_steps"]), resume_step)
    status, frozen = "finished", None
    handlers = {s: signal.signal(s, _raise_interrupted) for s in (signal.SIGTERM, signal.SIGHUP)}
    child = clocks = None
    try:
        child = spawn(folder, impl_path, record["threads"], record.get("nproc", 1))
        clocks = Clocks(child.pid, spent["wall_s"], spent["cpu_s"])
        watcher.event({"segment": len(record["segments"]) + 1, "pid": child.pid, "wall_s": round(spent["wall_s"], 3),
                       "cpu_s": round(spent["cpu_s"], 3), "utc": segment["started_utc"],
                       **({"resumed_from_step": resume_step} if resume_step else {})})
        while child.poll() is None:
            time.sleep(POLL_S)
            wall, cpu = clocks.now()
            watcher.poll(wall, cpu)
            used = cpu if clock == "cpu" else wall
            if frozen is None and (used >= budget or wall >= cap):
                frozen = (wall, _freeze(folder))
                status = "over budget"
                watcher.event({"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "budget": "reached", "frozen": frozen[1]})
                say(f"budget reached ({clock_text(cpu)} of CPU, {clock_text(wall)} of wall time): the checkpoint "
                    f"that exists now is the one graded; the trainer has {grace:g} s to stop")
            if frozen is not None and wall >= frozen[0] + grace and status != "killed at budget":
                say("grace period over: killing the trainer")
                _signal_group(child.pid, signal.SIGKILL)
                status = "killed at budget"
    except (KeyboardInterrupt, Interrupted) as err:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)             # nothing stops the engine before the record is sealed
        status = "interrupted"
        record["interrupted_by"] = str(err) or "SIGINT"
        say(f"interrupted ({record['interrupted_by']}): stopping the trainer (its last checkpoint stays whole)")
        if child is not None:
            _stop(child)
    finally:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)             # from here to the sealed record, signals wait
        if child is not None:
            child.wait()
            _signal_group(child.pid, signal.SIGKILL)       # anything the trainer left running in its group
    wall, cpu = clocks.after_exit() if clocks is not None else (spent["wall_s"], spent["cpu_s"])
    watcher.poll(wall, cpu)
    watcher.event({"end": status, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                   "exit_code": child.returncode if child else None})
    watcher.close()
    removed = record_io.clean_partial_files(folder)

    graded = folder / FROZEN if frozen and frozen[1] else folder / CKPT if (folder / CKPT).is_file() else None
    if graded is not None:
        seen_wall, seen_cpu = watcher.seen_at(graded, (wall, cpu))
        checkpoint = {**inspect_checkpoint(folder, graded, record["nonce"]),
                      "seen_wall_s": round(seen_wall, 3), "seen_cpu_s": round(seen_cpu, 3), "seen_step": watcher.step}
    else:
        checkpoint = None
    exit_code = child.returncode if child else None
    if exit_code not in (0, None) and status == "finished":
        status = "trainer failed"
    segment.update(status=status, exit_code=exit_code, wall_s=round(wall - spent["wall_s"], 3),
                   cpu_s=round(cpu - spent["cpu_s"], 3), finished_utc=record_io.now_utc(),
                   load_average_end=record_io.load_average(), removed_partial_files=removed)
    record.update({
        "status": status, "segments": record["segments"] + [segment], "spent": {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3)},
        "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "checkpoint": checkpoint,
        "log_sha256": record_io.sha256_file(folder / LOG), "engine_log_sha256": record_io.sha256_file(folder / ENGINE_LOG),
        "config_sha256": record_io.sha256_file(folder / CONFIG),
        "trainer_val_sha256": _sha_of_split(Path(record["data"]["trainer_dir"]), "val"),
        "log_bad_lines": watcher.bad_lines, "warned": watcher.warned, "finished_utc": record_io.now_utc(),
    })
    record.pop("hmac", None)
    record_io.write_record(folder, record)
    for s, handler in handlers.items():
        signal.signal(s, handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    last = watcher.val_points[-1] if watcher.val_points else None
    said = f"; last logged val loss {last['val_loss']:.3f} at step {last['step']}" if last else ""
    say(f"{status} after {clock_text(wall)} of wall time and {clock_text(cpu)} of CPU time (budget: "
        f"{clock_text(budget)} of {clock} time; exit status {exit_code}){said}")
    run_id = record["run_id"]
    if checkpoint is None:
        say(f"no checkpoint was written to {folder / CKPT}: nothing to grade")
    else:
        say(f"graded checkpoint: {checkpoint['file']}, first seen at {checkpoint['seen_wall_s']:.1f} s of wall and "
            f"{checkpoint['seen_cpu_s']:.1f} s of CPU time; next: make capstone-grade run={run_id}")
    if status == "interrupted":
        say(f"to continue from the last checkpoint: make capstone resume={run_id}")
        return 128 + {"SIGTERM": 15, "SIGHUP": 1}.get(record["interrupted_by"], 2)
    if checkpoint is None:
        return 1
    return 0 if exit_code == 0 or status in ("over budget", "killed at budget") else 1


def _raise_interrupted(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def _sha_of_split(folder: Path, split: str) -> str | None:
    from data.prepare import split_sha256

    return split_sha256(folder, split) if folder.is_dir() else None
