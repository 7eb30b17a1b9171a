"""The capstone: train a GPT to a target validation loss within a time budget, graded from evidence.

    make capstone tier=smoke impl=solutions     # python -m grading capstone --tier smoke --impl solutions
    make capstone-grade                          # python -m grading capstone-grade [--run ID]

Modules, one idea each: capstone_tiers (capstone.toml, devices), capstone_record (run folders, the sealed
record), capstone_run (the parent that spawns and times the trainer), capstone_grade (the evidence),
capstone_plot (the picture). This module is the child's entry point, which the parent spawns:

    python -m grading.capstone child --impl TREE --config CONFIG.json

and a maintainer's tool that turns a graded run of the reference into a tier's reference curve:

    python -m grading.capstone reference [--run ID]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from grading import UsageError

CHILD_FAILED = 3     # the trainer could not start: not written yet, or it does not import


def child(impl: str, config_path: str) -> int:
    """Import the learner's trainer from `impl` and train with the engine's config; no timing here."""
    from grading.trees import ImportFailure, Tree

    config = json.loads(Path(config_path).read_text())
    try:
        trainer = Tree(impl).load("phase08_training_gpt.trainer")
    except (ImportFailure, UsageError) as err:
        print(f"[capstone] the trainer does not load: {err}", file=sys.stderr)
        return CHILD_FAILED
    try:
        summary = trainer.train(trainer.TrainConfig(**config))
    except NotImplementedError as err:
        print(f"[capstone] the trainer is not written yet: {err}", file=sys.stderr)
        return CHILD_FAILED
    print(f"[capstone] trainer returned {summary}", file=sys.stderr)
    return 0


def reference(run: str | None) -> int:
    """Write grading/capstone_reference/<tier>.json from a graded, passing run (of the reference, say)."""
    from grading import capstone_record as record_io
    from grading.capstone_plot import REFERENCE, run_curve

    folder = record_io.find_run(run)
    grade_path = folder / "grade.json"
    if not grade_path.is_file():
        raise UsageError(f"run {folder.name} is not graded yet: make capstone-grade run={folder.name}")
    grade = json.loads(grade_path.read_text())
    record = record_io.read_record(folder)
    if not grade["passed"]:
        raise UsageError(f"run {folder.name} did not pass; a reference curve comes from a passing run")
    points = run_curve(folder)
    reached = next((p["engine_s"] for p in points if p["val_loss"] <= grade["target"]), None)
    data = {
        "tier": grade["tier"], "device": grade["device"], "hardware": grade["hardware"],
        "impl": Path(record["impl"]).name, "run_id": grade["run_id"],
        "load_average": [record.get("load_average_start"), record.get("load_average_end")], "measured_utc": record["started_utc"],
        "versions": record["versions"], "target": grade["target"], "budget_s": grade["budget_s"],
        "wall_s": record["wall_s"], "recomputed_val_loss": grade["recomputed_val_loss"],
        "time_to_target_s": reached,
        "note": "val_loss is the trainer's own evaluation; engine_s is the engine's clock from spawning the trainer",
        "points": [{k: p[k] for k in ("engine_s", "step", "tokens", "val_loss")} for p in points],
    }
    REFERENCE.mkdir(exist_ok=True)
    out = REFERENCE / f"{grade['tier']}.json"
    out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {out} ({len(points)} points, time to target {reached} s)")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading.capstone")
    verbs = parser.add_subparsers(dest="verb", required=True)
    p = verbs.add_parser("child", help="(spawned by the engine) run the trainer")
    p.add_argument("--impl", required=True)
    p.add_argument("--config", required=True)
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
        return reference(args.run)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
