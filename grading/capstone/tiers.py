"""The capstone's tiers (grading/capstone/capstone.toml, or a teacher's file of the same shape) and the device a
run uses. On a CPU a budget is CPU seconds of the trainer's process tree; on a GPU (cuda, mps), wall seconds."""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from grading import ROOT, UsageError

TIERS_FILE = ROOT / "grading" / "capstone" / "capstone.toml"
DEVICES = ("cuda", "mps", "cpu")
WALL_CAP = 4      # a CPU run also stops at this many times its budget in wall time: a trainer that hangs uses no CPU
# TrainConfig fields a tier may set (phase 8's trainer interface); data_dir, out_dir, device, nonce, seed (drawn
# from the nonce, so that no two runs train alike), max_seconds, max_cpu_seconds and progress are the engine's.
TRAIN_FIELDS = ("batch_size", "grad_accum_steps", "max_steps", "lr", "min_lr", "warmup_steps", "weight_decay",
                "beta1", "beta2", "grad_clip", "eval_interval", "eval_batches", "dtype", "compile", "optimizer",
                "log_interval", "vocab_multiple")
# variant: "gpt2" (phase 7's GPT, the default) or "llama" (phase 9's LLaMA-style GPT, with n_kv_head key-value heads)
MODEL_FIELDS = ("n_layer", "n_head", "n_embd", "block_size", "vocab_size", "dropout", "bias", "variant", "n_kv_head")


@dataclass(frozen=True)
class Budget:
    device: str          # cuda | mps | cpu
    seconds: float       # from spawning the trainer to its graded checkpoint, by `clock`
    target: float        # test loss to reach (the tier's unless the device overrides it)
    basis: str           # where the figure comes from: measured (by whom, where) or an estimate (how)
    train: dict          # TrainConfig fields that replace the tier's on this device
    threads: int | None  # CPU threads for the trainer (OMP_NUM_THREADS); None: torch's default

    @property
    def clock(self) -> str:
        """'cpu': user + system seconds of the trainer's process tree, which a busy machine does not inflate;
        'wall': seconds on the engine's clock (a GPU's work does not show as CPU time)."""
        return "cpu" if self.device == "cpu" else "wall"

    @property
    def wall_cap_s(self) -> float:
        """Wall seconds after which a run stops whatever its clock says."""
        return self.seconds * WALL_CAP if self.clock == "cpu" else self.seconds

    def describe(self) -> str:
        return f"{clock_text(self.seconds)} of {'CPU' if self.clock == 'cpu' else 'wall'} time"


@dataclass(frozen=True)
class Tier:
    name: str
    title: str
    points: int
    target: float
    grace_s: float
    reserve_s: float
    data: dict           # {"source", "tokenizer"} for data.prepare.prepare
    model: dict          # GPTConfig fields
    train: dict          # TrainConfig fields
    eval: dict           # {"windows", "batch"}: the grader's fixed validation windows
    budgets: dict = field(default_factory=dict)   # device -> Budget

    def budget(self, device: str) -> Budget:
        if device not in self.budgets:
            raise UsageError(f"tier {self.name!r} has no budget for device {device!r}; "
                             f"it has budgets for: {', '.join(self.budgets)}")
        return self.budgets[device]

    def spec(self) -> dict:
        """Everything that defines the tier, as plain data (sealed into each run record)."""
        return {"name": self.name, "title": self.title, "points": self.points, "target": self.target,
                "grace_s": self.grace_s, "reserve_s": self.reserve_s, "data": self.data, "model": self.model,
                "train": self.train, "eval": self.eval,
                "budgets": {d: {"seconds": b.seconds, "target": b.target, "train": b.train, "threads": b.threads}
                            for d, b in self.budgets.items()}}

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.spec(), sort_keys=True).encode()).hexdigest()


def _check_keys(where: str, table: dict, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise UsageError(f"{where} has unknown field(s) {', '.join(unknown)}; valid: {', '.join(allowed)}")


def _tier(name: str, raw: dict) -> Tier:
    try:
        model, train = dict(raw["model"]), dict(raw["train"])
        _check_keys(f"tiers.{name}.model", model, MODEL_FIELDS)
        _check_keys(f"tiers.{name}.train", train, TRAIN_FIELDS)
        budgets = {}
        for device, table in raw["devices"].items():
            if device not in DEVICES:
                raise UsageError(f"tiers.{name}.devices.{device}: valid devices are {', '.join(DEVICES)}")
            table = dict(table)
            seconds, basis = float(table.pop("budget_s")), str(table.pop("basis", ""))
            target = float(table.pop("target", raw["target"]))
            threads = table.pop("threads", None)
            _check_keys(f"tiers.{name}.devices.{device}", table, TRAIN_FIELDS)
            budgets[device] = Budget(device, seconds, target, basis, table, None if threads is None else int(threads))
        return Tier(name=name, title=raw["title"], points=int(raw["points"]), target=float(raw["target"]),
                    grace_s=float(raw["grace_s"]), reserve_s=float(raw["reserve_s"]), data=dict(raw["data"]),
                    model=model, train=train, eval=dict(raw["eval"]), budgets=budgets)
    except KeyError as err:
        raise UsageError(f"tier {name!r} lacks the field {err.args[0]!r}") from None
    except (TypeError, ValueError, AttributeError) as err:
        raise UsageError(f"tier {name!r} has a field of the wrong kind ({err})") from None


def load(path: Path | str | None = None) -> dict[str, Tier]:
    """Every tier of the file (default: the workbook's), or a UsageError naming the file and what is wrong."""
    path = Path(path or TIERS_FILE)
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except OSError as err:
        raise UsageError(f"the tiers file {path} cannot be read ({err.strerror or err})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise UsageError(f"the tiers file {path} is not valid TOML: {err}") from None
    tables = raw.get("tiers")
    if not isinstance(tables, dict) or not tables or not all(isinstance(t, dict) for t in tables.values()):
        raise UsageError(f"the tiers file {path} has no [tiers.NAME] tables")
    try:
        return {name: _tier(name, table) for name, table in tables.items()}
    except UsageError as err:
        raise UsageError(f"the tiers file {path}: {err}") from None


def get(name: str, path: Path | str | None = None) -> Tier:
    tiers = load(path)
    if name not in tiers:
        raise UsageError(f"unknown tier {name!r}; valid tiers: {', '.join(tiers)}")
    return tiers[name]


VARIANTS, OPTIMIZERS = ("gpt2", "llama"), ("adamw", "fused", "muon")
MUON_LR_SCALE = 2.0  # the smoke tier's best Muon rate was twice AdamW's (4e-3 of 2e-3, 4e-3, 8e-3; phase 9 notes)


def customise(tier: Tier, variant: str | None = None, optimizer: str | None = None) -> Tier:
    """The tier with phase 9's choices: variant=llama (RoPE, RMSNorm, SwiGLU, grouped-query attention, no biases)
    and optimizer=muon (Muon on the hidden matrices, at MUON_LR_SCALE times the tier's rate) or optimizer=fused
    (torch.optim.AdamW(fused=True) in place of the learner's AdamW, the same rate). Budget and target
    stay the tier's; the choice is sealed into the run record with the rest of the tier."""
    if variant is not None and variant not in VARIANTS:
        raise UsageError(f"unknown variant {variant!r}; valid variants: {', '.join(VARIANTS)}")
    if optimizer is not None and optimizer not in OPTIMIZERS:
        raise UsageError(f"unknown optimizer {optimizer!r}; valid optimizers: {', '.join(OPTIMIZERS)}")
    model, train = dict(tier.model), dict(tier.train)
    if variant == "llama":
        model.update(variant="llama", bias=False)
    if optimizer == "muon" and train.get("optimizer", "adamw") != "muon":
        train.update(optimizer="muon", lr=train["lr"] * MUON_LR_SCALE, min_lr=train["min_lr"] * MUON_LR_SCALE)
    if optimizer == "fused":
        train.update(optimizer="fused")
    if (model, train) == (tier.model, tier.train):
        return tier
    suffix = "+".join(x for x in (variant if variant == "llama" else "", optimizer if optimizer != "adamw" else "") if x)
    return replace(tier, model=model, train=train, title=f"{tier.title} ({suffix})")


def ask_for_tier(device: str, path: Path | str | None = None) -> UsageError:
    """The one line `make capstone` gives on a CPU when no tier was named (the default would be a day's run)."""
    offers = [f"{t.name} ({t.budgets[device].describe()})" for t in load(path).values() if device in t.budgets]
    return UsageError(f"say which tier: make capstone tier=NAME; on {device}: {'; '.join(offers) or 'no tier has a budget'}")


def clock_text(seconds: float) -> str:
    seconds = float(seconds)
    if seconds < 600:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def available_devices() -> list[str]:
    """Device classes this machine can train on, in order of preference. The engine asks torch itself rather
    than phase 7's `available_devices` (a learner's file, and in a class's release there is no reference)."""
    import torch

    mps = getattr(torch.backends, "mps", None)
    return [d for d, ok in (("cuda", torch.cuda.is_available()), ("mps", mps is not None and mps.is_available()))
            if ok] + ["cpu"]


def resolve_device(name: str | None) -> str:
    """'auto' | 'cuda' | 'mps' | 'cpu' -> a device class available here, or a UsageError naming the valid ones."""
    choice = (name or "auto").strip().lower()
    if choice not in ("auto",) + DEVICES:
        raise UsageError(f"unknown device {name!r}; valid devices: auto, {', '.join(DEVICES)}")
    available = available_devices()
    if choice == "auto":
        return available[0]
    if choice not in available:
        raise UsageError(f"device {choice!r} is not available on this machine; available: {', '.join(available)}")
    return choice


def resolve_nproc(value, device: str) -> int:
    """`make capstone nproc=N`: how many trainer processes (torchrun ranks) to start; a UsageError naming what is
    valid on this device otherwise (at most one per GPU; on a CPU at most one per core; MPS is one device)."""
    if value is None:
        return 1
    try:
        n = int(str(value).strip())
    except ValueError:
        raise UsageError(f"nproc={value!r} is not a whole number of processes; valid: 1 to {_most_processes(device)}") from None
    if n < 1:
        raise UsageError(f"nproc={n}: it must be at least 1 (1 to {_most_processes(device)} on {device})")
    most = _most_processes(device)
    if n > most:
        what = {"cuda": f"{most} CUDA device(s)", "mps": "one Apple GPU (MPS trains in one process)",
                "cpu": f"{most} CPU core(s)"}[device]
        raise UsageError(f"nproc={n}: this machine has {what}; valid: 1 to {most}")
    return n


def _most_processes(device: str) -> int:
    import os

    if device == "cuda":
        import torch

        return torch.cuda.device_count()
    return 1 if device == "mps" else (os.cpu_count() or 1)


def check_shards(tier: Tier, device: str, nproc: int) -> None:
    """Each process takes batch_size / nproc rows of every batch: refuse a batch that does not split evenly."""
    batch = {**tier.train, **tier.budget(device).train}.get("batch_size", 1)
    if batch % nproc:
        raise UsageError(f"nproc={nproc}: tier {tier.name!r} has batch_size {batch} on {device}, which does not split "
                         f"into {nproc} equal shards; use an nproc that divides {batch}")


def device_name(device: str, threads: int | None = None) -> str:
    """A human name for the hardware behind a device class: the GPU's name, or the CPU and its threads."""
    import os
    import platform

    import torch

    if device == "cuda":
        return torch.cuda.get_device_name(0)
    if device == "mps":
        return f"Apple GPU through MPS ({platform.machine()}, {platform.mac_ver()[0] or 'macOS'})"
    return f"CPU {platform.processor() or platform.machine()}, {threads or torch.get_num_threads()} of {os.cpu_count()} threads"


def model_config(tier: Tier, vocab_size: int) -> dict:
    """GPTConfig fields of the tier's model; the vocabulary comes from the data unless the tier fixes it."""
    config = {"vocab_size": vocab_size, **tier.model}
    if config["vocab_size"] < vocab_size:
        raise UsageError(f"tier {tier.name!r} has vocab_size {config['vocab_size']} but its data uses {vocab_size} token ids")
    return config


def train_config(tier: Tier, device: str, *, data_dir: Path, out_dir: Path, nonce: str, seed: int, vocab_size: int,
                 max_steps: int | None = None, progress: bool = True) -> dict:
    """The keyword arguments of phase 8's TrainConfig for a fresh run of `tier` on `device`: the trainer is
    told to stop reserve_s before the budget, by the budget's clock."""
    budget = tier.budget(device)
    limit = max(1.0, budget.seconds - tier.reserve_s)
    config = {"data_dir": str(data_dir), "out_dir": str(out_dir), **model_config(tier, vocab_size),
              **tier.train, **budget.train,
              "device": device, "nonce": nonce, "seed": seed, "progress": progress, "resume": False,
              "max_seconds": None if budget.clock == "cpu" else limit,
              "max_cpu_seconds": limit if budget.clock == "cpu" else None}
    if max_steps is not None:
        if max_steps < 1:
            raise UsageError(f"--max-steps must be a positive number of steps, got {max_steps}")
        config["max_steps"] = max_steps
    return config
