"""`make capstone-grade`: grade a capstone run from evidence, never from the learner's logs.

The checkpoint is loaded with torch.load(weights_only=True) (tensors and plain data; no pickled code runs)
into the REFERENCE GPT from solutions/, and the validation loss is recomputed by the engine on fixed
windows of the held-out split, in fp32. The run passes when every check holds: the record's seal, the
checkpoint's and log's sha256, the nonce, the model shape, the engine-measured time, and the target.
The log is compared with the recomputed loss and shown, never trusted.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from grading import capstone_record as record_io
from grading import capstone_tiers as tiers
from grading.capstone_run import CKPT, ENGINE_LOG, LOG, POLL_S

PREFIXES = ("_orig_mod.", "module.")      # torch.compile and DistributedDataParallel wrap the names
TIME_SLACK_S = 4 * POLL_S                 # the engine sees a new checkpoint within one poll
LOG_TOLERANCE = 0.1                       # nats: claimed vs recomputed, beyond batch-to-batch noise


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


# ---------------------------------------------------------------- evidence

def val_tokens(data_dir: Path) -> np.ndarray:
    """The held-out split as one flat uint16 array (memory-mapped shards, concatenated)."""
    meta = json.loads((Path(data_dir) / "meta.json").read_text())
    parts = [np.memmap(Path(data_dir) / s["file"], dtype=np.uint16, mode="r") for s in meta["splits"]["val"]["shards"]]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def windows(tokens: np.ndarray, block_size: int, count: int) -> np.ndarray:
    """(count, block_size + 1) int64: windows at evenly spaced offsets covering the split, the same every time."""
    if len(tokens) < block_size + 1:
        raise ValueError(f"the validation split has {len(tokens)} tokens, fewer than one window of {block_size + 1}")
    starts = np.linspace(0, len(tokens) - block_size - 1, count).round().astype(np.int64)
    return np.stack([np.asarray(tokens[s:s + block_size + 1], dtype=np.int64) for s in starts])


def recompute_val_loss(model, batches: np.ndarray, device: str, batch: int) -> float:
    """Mean next-token cross-entropy of `model` over the windows, in fp32, with dropout off."""
    import torch

    model.eval().to(device)
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(batches), batch):
            chunk = torch.from_numpy(batches[i:i + batch]).to(device)
            _, loss = model(chunk[:, :-1].contiguous(), chunk[:, 1:].contiguous())
            total += float(loss) * len(chunk)
            count += len(chunk)
    return total / count


def reference_model(model_config: dict):
    from grading.trees import Tree

    ref = Tree("solutions").load("phase07_gpt_architecture.model")
    return ref.GPT(ref.GPTConfig(**model_config))


def clean_state_dict(state: dict) -> dict:
    """Strip wrapper prefixes; fill in a tied weight given only once."""
    out = {}
    for key, value in state.items():
        for prefix in PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix):]
        out[key] = value
    for a, b in (("lm_head.weight", "transformer.wte.weight"), ("transformer.wte.weight", "lm_head.weight")):
        if a in out and b not in out:
            out[b] = out[a]
    return out


def load_weights(model, state: dict) -> str:
    """Load `state` into the reference model; '' when it fits, else what is wrong (one line)."""
    import torch

    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        return "checkpoint['model'] is not a state_dict of tensors"
    state = clean_state_dict(state)
    wte, head = state.get("transformer.wte.weight"), state.get("lm_head.weight")
    if wte is not None and head is not None and wte.shape == head.shape and not torch.equal(wte, head):
        return "lm_head.weight differs from transformer.wte.weight: GPT-2 ties them (one shared matrix)"
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    if missing:
        return f"{len(missing)} of the reference GPT's weights are missing, e.g. {', '.join(missing[:3])}"
    wrong = [f"{k} {tuple(state[k].shape)} (expected {tuple(v.shape)})" for k, v in expected.items()
             if tuple(state[k].shape) != tuple(v.shape)]
    if wrong:
        return f"shape mismatch: {'; '.join(wrong[:3])}"
    model.load_state_dict({k: state[k].float() for k in expected}, strict=True)
    return ""


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    if path.is_file():
        for line in path.read_text(errors="replace").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict):
                rows.append(row)
    return rows


def grading_device(requested: str | None, run_device: str) -> str:
    if requested:
        return tiers.resolve_device(requested)
    return run_device if run_device in tiers.available_devices() else "cpu"


# ---------------------------------------------------------------- the grade

def grade(run: str | None = None, device: str | None = None) -> dict:
    """Every check of one run, the recomputed loss, and the verdict; writes grade.json and grade.png."""
    import torch

    folder = record_io.find_run(run)
    checks: list[Check] = []
    flags: list[str] = []

    def check(name: str, ok: bool, detail: str) -> bool:
        checks.append(Check(name, bool(ok), detail))
        return ok

    try:
        record = record_io.read_record(folder)
    except Exception as err:  # noqa: BLE001 - an unreadable record is a failed grade, not a crash
        record = {}
        check("run record", False, f"{folder / record_io.RECORD} cannot be read: {err}")
    sealed = bool(record) and record_io.seal_ok(record)
    if record:
        check("run record", sealed, "sealed by the engine and unedited" if sealed else
              f"{record_io.RECORD} does not match the engine's seal: it was edited after the run")
    status = record.get("status")
    check("run finished", status not in (None, "running"),
          f"status: {status}" if status not in (None, "running") else
          "the run never finished recording (the engine was stopped before the trainer exited)")
    try:
        tier = tiers.get(record.get("tier", ""))
        if tier.fingerprint() != record.get("tier_fingerprint"):
            flags.append(f"tier {tier.name!r} was changed in capstone.toml since this run; graded against the run's own target and budget")
    except Exception:  # noqa: BLE001
        tier = None
        check("tier", False, f"unknown tier {record.get('tier')!r}")
    target, budget = record.get("target", math.nan), record.get("budget_s", math.nan)

    # The files the record vouches for.
    ckpt_info = record.get("checkpoint") or {}
    ckpt_path = folder / ckpt_info.get("file", CKPT)
    ckpt_hash = record_io.sha256_file(ckpt_path)
    check("checkpoint file", ckpt_hash is not None and ckpt_hash == ckpt_info.get("sha256"),
          f"{ckpt_path.name}, sha256 as recorded" if ckpt_hash and ckpt_hash == ckpt_info.get("sha256") else
          f"{ckpt_path.name} is missing" if ckpt_hash is None else
          f"{ckpt_path.name} is not the checkpoint the run wrote (sha256 differs from the record)")
    log_ok = record_io.sha256_file(folder / LOG) == record.get("log_sha256") and \
        record_io.sha256_file(folder / ENGINE_LOG) == record.get("engine_log_sha256")
    check("training log", log_ok, "log.jsonl and engine.jsonl as recorded" if log_ok else
          "log.jsonl or engine.jsonl was edited after the run (sha256 differs from the record)")

    # The checkpoint itself: weights only, then into the reference GPT.
    ckpt, recomputed, eval_info = None, None, {}
    if ckpt_hash is not None:
        try:
            ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
            check("weights-only load", isinstance(ckpt, dict), "torch.load(weights_only=True) succeeded"
                  if isinstance(ckpt, dict) else "the checkpoint is not a dict")
        except Exception as err:  # noqa: BLE001
            check("weights-only load", False, f"torch.load(weights_only=True) refused it: {str(err).splitlines()[0]}")
        if not isinstance(ckpt, dict):
            ckpt = None
    if ckpt is not None:
        nonce = ckpt.get("nonce")
        check("nonce", bool(record.get("nonce")) and nonce == record.get("nonce"),
              "the checkpoint carries this run's nonce" if nonce == record.get("nonce") else
              "the checkpoint carries another run's nonce: it was not written by this run" if nonce else
              "the checkpoint carries no nonce (TrainConfig.nonce must be saved in it)")
        model_config = record.get("model_config") or {}
        claimed = ckpt.get("model_config") or {}
        differs = {k: (claimed.get(k), v) for k, v in model_config.items() if k in claimed and claimed[k] != v}
        if differs:
            flags.append("checkpoint's model_config differs from the tier's: " +
                         ", ".join(f"{k} {a} (tier: {b})" for k, (a, b) in differs.items()))
        try:
            model = reference_model(model_config)
            problem = load_weights(model, ckpt.get("model"))
        except Exception as err:  # noqa: BLE001
            model, problem = None, f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        if check("reference GPT", not problem, "the weights load into the reference GPT (the tier's shape)"
                 if not problem else problem):
            eval_device = grading_device(device, record.get("device", "cpu"))
            if eval_device == "cpu" and record.get("threads"):
                torch.set_num_threads(int(record["threads"]))     # as the tier ran: robust on a busy machine
            try:
                data_dir = Path(record["data"]["dir"])
                meta = json.loads((data_dir / "meta.json").read_text())
                same = [s["sha256"] for s in meta["splits"]["val"]["shards"]] == record["data"]["val"]
                if check("validation data", same, f"{data_dir.name}: the held-out split the run was set up with"
                         if same else f"{data_dir} no longer holds the run's validation split"):
                    spec = tier.eval if tier else {"windows": 64, "batch": 8}
                    batches = windows(val_tokens(data_dir), model_config["block_size"], int(spec["windows"]))
                    recomputed = recompute_val_loss(model, batches, eval_device, int(spec["batch"]))
                    eval_info = {"windows": len(batches), "tokens": int(batches[:, 1:].size), "device": eval_device}
            except (OSError, KeyError, ValueError) as err:
                check("validation data", False, f"cannot read the validation data: {err}")

    # Time and target.
    seen = ckpt_info.get("seen_s")
    if seen is not None:
        check("time", seen <= budget + TIME_SLACK_S,
              f"checkpoint written by {seen:.1f} s (engine clock), budget {budget:g} s")
    if recomputed is not None:
        ok = math.isfinite(recomputed) and recomputed <= target
        check("target", ok, f"recomputed validation loss {recomputed:.4f} {'<=' if ok else '>'} target {target:g}")

    # The learner's claims, compared, not trusted.
    claimed = _claimed_val(ckpt, read_jsonl(folder / LOG))
    if claimed is not None and recomputed is not None and math.isfinite(recomputed):
        if abs(claimed - recomputed) > max(LOG_TOLERANCE, 0.05 * recomputed):
            flags.append(f"the training log claims validation loss {claimed:.4f} at the graded step but the grader "
                         f"measures {recomputed:.4f}: the learner's evaluation (or model) disagrees with the reference")
    if record.get("max_steps_override"):
        flags.append(f"a shortened run: --max-steps {record['max_steps_override']}")
    if record.get("log_bad_lines"):
        flags.append(f"{record['log_bad_lines']} line(s) of log.jsonl were not JSON objects")

    passed = bool(checks) and all(c.ok for c in checks)
    result = {
        "run_id": record.get("run_id", folder.name), "folder": str(folder), "tier": record.get("tier"), "device": record.get("device"),
        "hardware": record.get("hardware"), "passed": passed,
        "points": record.get("points", 0) if passed else 0, "max_points": record.get("points", 0),
        "target": target, "recomputed_val_loss": recomputed, "claimed_val_loss": claimed,
        "step": ckpt.get("step") if ckpt else None, "tokens": ckpt.get("tokens") if ckpt else None,
        "checkpoint_seen_s": seen, "budget_s": budget, "wall_s": record.get("wall_s"), "status": status,
        "eval": eval_info, "checks": [asdict(c) for c in checks], "flags": flags, "graded_utc": record_io.now_utc(),
    }
    record_io.write_json(folder / "grade.json", result)
    try:
        from grading.capstone_plot import plot

        result["plot"] = str(plot(folder, result))
    except Exception as err:  # noqa: BLE001 - a missing plot never changes a grade
        flags.append(f"no plot: {err}")
    record_io.write_json(folder / "grade.json", result)
    return result


def _claimed_val(ckpt: dict | None, log: list[dict]) -> float | None:
    """What the learner's own evaluation said about the graded checkpoint: the log's entry for its step,
    else the value stored in the checkpoint."""
    step = ckpt.get("step") if ckpt else None
    for row in reversed(log):
        if "val_loss" in row and row.get("step") == step:
            try:
                return float(row["val_loss"])
            except (TypeError, ValueError):
                return None
    try:
        return float(ckpt["val_loss"]) if ckpt and ckpt.get("val_loss") is not None else None
    except (TypeError, ValueError):
        return None


def report(result: dict) -> None:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    console.print(f"\n[bold]Capstone grade[/]: run {result['run_id']} (tier {result['tier']}, {result['device']}: "
                  f"{result['hardware']})")
    for c in result["checks"]:
        mark = "[green]✓[/]" if c["ok"] else "[red]✗[/]"
        console.print(f" {mark} {c['name']:<18} ", end="")
        console.print(c["detail"], markup=False)
    for flag in result["flags"]:
        console.print(" [yellow]![/] ", end="")
        console.print(flag, markup=False)
    verdict = "[bold green]PASS[/]" if result["passed"] else "[bold red]FAIL[/]"
    loss = result["recomputed_val_loss"]
    console.print(f"{verdict}  {result['points']}/{result['max_points']} points · recomputed val loss "
                  f"{'n/a' if loss is None else f'{loss:.4f}'} (target {result['target']:g})")
    folder = Path(result["folder"])
    console.print(f"[dim]{folder / 'grade.json'}" + (f" · {result['plot']}" if result.get("plot") else "") + "[/]")
