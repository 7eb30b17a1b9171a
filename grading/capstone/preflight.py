"""Before a capstone run: does the learner's GPT keep the future out on this device, at the dtype the trainer
will use?

Phase 7's causality property, on the run's own device: a small model (the one the learner's trainer builds for
the run: phase 7's GPT, or phase 9's LLaMA for variant=llama) with the tier's block_size and heads reads two sequences that agree up to position s and differ
everywhere after it; the logits at positions 0..s must agree too. A device whose fused causal attention leaks
(PyTorch once shipped one: half-precision causal SDPA on MPS that attended to later positions) would train a
model that cheats on the training loss and is useless to sample from; the engine refuses it before a run folder
exists. When the device leaks, the same probe on the CPU in float32 tells the device's fault from the GPT's.

The probe imports learner code, so it runs in a child (`python -m grading.capstone preflight`), as every
check does: a class's release, which has no solutions/, runs it on the learner's own phase 7 and 8.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from grading import ROOT, UsageError, engine_env, first_line

LAYERS, VOCAB, BATCH = 1, 64, 2
ATOL = {"float32": 1e-5}     # other dtypes: 3e-2, phase 7's check's bound for bfloat16 and float16
TIMEOUT_S = 300
SHAPE = ("block_size", "n_head", "n_embd", "n_kv_head", "bias", "variant")   # of the tier's model, for the probe


def future_leak(build, precision, device: str, dtype, block_size: int, seed: int = 0) -> float:
    """The largest change of the logits at positions 0..s when only tokens s+1.. change (0 when causal), for the
    model build() returns, on `device` under `precision`'s autocast at `dtype` (the trainer's forward pass)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = build().to(device).eval()
    s = block_size // 2 - 1
    a = torch.randint(0, VOCAB, (BATCH, block_size), generator=gen)
    b = a.clone()
    b[:, s + 1:] = (a[:, s + 1:] + 1 + torch.randint(0, VOCAB - 1, (BATCH, block_size - s - 1), generator=gen)) % VOCAB
    with torch.no_grad(), precision.autocast_context(device, dtype):
        la, _ = model(a.to(device))
        lb, _ = model(b.to(device))
    return float((la[:, :s + 1].float() - lb[:, :s + 1].float()).abs().max())


def probe(impl: str, device: str, settings: dict) -> dict:
    """(In the child) {"dtype", "leak", "cpu_leak" (only when it leaks)} for tree `impl`, or {"problem": ...}.
    The model is the one the tree's trainer builds for the run (build_model: phase 7's GPT, or phase 9's LLaMA for
    variant=llama), one layer deep, at the tier's block size and width."""
    import dataclasses

    import torch

    from grading.trees import ImportFailure, Tree

    tree = Tree(impl)
    try:
        trainer = tree.load("phase08_training_gpt.trainer")
        precision = tree.load("phase08_training_gpt.precision")
        dtype = precision.resolve_dtype(settings.get("dtype", "auto"), device)
        fields = {f.name for f in dataclasses.fields(trainer.TrainConfig)}
        shape = dict(settings, n_layer=LAYERS, vocab_size=VOCAB, dropout=0.0, data_dir="", out_dir="")
        config = trainer.TrainConfig(**{k: v for k, v in shape.items() if k in fields and k != "dtype"})
        block = int(settings["block_size"])
        found = {"dtype": str(dtype).removeprefix("torch."),
                 "leak": future_leak(lambda: trainer.build_model(config), precision, device, dtype, block)}
        if found["leak"] > ATOL.get(found["dtype"], 3e-2) and (device, dtype) != ("cpu", torch.float32):
            found["cpu_leak"] = future_leak(lambda: trainer.build_model(config), precision, "cpu", torch.float32, block)
        return found
    except ImportFailure as err:
        return {"problem": str(err)}
    except Exception as err:  # noqa: BLE001 - the learner's GPT may raise anything; the run must not start
        return {"problem": first_line(err)}


def refuse_leaking_attention(device: str, settings: dict, impl: Path | str) -> None:
    """A UsageError in one line when tree `impl`'s GPT, on the run's device and dtype, lets a position see later
    tokens, or cannot be built at all."""
    env = engine_env()
    cmd = [sys.executable, "-m", "grading.capstone", "preflight", "--impl", str(impl), "--device", device,
           "--settings", json.dumps({"dtype": settings.get("dtype", "auto"), **{k: settings[k] for k in SHAPE if k in settings}})]
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        raise UsageError(f"the preflight (your GPT's causality on {device}) did not finish in {TIMEOUT_S} s") from None
    except (ValueError, IndexError):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"the preflight (your GPT's causality on {device}) crashed: {last}") from None
    if "problem" in found:
        raise UsageError(f"the preflight could not run your GPT on {device}: {found['problem']} "
                         f"(make check phase=7, phase=8)")
    name, leak = found["dtype"], found["leak"]
    if leak <= ATOL.get(name, 3e-2):
        return
    moved = (f"the logits before position {int(settings['block_size']) // 2} moved by {leak:.3g} when only later "
             f"tokens changed")
    if found.get("cpu_leak", leak) > ATOL["float32"]:
        raise UsageError(f"refusing to train: your GPT lets a position see later tokens on {device} at {name} ({moved}); "
                         f"make check phase=7 finds where")
    raise UsageError(f"refusing {device}: its causal attention at {name} lets a position see later tokens ({moved}; "
                     f"the same GPT on the CPU at float32 keeps them out); train with dtype=float32, on another "
                     f"device, or with another torch")
