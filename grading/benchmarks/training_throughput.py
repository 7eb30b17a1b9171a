"""`make bench`: training throughput (tokens/s, ms/step) and MFU of the learner's GPT and trainer against the
reference's, and against the reference with torch.optim.AdamW(fused=True) in place of phase 8's AdamW.

Three rows, each one model trained on one fixed random batch: yours (your phase 7 GPT as your phase 8 trainer
builds it, build_model with the tier's padded vocabulary and compile_model with its compile setting, stepped by
your trainer's parts: accumulate_gradients under autocast_context, clip_grad_norm, and the optimiser your
trainer's build_optimizer builds, phase 8's AdamW), the reference (the same from solutions/), and the
reference with optimizer="fused". All get the same shape (a capstone tier's model and training settings), the
same batch and precision (bf16 autocast on cuda, and on mps where supported; fp32 on cpu), on the same device,
in the same process, in alternating rounds (reference, yours, fused, reference, ...); each row reports its best
round, the least disturbed by whatever else the machine is doing, and its tokens/s as a multiple of the
reference's in the same run. One step = forward and backward of one micro-batch, clipping, the optimiser
update; the clock stops after the device has finished (synchronize). The result is also written as JSON to
build/bench/training_throughput.json (WORKBOOK_BUILD moves build/).

MFU = tokens/s x FLOPs per token / peak FLOP/s, with FLOPs per token = 6N + 12 L H Q T (N the parameters
without the position embedding; Kaplan et al., 2020, appendix; Chowdhery et al., 2022, appendix B). The
peak comes from phase 8's table for GPUs (datasheet bf16 dense, or the measured M4 Max figure); on the CPU
it is measured here with a float32 matmul, so CPU MFU reads "fraction of what this CPU's matmul reaches".

    python -m grading bench --impl exercises --device auto [--config smoke|gpt2-small] [--steps 10] [--threads N]

On a CPU the default is the smoke tier's model (4 layers, width 128, context 64, batch 12) on the tier's
threads (one): GPT-2 Small takes seconds a step there.
"""
from __future__ import annotations

import time

from grading import UsageError, first_line
from grading.benchmarks import load_text, machine, sync, where, write_json

ROUNDS = 2
WARMUP = 2
CPU_GPT2_BATCH = 1           # GPT-2 Small on a CPU: one sequence of 1024 tokens a step is already slow
CHAR_VOCAB = 76              # the smoke tier's vocabulary: Shakespeare's distinct characters
OUT = "training_throughput.json"
SPEED_AND_OPTIMISER = ("lr", "weight_decay", "beta1", "beta2", "grad_clip", "compile", "vocab_multiple")
# (row, tree, optimizer): "yours" is --impl's tree; its optimiser is whatever that tree's build_optimizer builds
ROWS = (("reference", "solutions", "adamw"), ("yours", None, "adamw"),
        ("reference, fused", "solutions", "fused"))


def shape(config: str, device: str) -> tuple[dict, dict, int, int | None]:
    """(GPTConfig fields, TrainConfig fields, batch size, CPU threads or None) of a capstone tier on the device."""
    from grading.capstone import tiers as capstone_tiers

    tier = capstone_tiers.get(config)
    model = {"vocab_size": CHAR_VOCAB, **tier.model}
    budget = tier.budgets.get(device)
    train = {**tier.train, **(budget.train if budget else {})}
    batch = int(train["batch_size"])
    if device == "cpu" and model["block_size"] >= 512:
        batch = CPU_GPT2_BATCH
    return model, train, batch, budget.threads if budget else None


def cpu_peak_flops(n: int = 1024, repeats: int = 10) -> float:
    """float32 matmul FLOP/s on this CPU: the best of several n x n products (2 n^3 FLOPs each)."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def peak(device: str) -> tuple[float, str]:
    """(peak FLOP/s, where the figure comes from)."""
    import torch

    if device == "cpu":
        return cpu_peak_flops(), "measured here: float32 matmul"
    from grading.trees import Tree

    table = Tree("solutions").load("phase08_training_gpt.throughput")
    name = torch.cuda.get_device_name(0) if device == "cuda" else "mps"
    return table.peak_flops(device, name), f"phase 8's table for {name}"


def flops_per_token(model_config: dict) -> float:
    """6N + 12 L H Q T for the reference GPT of this shape (N without the position embedding)."""
    from grading.trees import Tree

    ref = Tree("solutions").load("phase07_gpt_architecture.model")
    model = ref.GPT(ref.GPTConfig(**model_config))
    n = sum(p.numel() for p in model.parameters()) - model.transformer.wpe.weight.numel()
    c = model_config
    return 6 * n + 12 * c["n_layer"] * c["n_head"] * (c["n_embd"] // c["n_head"]) * c["block_size"]


class Runner:
    """One model (from one tree) trained on one fixed batch by that tree's phase 8 trainer parts."""

    def __init__(self, tree: str, model_config: dict, train: dict, batch: int, device: str, optimizer: str):
        import torch

        from grading.trees import Tree

        t = Tree(tree)
        trainer = t.load("phase08_training_gpt.trainer")
        self.accumulate = t.load("phase08_training_gpt.accumulation").accumulate_gradients
        self.clip = t.load("phase08_training_gpt.clipping").clip_grad_norm
        precision = t.load("phase08_training_gpt.precision")
        dtype = precision.resolve_dtype("auto", device)
        self.autocast = lambda: precision.autocast_context(device, dtype)
        settings = {k: v for k, v in train.items() if k in SPEED_AND_OPTIMISER}
        config = trainer.TrainConfig(data_dir="", out_dir="", **model_config, **settings, optimizer=optimizer)
        torch.manual_seed(0)
        # as the trainer does it: its model (padded vocabulary where the tier asks), TF32 on CUDA, its optimiser
        # over the uncompiled parameters, then torch.compile where the tier's compile setting says so on this device
        trainer.fast_matmuls(device)
        model = trainer.build_model(config).to(device)
        model.train()
        self.optimizer = trainer.build_optimizer(model, config)
        self.model = trainer.compile_model(model, config, device)
        self.compiled = trainer.compile_backend(config.compile, device) or "eager"
        self.vocab_rows = trainer.padded_vocab_size(config.vocab_size, config.vocab_multiple)
        self.grad_clip = config.grad_clip
        g = torch.Generator().manual_seed(0)
        tokens = torch.randint(0, model_config["vocab_size"], (batch, model_config["block_size"] + 1), generator=g)
        self.x, self.y = tokens[:, :-1].to(device), tokens[:, 1:].contiguous().to(device)
        self.device, self.tokens_per_step = device, batch * model_config["block_size"]
        self.params = sum(p.numel() for p in model.parameters())

    def step(self) -> None:
        """One optimiser step as the trainer takes it, for one micro-batch."""
        self.accumulate(self.model, [(self.x, self.y)], self.autocast)
        if self.grad_clip > 0:
            self.clip(self.model.parameters(), self.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)

    def seconds_per_step(self, steps: int) -> float:
        for _ in range(WARMUP):
            self.step()
        sync(self.device)
        t0 = time.perf_counter()
        for _ in range(steps):
            self.step()
        sync(self.device)
        return (time.perf_counter() - t0) / steps


def measure(impl: str, device: str, config: str, steps: int) -> dict:
    """{"rows": [...], "peak", "peak_source", ...}: every row measured in this one process."""
    model_config, train, batch, _ = shape(config, device)
    runners, errors = {}, {}
    for label, tree, optimizer in ROWS:
        try:
            runners[label] = Runner(tree or impl, model_config, train, batch, device, optimizer)
            runners[label].step()
        except Exception as err:  # noqa: BLE001 - a learner's model or trainer can fail in any way; one line
            runners.pop(label, None)
            errors[label] = first_line(err)
    best = {label: float("inf") for label in runners}
    for _ in range(ROUNDS):
        for label, runner in runners.items():
            best[label] = min(best[label], runner.seconds_per_step(steps))
    fpt = flops_per_token(model_config)
    peak_flops, source = peak(device)
    rows = []
    for label, tree, optimizer in ROWS:
        row = {"model": label, "tree": tree or impl, "optimizer": optimizer}
        if label in errors:
            rows.append({**row, "error": errors[label]})
            continue
        runner = runners[label]
        tps = runner.tokens_per_step / best[label]
        rows.append({**row, "params": runner.params, "ms_per_step": 1000 * best[label], "tokens_per_s": tps,
                     "mfu": tps * fpt / peak_flops, "compiled": runner.compiled, "vocab_rows": runner.vocab_rows})
    ref = rows[0]
    for row in rows:
        if "error" not in row and "error" not in ref:
            row["vs_reference"] = row["tokens_per_s"] / ref["tokens_per_s"]
    return {"benchmark": "training_throughput", "impl": impl, "config": config, "device": device,
            "model_config": model_config, "batch": batch, "steps": steps, "rounds": ROUNDS, "warmup": WARMUP,
            **machine(), "flops_per_token": fpt, "peak": peak_flops, "peak_source": source, "rows": rows}


def table(result: dict):
    from rich.table import Table

    c = result["model_config"]
    t = Table(title=f"training throughput · {result['config']} ({c['n_layer']} layers, width {c['n_embd']}, "
                    f"context {c['block_size']}, vocab {c['vocab_size']}) · batch {result['batch']} · {where(result)}",
              caption=f"{result['flops_per_token'] / 1e6:,.1f} MFLOP/token (6N + 12·L·H·Q·T); peak "
                      f"{result['peak'] / 1e12:,.3g} TFLOP/s ({result['peak_source']}); best of {result['rounds']} "
                      f"alternating rounds of {result['steps']} steps; yours: {result['impl']}{load_text(result)}")
    for column in ("GPT and trainer", "optimizer", "compiled", "vocab rows", "params", "ms/step", "tokens/s", "MFU",
                   "vs reference"):
        t.add_column(column, justify="left" if column in ("GPT and trainer", "optimizer", "compiled") else "right")
    for r in result["rows"]:
        if "error" in r:
            t.add_row(r["model"], r["optimizer"], "", "", "", "", "", "", r["error"])
            continue
        ratio = f"{r['vs_reference']:.2f}x" if "vs_reference" in r else ""
        t.add_row(r["model"], r["optimizer"], r["compiled"], f"{r['vocab_rows']:,}", f"{r['params']:,}",
                  f"{r['ms_per_step']:,.1f}",
                  f"{r['tokens_per_s']:,.0f}", f"{100 * r['mfu']:.1f}%", ratio)
    return t


def run(impl: str = "exercises", device: str | None = "auto", config: str | None = None, steps: int = 10,
        threads: int | None = None) -> int:
    import torch
    from grading.benchmarks import console as benchmark_console

    from grading.capstone import tiers as capstone_tiers
    from grading.trees import resolve

    resolve(impl)
    device = capstone_tiers.resolve_device(device)
    config = config or ("smoke" if device == "cpu" else "gpt2-small")
    if steps < 1:
        raise UsageError(f"--steps must be at least 1, got {steps}")
    if threads is not None and threads < 1:
        raise UsageError(f"--threads must be at least 1, got {threads}")
    tier_threads = shape(config, device)[3] if device == "cpu" else None
    if threads or tier_threads:
        torch.set_num_threads(threads or tier_threads)   # CPU threads for every model and for the matmul peak
    result = measure(impl, device, config, steps)
    console = benchmark_console(140)
    console.print(table(result))
    console.print(f"written to {write_json(result, OUT)}")
    return 0 if all("error" not in r for r in result["rows"]) else 1


if __name__ == "__main__":
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m grading.benchmarks.training_throughput")
    parser.add_argument("--impl", default="exercises")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--config")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    try:
        sys.exit(run(args.impl, args.device, args.config, args.steps, args.threads))
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
