"""One AdamW step of GPT-2 Small's 148 parameter tensors (124M parameters), four ways, in one process on one device:

    per-tensor loop    the workbook's AdamW before it took the multi-tensor form (a copy is kept below):
                       about ten small ops per tensor, so 1,600 a step
    workbook foreach   phase 8's AdamW of --impl (solutions by default): torch._foreach_* over each group
    torch foreach      torch.optim.AdamW(foreach=True)
    torch fused        torch.optim.AdamW(fused=True): the whole update in one kernel per group and dtype

All four step the same parameters (the reference GPT's, in phase 8's two parameter_groups) with the same fixed
random gradients, in alternating rounds (loop, foreach, torch foreach, fused, loop, ...); each row reports its
best round, the least disturbed by whatever else the machine is doing, and its speed as a multiple of the
loop's from the same run. aten ops/step counts the operators one step dispatches (grading/op_count.py): on a GPU
each is at least one kernel launch, so the count is the launch overhead on any device. The table is also
written to build/bench/optimizer_step.json.

    python -m grading.benchmarks.optimizer_step [--impl solutions] [--device auto] [--config gpt2-small|tiny]
                                                [--steps 3] [--rounds 2] [--threads N]
"""
from __future__ import annotations

import time

from grading import UsageError, first_line
from grading.benchmarks import load_text, machine, sync, where, write_json

# GPTConfig fields: GPT-2 Small, and a model with the same 148 tensors at a tiny width (for tests; op counts
# depend on how many tensors there are, not on their sizes).
CONFIGS = {"gpt2-small": dict(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768),
           "tiny": dict(vocab_size=64, block_size=16, n_layer=12, n_head=2, n_embd=16)}
LOOP, WORKBOOK = "per-tensor loop", "workbook foreach"
OUT = "optimizer_step.json"


def per_tensor_adamw():
    """The workbook's AdamW as it was: correct, but a Python loop of small ops over the tensors, with the step
    count a tensor advanced and read back with .item() for every parameter at every step."""
    import torch

    class PerTensorAdamW(torch.optim.Optimizer):
        def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
            super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

        @torch.no_grad()
        def step(self):
            for group in self.param_groups:
                lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if not state:
                        state["step"] = torch.tensor(0.0)
                        state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                        state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["step"] += 1
                    t = state["step"].item()
                    g, m, v = p.grad, state["exp_avg"], state["exp_avg_sq"]
                    p.mul_(1 - lr * wd)
                    m.lerp_(g, 1 - beta1)
                    v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                    m_hat = m / (1 - beta1 ** t)
                    v_hat = v / (1 - beta2 ** t)
                    p.addcdiv_(m_hat, v_hat.sqrt().add_(eps), value=-lr)

    return PerTensorAdamW


def parameter_groups_with_grads(config: str, device: str) -> tuple[list[dict], int, int]:
    """(phase 8's two groups of the reference GPT's parameters, each with a fixed random gradient; tensors;
    parameters)."""
    import torch

    from grading.trees import Tree

    solutions = Tree("solutions")
    model_module = solutions.load("phase07_gpt_architecture.model")
    torch.manual_seed(0)
    model = model_module.GPT(model_module.GPTConfig(**CONFIGS[config])).to(device)
    params = list(model.parameters())
    for p in params:
        p.grad = torch.randn_like(p).mul_(1e-3)
    groups = solutions.load("phase08_training_gpt.adamw").parameter_groups(model, 0.1)
    return groups, len(params), sum(p.numel() for p in params)


def optimizers(impl: str) -> dict:
    """label -> a function of param groups that builds the optimiser (all with lr 1e-4, betas (0.9, 0.95))."""
    import torch

    from grading.trees import Tree

    workbook = Tree(impl).load("phase08_training_gpt.adamw").AdamW
    kwargs = dict(lr=1e-4, betas=(0.9, 0.95))
    return {LOOP: lambda groups: per_tensor_adamw()(groups, **kwargs),
            WORKBOOK: lambda groups: workbook(groups, **kwargs),
            "torch foreach": lambda groups: torch.optim.AdamW(groups, foreach=True, **kwargs),
            "torch fused": lambda groups: torch.optim.AdamW(groups, fused=True, **kwargs)}


def seconds_per_step(optimizer, steps: int, device: str) -> float:
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        optimizer.step()
    sync(device)
    return (time.perf_counter() - t0) / steps


def aten_ops_per_step(optimizer) -> int:
    from grading.op_count import AtenOps

    with AtenOps() as ops:
        optimizer.step()
    return ops.total


def measure(impl: str, device: str, config: str, steps: int, rounds: int) -> dict:
    """{"rows": [{"optimizer", "ms_per_step", "aten_ops_per_step", "speedup_vs_loop", "ops_vs_loop"} or
    {"optimizer", "error"}], ...}: every optimiser measured in this one process."""
    groups, tensors, parameters = parameter_groups_with_grads(config, device)
    built, errors, ops = {}, {}, {}
    for label, make in optimizers(impl).items():
        try:
            built[label] = make([{**g, "params": list(g["params"])} for g in groups])   # torch writes into groups
            built[label].step()                  # the first step creates the state: not timed
            ops[label] = aten_ops_per_step(built[label])
        except Exception as err:  # noqa: BLE001 - a learner's optimiser (or an old torch's fused) can fail any way
            built.pop(label, None)
            errors[label] = first_line(err)
    best = {label: float("inf") for label in built}
    for _ in range(rounds):
        for label, optimizer in built.items():
            best[label] = min(best[label], seconds_per_step(optimizer, steps, device))
    rows = []
    for label in optimizers(impl):
        if label in errors:
            rows.append({"optimizer": label, "error": errors[label]})
            continue
        row = {"optimizer": label, "ms_per_step": 1000 * best[label], "aten_ops_per_step": ops[label]}
        if LOOP in best:
            row.update(speedup_vs_loop=best[LOOP] / best[label], ops_vs_loop=ops[label] / ops[LOOP])
        rows.append(row)
    return {"benchmark": "optimizer_step", "impl": impl, "device": device, "config": config,
            "model_config": CONFIGS[config], "tensors": tensors, "parameters": parameters, "steps": steps,
            "rounds": rounds, **machine(), "rows": rows}


def table(result: dict):
    from rich.table import Table

    t = Table(title=f"one AdamW step · {result['config']}: {result['tensors']} tensors, "
                    f"{result['parameters']:,} parameters · {where(result)}",
              caption=f"best of {result['rounds']} alternating rounds of {result['steps']} steps; ratios against "
                      f"the per-tensor loop of the same run; workbook: {result['impl']}; torch {result['torch']}{load_text(result)}")
    for column in ("optimizer", "ms/step", "aten ops/step", "speed vs loop", "ops vs loop"):
        t.add_column(column, justify="left" if column == "optimizer" else "right")
    for r in result["rows"]:
        if "error" in r:
            t.add_row(r["optimizer"], "", "", "", r["error"])
            continue
        ratios = (f"{r['speedup_vs_loop']:.1f}x", f"{r['ops_vs_loop']:.3f}") if "speedup_vs_loop" in r else ("", "")
        t.add_row(r["optimizer"], f"{r['ms_per_step']:,.1f}", f"{r['aten_ops_per_step']:,}", *ratios)
    return t


def run(impl: str = "solutions", device: str | None = "auto", config: str = "gpt2-small", steps: int = 3,
        rounds: int = 2, threads: int | None = None) -> int:
    from grading.benchmarks import console as benchmark_console

    from grading.capstone import tiers as capstone_tiers
    from grading.trees import resolve

    resolve(impl)
    device = capstone_tiers.resolve_device(device)
    if config not in CONFIGS:
        raise UsageError(f"unknown config {config!r}; valid configs: {', '.join(CONFIGS)}")
    for name, value in (("--steps", steps), ("--rounds", rounds), ("--threads", threads)):
        if value is not None and value < 1:
            raise UsageError(f"{name} must be at least 1, got {value}")
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    result = measure(impl, device, config, steps, rounds)
    console = benchmark_console()
    console.print(table(result))
    console.print(f"written to {write_json(result, OUT)}")
    return 0 if all("error" not in r for r in result["rows"]) else 1


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m grading.benchmarks.optimizer_step",
                                     description="ms/step and aten ops/step of four AdamW implementations")
    parser.add_argument("--impl", default="solutions", help="the tree whose phase 8 AdamW is measured")
    parser.add_argument("--device", default="auto", help="auto | cuda | mps | cpu")
    parser.add_argument("--config", default="gpt2-small", help=" | ".join(CONFIGS))
    parser.add_argument("--steps", type=int, default=3, help="timed steps per optimiser and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, help="CPU threads (default: torch's, one per core)")
    args = parser.parse_args(argv)
    try:
        return run(args.impl, args.device, args.config, args.steps, args.rounds, args.threads)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
