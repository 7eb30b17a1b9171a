"""Phase 5's NumPy training step against phase 6's PyTorch one on the CPU: same model, weights, batch, same run.

One step = the loss, every gradient and one Adam update: phase 5's `loss_and_grads` with phase 2's `adam_step`,
against phase 6's `train_step` (Transformer.loss, backward, torch.optim.Adam) in float64 and in float32. The
model and batches are phase 5's reversal training (train_reversal.py: d_model 64, 4 heads, d_ff 256, 2 + 2
layers, 64 padded strings of length 4..16). Everything runs on one thread; the figure is CPU time
(process_time) per step, the best of --rounds rounds of --steps steps, which other jobs on the machine do
not inflate; wall time is shown beside it. Before timing, the two compute the loss and gradients of the
same weights and batch, and the table shows how far apart they are.

    python -m grading.benchmarks.numpy_vs_torch [--impl solutions|exercises|PATH] [--steps 5] [--rounds 3]
"""
from __future__ import annotations

import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads: one BLAS thread, as torch gets

from grading import UsageError  # noqa: E402


def _per_step(step, steps: int, rounds: int) -> tuple[float, float]:
    """(best CPU seconds per step, wall seconds per step of that round), after one untimed warm-up step."""
    step()
    best = None
    for _ in range(rounds):
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(steps):
            step()
        run = ((time.process_time() - cpu) / steps, (time.perf_counter() - wall) / steps)
        best = run if best is None or run[0] < best[0] else best
    return best


def parity(layers, phase5, model, params, batch, config) -> tuple[float, float]:
    """(|loss difference|, largest |gradient difference| / largest |gradient|) at the same weights and batch."""
    import numpy as np
    import torch

    loss, grads = phase5.loss_and_grads(params, *batch, config)
    model.zero_grad()
    torch_loss = model.loss(*(torch.from_numpy(a) for a in batch))
    torch_loss.backward()
    torch_grads = {n: g.astype(np.float64) for n, g in layers.grads_to_numpy(model, list(params)).items()}
    scale = max(float(np.abs(g).max()) for g in grads.values())
    worst = max(float(np.abs(torch_grads[n] - g).max()) for n, g in grads.items())
    return abs(torch_loss.item() - loss), worst / scale


def main(impl: str = "solutions", steps: int = 5, rounds: int = 3, seed: int = 0) -> int:
    import numpy as np
    import torch
    from grading.benchmarks import console as benchmark_console
    from rich.table import Table

    from grading.trees import ImportFailure, Tree

    if steps < 1 or rounds < 1:
        raise UsageError(f"need --steps >= 1 and --rounds >= 1; got {steps} and {rounds}")
    tree = Tree(impl)
    try:
        reversal = tree.load("phase05_transformer.train_reversal")
        phase5 = tree.load("phase05_transformer.transformer")
        adam_step = tree.load("phase02_sequence_models.optim").adam_step
        layers = tree.load("phase06_pytorch_transition.layers")
        phase6 = tree.load("phase06_pytorch_transition.transformer")
    except ImportFailure as err:
        raise UsageError(str(err)) from None
    torch.set_num_threads(1)
    rng = np.random.default_rng(seed)
    config = reversal.reversal_config()
    lr = 1e-3
    try:
        params = phase5.init_params(config, rng)
        batch = reversal.padded_reversal_batch(64, range(4, 17), rng)
        state = {}

        def numpy_step():
            _, grads = phase5.loss_and_grads(params, *batch, config)
            adam_step(params, grads, state, lr)

        rows = [("NumPy float64 (phase 5 + phase 2's adam_step)", _per_step(numpy_step, steps, rounds), None)]
        for dtype in (torch.float64, torch.float32):
            model = layers.from_numpy(phase6.Transformer(config), params).to(dtype)
            closeness = parity(layers, phase5, model, params, batch, config)
            optimizer = torch.optim.Adam(model.parameters(), lr=lr)
            tensors = [torch.from_numpy(a) for a in batch]
            rows.append((f"PyTorch {str(dtype).split('.')[-1]} (phase 6's train_step)",
                         _per_step(lambda: phase6.train_step(model, optimizer, *tensors), steps, rounds), closeness))
    except NotImplementedError as err:
        raise UsageError(f"{impl}: {err}") from None

    n_params = sum(a.size for a in params.values())
    console = benchmark_console(130)
    table = Table(title=f"One training step on the CPU ({impl}): phase 5's reversal model ({n_params:,} parameters), "
                        f"batch 64 x {batch[0].shape[1]}, one thread, best of {rounds} x {steps} steps")
    for column in ("what", "CPU ms/step", "wall ms/step", "vs NumPy", "|loss diff|", "max grad diff / max grad"):
        table.add_column(column, justify="left" if column == "what" else "right")
    numpy_cpu = rows[0][1][0]
    for what, (cpu, wall), closeness in rows:
        diffs = ("", "") if closeness is None else (f"{closeness[0]:.1e}", f"{closeness[1]:.1e}")
        table.add_row(what, f"{1e3 * cpu:.1f}", f"{1e3 * wall:.1f}", f"{numpy_cpu / cpu:.2f}x", *diffs)
    console.print(table)
    console.print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m grading.benchmarks.numpy_vs_torch", description=__doc__.splitlines()[0])
    parser.add_argument("--impl", default="solutions", help="solutions (default), exercises, or a tree like exercises/")
    parser.add_argument("--steps", type=int, default=5, help="steps per timed round")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per implementation (the best counts)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and the batch")
    args = parser.parse_args()
    try:
        sys.exit(main(args.impl, args.steps, args.rounds, args.seed))
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
