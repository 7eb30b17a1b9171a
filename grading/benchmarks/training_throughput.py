"""`make bench`: training throughput (tokens/s) and MFU of the learner's GPT against the reference GPT.

Both models get the same shape (a capstone tier's model), the same random batch, torch.optim.AdamW and
the same precision (bf16 autocast on cuda and on mps where supported, fp32 on cpu), on the same device, in
the same process, in alternating rounds (reference, yours, reference, yours); each row reports its best
round, which is the least disturbed by whatever else the machine is doing. One optimiser step = forward,
backward, AdamW update of one micro-batch; the clock stops after the device has finished (synchronize).

MFU = tokens/s x FLOPs per token / peak FLOP/s, with FLOPs per token = 6N + 12 L H Q T (N the parameters
without the position embedding; Kaplan et al., 2020, appendix; Chowdhery et al., 2022, appendix B). The
peak comes from phase 8's table for GPUs (datasheet bf16 dense, or the measured M4 Max figure); on the CPU
it is measured here with a float32 matmul, so CPU MFU reads "fraction of what this CPU's matmul reaches".

    python -m grading bench --impl exercises --device auto [--config smoke|gpt2-small] [--steps 10]
"""
from __future__ import annotations

import contextlib
import time

from grading import UsageError

ROUNDS = 2
WARMUP = 2
CPU_GPT2_BATCH = 1           # GPT-2 Small on a CPU: one sequence of 1024 tokens a step is already slow
CHAR_VOCAB = 76              # the smoke tier's vocabulary: Shakespeare's distinct characters


def _sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()
    elif device == "mps":
        torch.mps.synchronize()


def _autocast(device: str):
    import torch

    if device == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if device == "mps":
        try:
            return torch.autocast("mps", dtype=torch.bfloat16)
        except (RuntimeError, ValueError):   # an older torch without bf16 autocast on MPS
            return contextlib.nullcontext()
    return contextlib.nullcontext()


def shape(config: str, device: str) -> tuple[dict, int]:
    """(GPTConfig fields, batch size) of a capstone tier's model, sized for the device."""
    from grading.capstone import tiers as capstone_tiers

    tier = capstone_tiers.get(config)
    model = {"vocab_size": CHAR_VOCAB, **tier.model}
    budget = tier.budgets.get(device)
    batch = int({**tier.train, **(budget.train if budget else {})}["batch_size"])
    if device == "cpu" and model["block_size"] >= 512:
        batch = CPU_GPT2_BATCH
    return model, batch


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
    """One model (from one tree) being trained on one fixed batch."""

    def __init__(self, tree: str, model_config: dict, batch: int, device: str):
        import torch

        from grading.trees import Tree

        module = Tree(tree).load("phase07_gpt_architecture.model")
        torch.manual_seed(0)
        self.model = module.GPT(module.GPTConfig(**model_config)).to(device)
        self.model.train()
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=1e-4)
        g = torch.Generator().manual_seed(0)
        tokens = torch.randint(0, model_config["vocab_size"], (batch, model_config["block_size"] + 1), generator=g)
        self.x, self.y = tokens[:, :-1].to(device), tokens[:, 1:].contiguous().to(device)
        self.device, self.tokens_per_step = device, batch * model_config["block_size"]
        self.params = sum(p.numel() for p in self.model.parameters())

    def step(self) -> None:
        with _autocast(self.device):
            _, loss = self.model(self.x, self.y)
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)

    def seconds_per_step(self, steps: int) -> float:
        for _ in range(WARMUP):
            self.step()
        _sync(self.device)
        t0 = time.perf_counter()
        for _ in range(steps):
            self.step()
        _sync(self.device)
        return (time.perf_counter() - t0) / steps


def measure(impl: str, device: str, config: str, steps: int) -> dict:
    """{"rows": [...], "peak", "peak_source", ...}: both trees measured in this one process."""
    model_config, batch = shape(config, device)
    runners, errors = {}, {}
    for label, tree in (("reference", "solutions"), ("yours", impl)):
        try:
            runners[label] = Runner(tree, model_config, batch, device)
            runners[label].step()
        except Exception as err:  # noqa: BLE001 - a learner's model can fail in any way; report it in one line
            runners.pop(label, None)
            errors[label] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    best = {label: float("inf") for label in runners}
    for _ in range(ROUNDS):
        for label, runner in runners.items():
            best[label] = min(best[label], runner.seconds_per_step(steps))
    fpt = flops_per_token(model_config)
    peak_flops, source = peak(device)
    rows = []
    for label in ("reference", "yours"):
        if label in errors:
            rows.append({"model": label, "error": errors[label]})
            continue
        runner = runners[label]
        tps = runner.tokens_per_step / best[label]
        rows.append({"model": label, "params": runner.params, "ms_per_step": 1000 * best[label],
                     "tokens_per_s": tps, "mfu": tps * fpt / peak_flops})
    import torch

    return {"config": config, "device": device, "model_config": model_config, "batch": batch, "steps": steps,
            "threads": torch.get_num_threads(),
            "flops_per_token": fpt, "peak": peak_flops, "peak_source": source, "rows": rows}


def table(result: dict):
    from rich.table import Table

    c = result["model_config"]
    n = result["threads"]
    where = result["device"] + (f" ({n} thread{'s' if n > 1 else ''})" if result["device"] == "cpu" else "")
    t = Table(title=f"training throughput · {result['config']} ({c['n_layer']} layers, width {c['n_embd']}, "
                    f"context {c['block_size']}, vocab {c['vocab_size']}) · batch {result['batch']} · {where}",
              caption=f"{result['flops_per_token'] / 1e6:,.1f} MFLOP/token (6N + 12·L·H·Q·T); peak "
                      f"{result['peak'] / 1e12:,.3g} TFLOP/s ({result['peak_source']}); best of {ROUNDS} rounds "
                      f"of {result['steps']} steps")
    for column in ("GPT", "params", "ms/step", "tokens/s", "MFU", "tokens/s vs reference"):
        t.add_column(column, justify="left" if column == "GPT" else "right")
    ref = next(r for r in result["rows"] if r["model"] == "reference")
    for r in result["rows"]:
        if "error" in r:
            t.add_row(r["model"], "", "", "", "", r["error"])
            continue
        ratio = r["tokens_per_s"] / ref["tokens_per_s"] if ref and "error" not in ref else float("nan")
        t.add_row(r["model"], f"{r['params']:,}", f"{r['ms_per_step']:,.1f}", f"{r['tokens_per_s']:,.0f}",
                  f"{100 * r['mfu']:.1f}%", f"{ratio:.2f}x")
    return t


def run(impl: str = "exercises", device: str | None = "auto", config: str | None = None, steps: int = 10,
        threads: int | None = None) -> int:
    from rich.console import Console

    from grading.capstone import tiers as capstone_tiers
    from grading.trees import resolve

    resolve(impl)
    device = capstone_tiers.resolve_device(device)
    config = config or ("smoke" if device == "cpu" else "gpt2-small")
    if steps < 1:
        raise UsageError(f"--steps must be at least 1, got {steps}")
    if threads is not None:
        if threads < 1:
            raise UsageError(f"--threads must be at least 1, got {threads}")
        import torch

        torch.set_num_threads(threads)     # CPU threads for both models and for the matmul peak
    result = measure(impl, device, config, steps)
    Console(highlight=False).print(table(result))
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
