"""`make capstone-grade`: grade a capstone run from evidence, never from the learner's logs.

The grade is the test loss: the checkpoint is loaded with torch.load(weights_only=True) (tensors and plain
data; no pickled code runs) into the REFERENCE GPT from solutions/, and the grader computes the next-token
loss itself, in fp32, on fixed windows of the test split: tokens the trainer was never given, hashed from the
shards at the start of the run and again now. The run passes when every check holds: the record's seal, the
files it vouches for, the nonce, the model's shape, the test tokens, the engine-measured time, a duration
plausible for the steps trained, weights that are no copy of an earlier run's, a model that does not know
its validation split far better than unseen text, and the target. The trainer's log is compared, never trusted.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from grading import UsageError, first_line
from grading.capstone import record as record_io
from grading.capstone import tiers
from grading.capstone.record import CONFIG, ENGINE_LOG, LOG, SKETCH

PREFIXES = ("_orig_mod.", "module.")      # torch.compile and DistributedDataParallel wrap the names
TIME_SLACK_S = 1.0                        # the engine sees a new checkpoint within one poll (per thread on a CPU)
LOG_TOLERANCE = 0.1                       # nats: claimed vs recomputed, beyond batch-to-batch noise
SAMPLE = 1 << 16                          # weights sampled from the matrices to compare runs
COPY_COSINE = 0.99                        # independently initialised runs are near 0, copies near 1
HELD_OUT_GAP = 0.3                        # nats: test loss above validation loss beyond this is trained-on-val
# Training FLOP/s no device reaches: per CPU-second on a CPU (a core's fp32 peak is 100-250 GFLOP/s; Apple's
# matrix units reach more in large products, never for a whole training step), per wall second on a GPU
# (dense bf16 peaks: H100 0.99, B200 2.25 PFLOP/s; Apple's M-series GPUs under 0.05).
IMPLAUSIBLE_FLOPS = {"cpu": 1e12, "mps": 1e14, "cuda": 2.5e15}


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


# ---------------------------------------------------------------- evidence

def windows(tokens: np.ndarray, block_size: int, count: int) -> np.ndarray:
    """(count, block_size + 1) int64: windows at evenly spaced offsets covering the split, the same every time."""
    if len(tokens) < block_size + 1:
        raise ValueError(f"the split has {len(tokens)} tokens, fewer than one window of {block_size + 1}")
    starts = np.linspace(0, len(tokens) - block_size - 1, count).round().astype(np.int64)
    return np.stack([np.asarray(tokens[s:s + block_size + 1], dtype=np.int64) for s in starts])


def recompute_loss(model, batches: np.ndarray, device: str, batch: int) -> float:
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


def reference_gpt(model_config: dict):
    """The reference model of the tier's shape: phase 7's GPT, or the model its "variant" names (phase 9's)."""
    from types import SimpleNamespace

    from grading.trees import Tree

    if model_config.get("variant", "gpt2") == "gpt2":
        ref = Tree("solutions").load("phase07_gpt_architecture.model")
        return ref.GPT(ref.GPTConfig(**{k: v for k, v in model_config.items() if k not in ("variant", "n_kv_head")}))
    variants = Tree("solutions").load("phase09_modern_developments.variants")
    return variants.build_model(SimpleNamespace(**{"dropout": 0.0, "bias": False, **model_config}))


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


def weights_sample(state) -> np.ndarray:
    """SAMPLE weights at fixed positions of the model's weight matrices (every *.weight of two or more
    dimensions, by name), float32: enough to tell an independently trained model (cosine similarity near 0)
    from a copy (near 1). Norm layers and buffers such as a causal mask are alike in every run, so left out."""
    import torch

    if not isinstance(state, dict):
        raise ValueError("checkpoint['model'] is not a state_dict")
    state = clean_state_dict(state)
    matrices = [state[k].detach().float().flatten() for k in sorted(state)
                if k.endswith(".weight") and isinstance(state[k], torch.Tensor) and state[k].dim() >= 2]
    if not matrices:
        raise ValueError("checkpoint['model'] holds no weight matrices")
    flat = torch.cat(matrices)
    if len(flat) > SAMPLE:
        index = np.random.default_rng(0).integers(0, len(flat), SAMPLE)
        flat = flat[torch.from_numpy(index)]
    return flat.numpy().astype(np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64), b.astype(np.float64)
    denominator = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / denominator) if denominator > 0 else 1.0


def earlier_copies(folder: Path, record: dict, sample: np.ndarray, sha256: str | None) -> list[str]:
    """Earlier runs (other nonces, started no later) whose graded weights this checkpoint copies."""
    found = []
    for other in record_io.runs():
        if other.resolve() == folder.resolve():
            continue
        try:
            theirs = record_io.read_record(other)
        except UsageError:
            continue
        info = theirs.get("checkpoint") or {}
        if theirs.get("nonce") == record.get("nonce") or str(theirs.get("started_utc")) > str(record.get("started_utc")):
            continue
        if sha256 and info.get("sha256") == sha256:
            found.append(f"identical to run {other.name}'s checkpoint (the same sha256)")
            continue
        theirs_sample = _sample_of(other, info)
        if theirs_sample is not None and theirs_sample.shape == sample.shape and cosine(sample, theirs_sample) >= COPY_COSINE:
            found.append(f"a copy of run {other.name}'s weights (cosine similarity {cosine(sample, theirs_sample):.4f})")
    return found


def _sample_of(folder: Path, info: dict) -> np.ndarray | None:
    """A run's weights sample: its sketch.npy when the record vouches for it, else from its checkpoint."""
    import torch

    path = folder / SKETCH
    try:
        if info.get("sketch_sha256") and record_io.sha256_file(path) == info["sketch_sha256"]:
            return np.load(path)
        ckpt_path = folder / str(info.get("file", record_io.CKPT))
        if info.get("sha256") and record_io.sha256_file(ckpt_path) == info["sha256"]:
            return weights_sample(torch.load(ckpt_path, map_location="cpu", weights_only=True).get("model"))
    except Exception:  # noqa: BLE001 - a run that cannot be read is no evidence either way
        return None
    return None


def flops_per_step(model, record: dict) -> float:
    """Training FLOPs of one optimiser step of the tier's model (phase 8's 6N + 12·L·H·Q·T per token)."""
    from grading.trees import Tree

    variants = Tree("solutions").load("phase09_modern_developments.variants")
    config = record["config"]
    tokens = config["batch_size"] * config["block_size"] * config.get("grad_accum_steps", 1)
    return variants.flops_per_token(model) * tokens


def grading_device(requested: str | None, run_device: str) -> str:
    if requested:
        return tiers.resolve_device(requested)
    return run_device if run_device in tiers.available_devices() else "cpu"


# ---------------------------------------------------------------- the grade

def grade(run: str | None = None, device: str | None = None) -> dict:
    """Every check of one run, the recomputed losses, and the verdict; writes grade.json and grade.png."""
    import torch

    folder = record_io.find_run(run)
    checks: list[Check] = []
    flags: list[str] = []

    def check(name: str, ok: bool, detail: str) -> bool:
        checks.append(Check(name, bool(ok), detail))
        return ok

    try:
        record = record_io.read_record(folder)
    except UsageError as err:
        record = {}
        check("run record", False, str(err))
    if record:
        sealed = record_io.seal_ok(record)            # a missing or damaged key: a UsageError, one line
        check("run record", sealed, "sealed by the engine and unedited" if sealed else
              f"{record_io.RECORD} does not match the engine's seal: it was edited after the run")
    status = record.get("status")
    check("run finished", status not in (None, "running"),
          f"status: {status}" if status not in (None, "running") else
          "the run never finished recording (the engine was stopped before the trainer exited)")
    _tier_flags(record, flags)
    target, budget, clock = record.get("target", math.nan), record.get("budget_s", math.nan), record.get("clock", "wall")
    implementation = record.get("impl") if isinstance(record.get("impl"), dict) else {"label": record.get("impl")}

    # The files the record vouches for.
    ckpt_info = record.get("checkpoint") or {}
    ckpt_path = folder / str(ckpt_info.get("file", record_io.CKPT))
    ckpt_hash = record_io.sha256_file(ckpt_path)
    check("checkpoint file", ckpt_hash is not None and ckpt_hash == ckpt_info.get("sha256"),
          f"{ckpt_path.name}, sha256 as recorded" if ckpt_hash and ckpt_hash == ckpt_info.get("sha256") else
          f"{ckpt_path.name} is missing" if ckpt_hash is None else
          f"{ckpt_path.name} is not the checkpoint the run wrote (sha256 differs from the record)")
    edited = [name for name, key in ((LOG, "log_sha256"), (ENGINE_LOG, "engine_log_sha256"), (CONFIG, "config_sha256"))
              if record_io.sha256_file(folder / name) != record.get(key)]
    check("training log", not edited, f"{LOG}, {ENGINE_LOG} and {CONFIG} as recorded" if not edited else
          f"{' and '.join(edited)} changed after the run (sha256 differs from the record)")

    # The checkpoint itself: weights only, then into the reference GPT.
    ckpt, model, sample = None, None, None
    if ckpt_hash is not None:
        if ckpt_path.stat().st_size == 0:
            check("weights-only load", False, f"{ckpt_path.name} is empty (0 bytes)")
        else:
            try:
                ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
                check("weights-only load", isinstance(ckpt, dict), "torch.load(weights_only=True) succeeded"
                      if isinstance(ckpt, dict) else "the checkpoint is not a dict")
            except Exception as err:  # noqa: BLE001 - a damaged file is a failed check, never a crash
                check("weights-only load", False, f"torch.load(weights_only=True) refused it: {first_line(err)}")
        if not isinstance(ckpt, dict):
            ckpt = None
    if ckpt is not None:
        from solutions.phase08_training_gpt.trainer import CHECKPOINT_KEYS  # the one contract: trainer, checks, grader

        missing = [key for key in CHECKPOINT_KEYS if key not in ckpt]
        check("checkpoint keys", not missing, "the checkpoint holds every key of the trainer's CHECKPOINT_KEYS"
              if not missing else f"the checkpoint lacks {', '.join(missing)} (the trainer's CHECKPOINT_KEYS)")
        nonce = ckpt.get("nonce")
        check("nonce", bool(record.get("nonce")) and nonce == record.get("nonce"),
              "the checkpoint carries this run's nonce" if nonce == record.get("nonce") else
              "the checkpoint carries another run's nonce: it was not written by this run" if nonce else
              "the checkpoint carries no nonce (TrainConfig.nonce must be saved in it)")
        model_config = record.get("model_config") or {}
        claimed = ckpt.get("model_config") if isinstance(ckpt.get("model_config"), dict) else {}
        differs = {k: (claimed.get(k), v) for k, v in model_config.items() if k in claimed and claimed[k] != v}
        if differs:
            flags.append("checkpoint's model_config differs from the tier's: " +
                         ", ".join(f"{k} {a} (tier: {b})" for k, (a, b) in differs.items()))
        try:
            model = reference_gpt(model_config)
            problem = load_weights(model, ckpt.get("model"))
        except Exception as err:  # noqa: BLE001
            model, problem = None, first_line(err)
        if not check("reference GPT", not problem, "the weights load into the reference GPT (the tier's shape)"
                     if not problem else problem):
            model = None
        else:
            sample = weights_sample(ckpt["model"])

    losses, eval_info = _held_out_losses(model, record, device, check, flags)
    test_loss, val_loss = losses.get("test"), losses.get("val")

    # Time, duration, copies, the held-out gap and the target.
    seen = ckpt_info.get(f"seen_{clock}_s")
    threads = record.get("threads") or os.cpu_count() or 1
    if seen is not None:
        slack = TIME_SLACK_S * (threads if clock == "cpu" else 1)
        check("time", seen <= budget + slack, f"checkpoint first seen at {seen:.1f} s of {clock} time (engine), "
              f"budget {budget:g} s")
    if model is not None and ckpt is not None:
        _check_duration(model, ckpt, ckpt_info, record, check, flags)
        copies = earlier_copies(folder, record, sample, ckpt_hash)
        check("no copy", not copies, "the weights are no copy of an earlier run's" if not copies else
              f"the checkpoint is {copies[0]}" + (f" (and {len(copies) - 1} more)" if len(copies) > 1 else ""))
    if test_loss is not None and val_loss is not None and math.isfinite(test_loss) and math.isfinite(val_loss):
        gap = test_loss - val_loss
        check("held-out gap", gap <= HELD_OUT_GAP, f"test loss {test_loss:.4f}, validation loss {val_loss:.4f}: "
              + ("alike, as for text the model never trained on" if gap <= HELD_OUT_GAP else
                 f"{gap:.2f} nats apart: the model knows its validation split far better than text it never saw "
                 f"(trained on it?)"))
    if test_loss is not None:
        ok = math.isfinite(test_loss) and test_loss <= target
        check("target", ok, f"test loss {test_loss:.4f} {'<=' if ok else '>'} target {target:g}")

    # The learner's claims, compared, not trusted.
    claimed_val = _claimed_val(ckpt, record_io.read_jsonl(folder / LOG))
    if claimed_val is not None and val_loss is not None and math.isfinite(val_loss):
        if abs(claimed_val - val_loss) > max(LOG_TOLERANCE, 0.05 * val_loss):
            flags.append(f"the training log claims validation loss {claimed_val:.4f} at the graded step but the grader "
                         f"measures {val_loss:.4f}: the learner's evaluation (or model) disagrees with the reference")
    _record_flags(record, flags)

    passed = bool(checks) and all(c.ok for c in checks)
    result = {
        "run_id": record.get("run_id", folder.name), "folder": str(folder), "tier": record.get("tier"),
        "device": record.get("device"), "hardware": record.get("hardware"), "implementation": implementation,
        "passed": passed, "points": record.get("points", 0) if passed else 0, "max_points": record.get("points", 0),
        "target": target, "test_loss": test_loss, "val_loss": val_loss, "claimed_val_loss": claimed_val,
        "step": ckpt.get("step") if ckpt else None, "tokens": ckpt.get("tokens") if ckpt else None,
        "clock": clock, "budget_s": budget, "checkpoint_seen_wall_s": ckpt_info.get("seen_wall_s"),
        "checkpoint_seen_cpu_s": ckpt_info.get("seen_cpu_s"), "wall_s": record.get("wall_s"),
        "cpu_s": record.get("cpu_s"), "seed": record.get("seed"), "status": status, "eval": eval_info,
        "checks": [asdict(c) for c in checks], "flags": flags, "graded_utc": record_io.now_utc(),
    }
    if model is not None:
        try:
            result["sample"] = sample_text(model, record)
        except Exception as err:  # noqa: BLE001 - a sample never changes a grade
            flags.append(f"no sample text: {first_line(err)}")
    record_io.write_json(folder / record_io.GRADE, result)
    try:
        from grading.capstone.plot import plot

        result["plot"] = str(plot(folder, result))
    except Exception as err:  # noqa: BLE001 - a missing plot never changes a grade
        flags.append(f"no plot: {first_line(err)}")
    record_io.write_json(folder / record_io.GRADE, result)
    return result


def _held_out_losses(model, record: dict, device: str | None, check, flags: list[str]) -> tuple[dict, dict]:
    """{"test": loss, "val": loss} of the model on the engine's own held-out tokens, each split's tokens hashed
    now and compared with their hash from the start of the run. The test loss is the grade; a changed test
    split fails it; a changed validation split (the grader's copy) only drops the held-out gap check."""
    import torch

    from data.prepare import PrepareError, split_sha256, split_tokens

    data = record.get("data") or {}
    losses, info = {}, {}
    if "test_sha256" not in data:
        check("test data", False, "the record names no test split (a run from before the test split existed)")
        return losses, info
    data_dir = Path(data["dir"])
    spec = record.get("eval") or {"windows": 64, "batch": 8}
    eval_device = grading_device(device, record.get("device", "cpu"))
    if eval_device == "cpu" and record.get("threads"):
        torch.set_num_threads(int(record["threads"]))     # as the tier ran: robust on a busy machine
    for split in ("test", "val"):
        try:
            same = split_sha256(data_dir, split) == data[f"{split}_sha256"]
            if split == "test" and not check("test data", same, f"{data_dir.name}: the test tokens hashed at the start "
                                             f"of the run" if same else f"the test tokens under {data_dir} changed "
                                             f"since the run started (sha256 differs): the grade cannot be computed"):
                return losses, info
            if not same:
                flags.append(f"the grader's validation tokens under {data_dir} changed since the run started; "
                             f"no held-out gap check")
                continue
            if model is None:
                continue
            batches = windows(split_tokens(data_dir, split), record["model_config"]["block_size"], int(spec["windows"]))
            losses[split] = recompute_loss(model, batches, eval_device, int(spec["batch"]))
            info[split] = {"windows": len(batches), "tokens": int(batches[:, 1:].size)}
        except (OSError, KeyError, ValueError, PrepareError) as err:
            if split == "test":
                check("test data", False, f"cannot read the test split: {first_line(err)}")
                return losses, info
            flags.append(f"cannot read the validation split: {first_line(err)}")
    info["device"] = eval_device
    return losses, info


def _check_duration(model, ckpt: dict, ckpt_info: dict, record: dict, check, flags: list[str]) -> None:
    """The engine's clock against the work the checkpoint claims: FLOPs of its steps over the seconds the engine
    saw go by (CPU seconds on a CPU) must stay below what any such device does."""
    step, clock = ckpt.get("step"), record.get("clock", "wall")
    seen = ckpt_info.get(f"seen_{clock}_s")
    if not isinstance(step, int) or step < 1:
        check("duration", False, f"the checkpoint records no step count (step = {step!r}); it must save its step")
        return
    if seen is None:
        return
    work = flops_per_step(model, record) * step
    ceiling = IMPLAUSIBLE_FLOPS.get(record.get("device"), IMPLAUSIBLE_FLOPS["cuda"])
    rate = work / max(seen, 1e-3)
    check("duration", rate < ceiling, f"{step} steps ({work:.3g} FLOPs) by {seen:.1f} s of {clock} time: "
          f"{rate:.3g} FLOP/s" + (", a plausible rate" if rate < ceiling else
                                  f", beyond any {record.get('device')} ({ceiling:.3g}): it was not trained in this run"))
    if isinstance(ckpt_info.get("seen_step"), int) and ckpt_info["seen_step"] < step:
        flags.append(f"the trainer's log reached step {ckpt_info['seen_step']} but the checkpoint says step {step}")


def _tier_flags(record: dict, flags: list[str]) -> None:
    """The grade uses the tier as sealed in the record; the tiers file is only compared with it."""
    if not record:
        return
    path = record.get("tiers_file")
    if record.get("tiers_file_is_the_workbooks") is False:
        flags.append(f"the tier comes from {path}, not the workbook's tiers file")
    try:
        choices = record.get("choices") or {}
        tier = tiers.customise(tiers.get(record.get("tier", ""), path), choices.get("variant"), choices.get("optimizer"))
        if tier.fingerprint() != record.get("tier_fingerprint"):
            flags.append(f"tier {tier.name!r} was changed in {Path(path).name} since this run; graded against the "
                         f"run's own target and budget")
    except UsageError as err:
        flags.append(f"graded against the tier sealed in the run record ({err})")


def _record_flags(record: dict, flags: list[str]) -> None:
    if record.get("max_steps_override"):
        tier_steps = ((record.get("tier_spec") or {}).get("train") or {}).get("max_steps")
        flags.append(f"max_steps set by --max-steps to {record['max_steps_override']} (the tier's: {tier_steps})")
    if record.get("log_bad_lines"):
        flags.append(f"{record['log_bad_lines']} line(s) of log.jsonl were not JSON objects")
    trees = {s.get("tree_sha256") for s in record.get("segments", []) if s.get("tree_sha256")}
    if len(trees) > 1:
        flags.append(f"the implementation changed between the run's {len(record['segments'])} segments")
    if record.get("trainer_val_sha256") and record["trainer_val_sha256"] != (record.get("data") or {}).get("val_sha256"):
        flags.append("the trainer changed its copy of the validation split during the run (the grade does not use it)")


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


SAMPLE_TOKENS = 240


def sample_text(model, record: dict, seed: int = 0) -> str:
    """What the graded model writes: SAMPLE_TOKENS tokens after a newline (temperature 0.8, top-k 40, fixed seed),
    decoded with the run's tokenizer. Shown with the grade; never part of it."""
    import torch

    from data.prepare import load_meta

    meta = load_meta(Path(record["data"]["dir"]))
    if meta["tokenizer"] == "char":
        chars = meta["chars"]
        start, decode = chars.index("\n") if "\n" in chars else 0, lambda ids: "".join(chars[i] for i in ids)
    else:
        from data.gpt2_tokenizer import tiktoken_gpt2

        encoding = tiktoken_gpt2()
        start, decode = encoding.encode_ordinary("\n")[0], encoding.decode
    torch.manual_seed(seed)
    model.eval()
    with torch.no_grad():
        ids = model.generate(torch.tensor([[start]]), SAMPLE_TOKENS, temperature=0.8, top_k=40)
    return decode(ids[0, 1:].tolist())


def report(result: dict) -> None:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    impl = result.get("implementation") or {}
    console.print(f"\n[bold]Capstone grade[/]: run {result['run_id']} (tier {result['tier']}, {result['device']}: "
                  f"{result['hardware']})", markup=True)
    console.print(f" trained by {impl.get('label')} ({impl.get('path')}, tree sha256 {str(impl.get('tree_sha256'))[:12]}); "
                  f"{_seconds(result.get('wall_s'))} of wall and {_seconds(result.get('cpu_s'))} of CPU time; "
                  f"budget {result['budget_s']:g} s of {result['clock']} time", markup=False)
    for c in result["checks"]:
        mark = "[green]✓[/]" if c["ok"] else "[red]✗[/]"
        console.print(f" {mark} {c['name']:<18} ", end="")
        console.print(c["detail"], markup=False)
    for flag in result["flags"]:
        console.print(" [yellow]![/] ", end="")
        console.print(flag, markup=False)
    verdict = "[bold green]PASS[/]" if result["passed"] else "[bold red]FAIL[/]"
    loss = result["test_loss"]
    console.print(f"{verdict}  {result['points']}/{result['max_points']} points · test loss "
                  f"{'n/a' if loss is None else f'{loss:.4f}'} (target {result['target']:g})")
    if result.get("sample"):
        console.print("[dim]what the graded model writes (temperature 0.8, top-k 40):[/]")
        for line in result["sample"].strip().splitlines()[:8]:
            console.print("   " + line[:120], markup=False)
    folder = Path(result["folder"])
    console.print(f"[dim]{folder / record_io.GRADE}" + (f" · {result['plot']}" if result.get("plot") else "") + "[/]")


def _seconds(value) -> str:
    return "?" if value is None else f"{value:.1f} s"
