"""Time to the smoke tier's target: the GPT-2 baseline against phase 9's LLaMA-style GPT with Muon, in one run.

Every arm is the reference trainer (solutions/phase08_training_gpt/trainer.py) with the capstone's smoke tier
(grading/capstone/capstone.toml: model shape, batch, steps, schedule, one CPU thread) on the same character split,
differing only in what the arm names: the model (`gpt2`: phase 7's GPT; `llama`: phase 9's RoPE, RMSNorm, SwiGLU,
grouped-query attention, no biases), the optimiser (`adamw`; `muon`: Muon on the hidden matrices, AdamW on the
rest) and, where the arm says so, the learning rate. Each arm trains in a child process of its own, one after the
other (with --rounds > 1 the arms alternate, and the median counts), validating every --eval-interval steps. This
process reads the child's log as it is written and stamps each validation with the child's CPU time (user +
system, all threads: a busy machine inflates it far less than wall time) and its wall time since the first step;
the time to target is that of the first validation at or below the target. The child is stopped there unless
--full. The table gives both clocks, the steps, CPU time per step (validations included), and each arm's ratio to
the first arm.

    python -m grading.benchmarks.time_to_target [--arms gpt2+adamw,llama+muon] [--eval-interval 25] [--rounds 1]
        [--target 2.15] [--full] [--impl solutions|exercises|PATH]
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from grading import BUILD, ROOT, UsageError

OUT = BUILD / "benchmarks" / "time_to_target"
POLL_S = 0.05

# What each arm changes in the smoke tier's TrainConfig. Muon's learning rate is shared with the AdamW part of its
# optimiser (Muon's update is scaled to AdamW's size); 4e-3 was the best of 2e-3, 4e-3 and 8e-3 for llama+muon,
# and the gpt2 arms at 4e-3 show what the higher rate alone does (notes/phase09_modern_developments.md).
ARMS = {
    "gpt2+adamw": dict(variant="gpt2", optimizer="adamw"),
    "gpt2+adamw@4e-3": dict(variant="gpt2", optimizer="adamw", lr=4e-3, min_lr=4e-4),
    "gpt2+muon": dict(variant="gpt2", optimizer="muon", lr=4e-3, min_lr=4e-4),
    "llama+adamw": dict(variant="llama", optimizer="adamw"),
    "llama+muon": dict(variant="llama", optimizer="muon", lr=4e-3, min_lr=4e-4),
}


@dataclass
class Result:
    arm: str
    steps: int | None = None           # at the first validation <= target
    cpu_s: float | None = None
    wall_s: float | None = None
    best_val: float = float("inf")
    last_step: int = 0
    evaluations: list = field(default_factory=list)   # (step, val, cpu_s, wall_s)


def smoke_settings() -> dict:
    """TrainConfig fields of the smoke tier: its model and train tables, one thread, and the data's vocabulary."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    tier = tomllib.loads((ROOT / "grading" / "capstone" / "capstone.toml").read_text())["tiers"]["smoke"]
    return {"target": tier["target"], "data": tier["data"], "train": {**tier["model"], **tier["train"]}}


def child_main(config_path: str, impl: str) -> int:
    """In the child: one thread, the tree's trainer, the config from the JSON file."""
    import torch

    from grading.trees import Tree

    torch.set_num_threads(1)
    trainer = Tree(impl).load("phase08_training_gpt.trainer")
    trainer.train(trainer.config_from_dict(json.loads(Path(config_path).read_text())))
    return 0


def run_arm(arm: str, config: dict, target: float, impl: str, full: bool) -> Result:
    import psutil

    out = OUT / arm
    out.mkdir(parents=True, exist_ok=True)
    config = dict(config, out_dir=str(out), progress=False, resume=False)
    (out / "config.json").write_text(json.dumps(config, indent=1))
    log = out / "log.jsonl"
    log.unlink(missing_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    child = subprocess.Popen([sys.executable, "-m", "grading.benchmarks.time_to_target", "--child",
                              str(out / "config.json"), "--impl", impl], cwd=ROOT, env=env)
    proc = psutil.Process(child.pid)
    result, offset, start_cpu, start_wall = Result(arm), 0, None, None
    try:
        while True:
            running = child.poll() is None
            try:
                times = proc.cpu_times()
                cpu = times.user + times.system
            except psutil.Error:
                cpu = None
            lines = []
            if log.exists():
                with log.open() as f:
                    f.seek(offset)
                    chunk = f.read()
                complete = chunk[:chunk.rfind("\n") + 1]
                offset += len(complete.encode())
                lines = [json.loads(line) for line in complete.splitlines() if line.strip()]
            for record in lines:
                result.last_step = record["step"]
                if start_cpu is None and "loss" in record:       # the clocks start at the first training step
                    start_cpu, start_wall = cpu, time.perf_counter()
                if "val_loss" in record and start_cpu is not None and cpu is not None:
                    stamp = (record["step"], record["val_loss"], cpu - start_cpu, time.perf_counter() - start_wall)
                    result.evaluations.append(stamp)
                    result.best_val = min(result.best_val, record["val_loss"])
                    if result.steps is None and record["val_loss"] <= target:
                        result.steps, _, result.cpu_s, result.wall_s = stamp
            if not running or (result.steps is not None and not full):
                break
            time.sleep(POLL_S)
    finally:
        if child.poll() is None:
            child.terminate()
        child.wait()
    if child.returncode not in (0, -15) and result.steps is None:
        raise UsageError(f"arm {arm}: the trainer exited with status {child.returncode} (see {out})")
    return result


def main(arms: list[str], eval_interval: int, rounds: int, target: float | None, full: bool, impl: str) -> int:
    from grading.benchmarks import console as benchmark_console
    from rich.table import Table

    from data.prepare import prepare

    unknown = [a for a in arms if a not in ARMS]
    if unknown:
        raise UsageError(f"unknown arm {unknown[0]!r}; valid: {', '.join(ARMS)}")
    if eval_interval < 1 or rounds < 1:
        raise UsageError(f"need --eval-interval >= 1 and --rounds >= 1; got {eval_interval} and {rounds}")
    smoke = smoke_settings()
    target = smoke["target"] if target is None else target
    data_dir = prepare(smoke["data"]["source"], smoke["data"]["tokenizer"])
    vocab_size = json.loads((Path(data_dir) / "meta.json").read_text())["vocab_size"]
    base = dict(smoke["train"], data_dir=str(data_dir), vocab_size=vocab_size, eval_interval=eval_interval,
                device="cpu", seed=1337)
    loads = [os.getloadavg()]
    results: dict[str, list[Result]] = {a: [] for a in arms}
    for _ in range(rounds):
        for arm in arms:
            results[arm].append(run_arm(arm, dict(base, **ARMS[arm]), target, impl, full))
            loads.append(os.getloadavg())

    def median(arm, attr):
        values = [getattr(r, attr) for r in results[arm] if getattr(r, attr) is not None]
        return statistics.median(values) if len(values) == len(results[arm]) else None

    console = benchmark_console(140)
    table = Table(title=f"Time to validation loss {target} on the smoke tier ({impl}; one thread; validation every "
                        f"{eval_interval} steps; median of {rounds} round{'s' if rounds > 1 else ''})")
    for column in ("arm", "settings", "steps", "CPU s", "CPU ms/step", "wall s", "CPU vs first", "wall vs first",
                   "best val"):
        table.add_column(column, justify="left" if column in ("arm", "settings") else "right")
    first = arms[0]
    for arm in arms:
        steps, cpu, wall = median(arm, "steps"), median(arm, "cpu_s"), median(arm, "wall_s")
        settings = ", ".join(f"{k}={v}" for k, v in ARMS[arm].items())
        ratio = lambda mine, theirs: "" if mine is None or not theirs else f"{mine / theirs:.2f}x"  # noqa: E731
        best = min(r.best_val for r in results[arm])
        table.add_row(arm, settings, "not reached" if steps is None else f"{steps:.0f}",
                      "" if cpu is None else f"{cpu:.1f}", "" if cpu is None else f"{1e3 * cpu / steps:.0f}",
                      "" if wall is None else f"{wall:.1f}",
                      ratio(cpu, median(first, "cpu_s")), ratio(wall, median(first, "wall_s")),
                      f"{best:.4f}" + ("" if full else " (stopped at target)"))
    console.print(table)
    console.print("load average (1, 5, 15 min) before and after each arm: "
                  + "; ".join(", ".join(f"{x:.2f}" for x in load) for load in loads))
    console.print(f"logs: {OUT.relative_to(ROOT)}/<arm>/log.jsonl")
    return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m grading.benchmarks.time_to_target",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--arms", default="gpt2+adamw,llama+muon",
                        help=f"comma-separated, the first is the baseline; valid: {', '.join(ARMS)}")
    parser.add_argument("--eval-interval", type=int, default=25, help="validate every N steps (the time resolution)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each arm, alternating; the median counts")
    parser.add_argument("--target", type=float, default=None, help="validation loss to reach (default: the smoke tier's)")
    parser.add_argument("--full", action="store_true", help="train every arm to max_steps instead of stopping at the target")
    parser.add_argument("--impl", default="solutions", help="the tree whose trainer runs: solutions (default), exercises, PATH")
    parser.add_argument("--child", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    try:
        if args.child:
            sys.exit(child_main(args.child, args.impl))
        sys.exit(main([a.strip() for a in args.arms.split(",") if a.strip()], args.eval_interval, args.rounds,
                      args.target, args.full, args.impl))
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
