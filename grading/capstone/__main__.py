"""The trainer's side of a capstone run, which the engine spawns, and a maintainer's tool:

    python -m grading.capstone child --impl TREE --config CONFIG.json     # (the engine's) run the trainer
    python -m grading.capstone preflight --impl TREE --device D --settings JSON   # (the engine's) causality probe
    python -m grading.capstone reference [--run ID]                       # a graded run -> its tier's curve

The child imports the learner's trainer and trains with the engine's config, nothing more: no timing here
(the engine measures from outside). It runs as the leader of its own process group and kills that group
if the engine dies, so a trainer never runs on unwatched. Under torchrun (nproc > 1) there is one child per
rank, each watching torchrun the same way; the trainer's Runtime joins the process group.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from grading import UsageError

CHILD_FAILED = 3     # the trainer could not start: not written yet, it does not import, or the config is bad


def _orphan_guard(parent: int) -> None:
    """Kill this process group once the engine that spawned it is gone (a SIGKILL leaves no time to say so)."""
    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os.killpg(os.getpgrp(), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()


def child(impl: str, config_path: str) -> int:
    """Import the learner's trainer from `impl` and train with the engine's config."""
    from grading.capstone.record import sha256_file
    from grading.trees import ImportFailure, Tree

    _orphan_guard(os.getppid())
    path = Path(config_path)
    expected = os.environ.get("CAPSTONE_CONFIG_SHA256")
    if expected and sha256_file(path) != expected:
        print(f"[capstone] {path} is not the config the engine wrote (sha256 differs)", file=sys.stderr)
        return CHILD_FAILED
    try:
        config = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        print(f"[capstone] the config {path} cannot be read: {err}", file=sys.stderr)
        return CHILD_FAILED
    try:
        trainer = Tree(impl).load("phase08_training_gpt.trainer")
    except (ImportFailure, UsageError) as err:
        print(f"[capstone] the trainer does not load: {err}", file=sys.stderr)
        return CHILD_FAILED
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not hasattr(trainer, "start_runtime"):
        print("[capstone] your trainer predates many-process training (it has no start_runtime: every rank would "
              "write the same files); regenerate it from the stub, or train with nproc=1", file=sys.stderr)
        return CHILD_FAILED
    known = {f.name for f in dataclasses.fields(trainer.TrainConfig)}
    unknown = sorted(set(config) - known)
    if unknown and os.environ.get("RANK", "0") == "0":
        print(f"[capstone] your TrainConfig lacks {', '.join(unknown)}: left out (regenerate it from the stub to "
              f"get them)", file=sys.stderr)
    try:
        summary = trainer.train(trainer.TrainConfig(**{k: v for k, v in config.items() if k in known}))
    except NotImplementedError as err:
        print(f"[capstone] the trainer is not written yet: {err}", file=sys.stderr)
        return CHILD_FAILED
    if os.environ.get("RANK", "0") == "0":
        print(f"[capstone] trainer returned {summary}", file=sys.stderr)
    return 0


def reference(run: str | None) -> int:
    """Write grading/capstone/reference/<tier>.json from a graded, passing run (of the reference, say)."""
    from grading.capstone import record as record_io
    from grading.capstone.plot import REFERENCE

    folder = record_io.find_run(run)
    grade_path = folder / record_io.GRADE
    if not grade_path.is_file():
        raise UsageError(f"run {folder.name} is not graded yet: make capstone-grade run={folder.name}")
    grade = json.loads(grade_path.read_text())
    record = record_io.read_record(folder)
    if not grade["passed"]:
        raise UsageError(f"run {folder.name} did not pass; a reference curve comes from a passing run")
    points = record_io.curve(folder)
    clock = f"{record['clock']}_s"
    reached = next((p[clock] for p in points if p["val_loss"] <= grade["target"]), None)
    data = {
        "tier": grade["tier"], "device": grade["device"], "hardware": grade["hardware"],
        "impl": grade["implementation"]["label"], "run_id": grade["run_id"], "clock": record["clock"],
        "load_average": [[s.get("load_average_start"), s.get("load_average_end")] for s in record["segments"]],
        "measured_utc": record["started_utc"], "versions": record["versions"], "target": grade["target"],
        "budget_s": grade["budget_s"], "wall_s": record["wall_s"], "cpu_s": record["cpu_s"],
        "test_loss": grade["test_loss"], "val_loss": grade["val_loss"], "time_to_target_s": reached,
        "note": "val_loss of a point is the trainer's own evaluation; wall_s and cpu_s are the engine's clocks "
                "from spawning the trainer; test_loss and val_loss at the top are the grader's",
        "points": [{k: p.get(k) for k in ("wall_s", "cpu_s", "step", "tokens", "val_loss")} for p in points],
    }
    REFERENCE.mkdir(exist_ok=True)
    out = REFERENCE / f"{grade['tier']}.json"
    out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {out} ({len(points)} points, time to target {reached} s of {record['clock']} time)")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading.capstone")
    verbs = parser.add_subparsers(dest="verb", required=True)
    p = verbs.add_parser("child", help="(spawned by the engine) run the trainer")
    p.add_argument("--impl", required=True)
    p.add_argument("--config", required=True)
    p = verbs.add_parser("preflight", help="(spawned by the engine) the GPT's causality on a device, as JSON")
    p.add_argument("--impl", required=True)
    p.add_argument("--device", required=True)
    p.add_argument("--settings", required=True, help="JSON: dtype, block_size, n_head, n_embd")
    p = verbs.add_parser("reference", help="store a graded run's curve as its tier's reference")
    p.add_argument("--run")
    args = parser.parse_args(argv)
    try:
        if args.verb == "child":
            started = time.monotonic()
            try:
                return child(args.impl, args.config)
            except KeyboardInterrupt:
                print(f"[capstone] trainer interrupted after {time.monotonic() - started:.0f} s", file=sys.stderr)
                return 130
        if args.verb == "preflight":
            from grading.capstone.preflight import probe

            print(json.dumps(probe(args.impl, args.device, json.loads(args.settings))))
            return 0
        return reference(args.run)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
