"""Checks for phase08_training_gpt/trainer.py: a tiny GPT on tiny data, trained, logged, checkpointed, resumed."""
import json

import numpy as np
import pytest
import torch

from checks.helpers import assert_close, expect, fail

# The trainer's contract, from the reference (the stub holds the same constants).
TRAINER = "phase08_training_gpt.trainer"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """About 30,000 characters of a tiny language (a few words in fixed patterns), prepared with the char tokenizer."""
    from data.prepare import prepare
    rng = np.random.default_rng(0)
    subjects, verbs, objects = ["the cat", "a dog", "my aunt", "the king"], ["sees", "eats", "finds"], ["a hat.", "the moon.", "bread."]
    lines = [f"{subjects[rng.integers(4)]} {verbs[rng.integers(3)]} {objects[rng.integers(3)]}" for _ in range(1500)]
    folder = tmp_path_factory.mktemp("trainer")
    (folder / "tiny.txt").write_text("\n".join(lines) + "\n")
    return prepare(str(folder / "tiny.txt"), tokenizer="char", out=folder / "data", progress=False)


def config(impl, data_dir, out_dir, **changes):
    vocab = json.loads((data_dir / "meta.json").read_text())["vocab_size"]
    settings = dict(data_dir=str(data_dir), out_dir=str(out_dir), n_layer=1, n_head=2, n_embd=32, block_size=16,
                    vocab_size=vocab, batch_size=8, max_steps=40, lr=1e-2, min_lr=1e-3, warmup_steps=5,
                    eval_interval=20, eval_batches=4, device="cpu", dtype="auto", progress=False, seed=7)
    settings.update(changes)
    return impl.TrainConfig(**settings)


def read_log(out_dir):
    path = out_dir / "log.jsonl"
    expect(path.exists(), f"train() wrote no log at {path}")
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r for r in records if "loss" in r], [r for r in records if "val_loss" in r]


def test_trains_logs_and_checkpoints(impl, ref_tree, data_dir, tmp_path):
    contract = ref_tree.load(TRAINER)
    LOG_KEYS, VAL_KEYS, CKPT_KEYS = set(contract.LOG_FIELDS), set(contract.VAL_LOG_FIELDS), set(contract.CHECKPOINT_KEYS)
    out = tmp_path / "run"
    summary = impl.train(config(impl, data_dir, out, grad_accum_steps=2, nonce="nonce-42"))
    expect(isinstance(summary, dict) and {"step", "tokens", "best_val_loss", "seconds"} <= set(summary),
           f"train() returned {summary!r}, expected a dict with step, tokens, best_val_loss, seconds")
    expect(summary["step"] == 40 and summary["tokens"] == 40 * 8 * 16 * 2,
           f"train() reports step {summary['step']} and {summary['tokens']} tokens, expected 40 steps and "
           f"40 * batch 8 * block 16 * grad_accum 2 = {40 * 8 * 16 * 2} tokens")
    steps, evals = read_log(out)
    expect([r["step"] for r in steps] == list(range(1, 41)), f"log.jsonl has training lines for steps "
           f"{[r['step'] for r in steps][:8]}..., expected one line for each of the steps 1..40")
    missing = LOG_KEYS - set(steps[0])
    expect(not missing, f"a training line of log.jsonl lacks {sorted(missing)}; it has {sorted(steps[0])}")
    expect(steps[-1]["tokens"] == 40 * 8 * 16 * 2, f"the last log line counts {steps[-1]['tokens']} tokens, expected {40 * 8 * 16 * 2}")
    expect(all(r["tokens_per_s"] > 0 and 0 <= r["mfu"] < 1 for r in steps), "tokens_per_s must be positive and mfu a fraction in [0, 1)")
    schedule = ref_tree.load("phase08_training_gpt.schedule")
    lrs = [schedule.learning_rate(s, 1e-2, 1e-3, 5, 40) for s in range(40)]
    assert_close([r["lr"] for r in steps], lrs, "the lr of log lines 1..40 against learning_rate(0..39, ...)", rtol=1e-9,
                 mistake="set every group's lr to learning_rate(step) before each optimiser step and log it")
    expect([r["step"] for r in evals] == [20, 40], f"validation lines at steps {[r['step'] for r in evals]}, expected "
           f"[20, 40] (every eval_interval steps)")
    expect(not (VAL_KEYS - set(evals[0])), f"a validation line lacks {sorted(VAL_KEYS - set(evals[0]))}")
    first, last = np.mean([r["loss"] for r in steps[:3]]), np.mean([r["loss"] for r in steps[-5:]])
    expect(last < first - 0.7, f"the training loss went from {first:.3f} (first steps) to only {last:.3f} (last steps) "
           f"on an easy corpus", mistake="is the optimiser stepping, and zero_grad called after each step?")

    ckpt_path = out / "ckpt.pt"
    expect(ckpt_path.exists(), "train() left no checkpoint at out_dir/ckpt.pt")
    try:
        ckpt = torch.load(ckpt_path, weights_only=True)
    except Exception as err:  # noqa: BLE001
        fail(f"torch.load(ckpt.pt, weights_only=True) failed: {type(err).__name__}: {str(err)[:200]}",
             mistake="keep only tensors, dicts, lists, strings, numbers, booleans and None in the checkpoint")
    expect(not (CKPT_KEYS - set(ckpt)), f"the checkpoint lacks {sorted(CKPT_KEYS - set(ckpt))}")
    expect(ckpt["step"] == 40 and ckpt["nonce"] == "nonce-42", f"checkpoint step {ckpt['step']} and nonce "
           f"{ckpt['nonce']!r}, expected 40 and 'nonce-42'")
    used = [group["lr"] for group in ckpt["optimizer"]["param_groups"]]
    assert_close(used, [lrs[-1]] * len(used), "the lr of every optimiser group after the last step (from the "
                 "checkpoint's optimizer state)", rtol=1e-9,
                 mistake="the optimiser must step with the scheduled rate: set group['lr'] = lr for every group")
    gpt = ref_tree.load("phase07_gpt_architecture.model")
    model = gpt.GPT(gpt.GPTConfig(**ckpt["model_config"]))
    model.load_state_dict(ckpt["model"])
    sampler = ref_tree.load("phase08_training_gpt.sampler")
    shards = sampler.open_shards(data_dir, "val")
    val = sampler.BatchSampler(shards, 8, 16, seed=123)
    recomputed = ref_tree.load("phase08_training_gpt.evaluate").evaluate(model, val, 8)
    expect(abs(recomputed - ckpt["val_loss"]) < 0.3, f"the checkpoint's weights give validation loss {recomputed:.3f} "
           f"in the reference GPT, but its val_loss says {ckpt['val_loss']:.3f}")
    expect(abs(evals[-1]["val_loss"] - ckpt["val_loss"]) < 1e-6, "the checkpoint's val_loss differs from the last logged one")


# What the trainer builds on, taken from the reference for the comparison below: only the loop is the learner's.
PARTS = ("GPT", "AdamW", "parameter_groups", "build_model", "build_optimizer", "accumulate_gradients", "clip_grad_norm",
         "evaluate", "learning_rate", "BatchSampler", "open_shards", "save_checkpoint", "load_checkpoint", "rng_state",
         "set_rng_state", "autocast_context", "resolve_dtype", "pick_device", "mfu", "model_flops_per_token",
         "flops_per_token_of", "peak_flops")


@pytest.mark.runs_reference_inside
def test_first_steps_equal_the_reference_trainer(impl, ref, data_dir, tmp_path, monkeypatch):
    """The same config, seed and data, with the reference's GPT, AdamW, sampler, clipping and schedule under both
    loops: the losses and learning rates of the first 8 steps must be the reference trainer's. A loop that sets the
    rate after the step, clips at the wrong time, to the wrong norm or not at all, or runs the wrong number of
    micro-batches trains differently, though its loss still falls."""
    for name in PARTS:
        if hasattr(impl, name) and hasattr(ref, name):
            monkeypatch.setattr(impl, name, getattr(ref, name))
    norms = []
    real_clip = ref.clip_grad_norm

    def recording_clip(parameters, max_norm, *args, **kwargs):
        norm = real_clip(parameters, max_norm, *args, **kwargs)
        norms.append((float(norm), max_norm))
        return norm

    settings = dict(max_steps=8, warmup_steps=3, eval_interval=100, grad_accum_steps=2, grad_clip=0.3, weight_decay=0.5,
                    beta1=0.8, beta2=0.95, lr=2e-2)
    monkeypatch.setattr(ref, "clip_grad_norm", recording_clip)
    ref.train(config(ref, data_dir, tmp_path / "reference", **settings))
    monkeypatch.setattr(ref, "clip_grad_norm", real_clip)
    expect(any(n > m for n, m in norms), f"precondition of this check: clipping at {settings['grad_clip']} acts "
           f"(the reference's gradient norms were {[round(n, 3) for n, _ in norms]})")
    impl.train(config(impl, data_dir, tmp_path / "yours", **settings))
    expected, _ = read_log(tmp_path / "reference")
    got, _ = read_log(tmp_path / "yours")
    expect([r["step"] for r in got] == list(range(1, 9)), f"log.jsonl has training lines for steps "
           f"{[r['step'] for r in got]}, expected 1..8")
    assert_close([r["lr"] for r in got], [r["lr"] for r in expected], "the logged lr of steps 1..8", rtol=1e-9)
    assert_close([r["loss"] for r in got], [r["loss"] for r in expected], "the training losses of steps 1..8 against "
                 "the reference trainer with the same config and seed", rtol=1e-5,
                 mistake="each step: set every group's lr to learning_rate(step), accumulate grad_accum_steps "
                 "micro-batches, clip to config.grad_clip, optimizer.step(), then zero the gradients")


def test_resume_continues_exactly(impl, data_dir, tmp_path):
    """Stopped after step 13 and resumed, a run with dropout must log exactly the losses of an uninterrupted run."""
    common = dict(max_steps=24, eval_interval=8, dropout=0.1)
    impl.train(config(impl, data_dir, tmp_path / "whole", **common))
    impl.train(config(impl, data_dir, tmp_path / "parts", stop_at_step=13, **common))
    steps, _ = read_log(tmp_path / "parts")
    expect(steps and steps[-1]["step"] == 13, f"with stop_at_step=13 the log ends at step "
           f"{steps[-1]['step'] if steps else None}, expected 13")
    impl.train(config(impl, data_dir, tmp_path / "parts", resume=True, **common))
    whole, _ = read_log(tmp_path / "whole")
    parts, _ = read_log(tmp_path / "parts")
    expect([r["step"] for r in parts] == list(range(1, 25)), f"after resuming, the log's training steps are "
           f"{[r['step'] for r in parts]}, expected 1..24 once each")
    for a, b in zip(whole, parts):
        if a["loss"] != b["loss"]:
            fail(f"step {a['step']}: the resumed run's loss {b['loss']!r} differs from the uninterrupted run's {a['loss']!r}",
                 mistake="resume must restore the model, the optimizer state, the step, the sampler position "
                         "(else the data order restarts) and the random generators (dropout)")


def test_stops_at_max_seconds(impl, data_dir, tmp_path):
    out = tmp_path / "timed"
    summary = impl.train(config(impl, data_dir, out, max_steps=100_000, max_seconds=1.5, eval_interval=1000))
    expect(0 < summary["step"] < 100_000, f"with max_seconds=1.5 the run stopped at step {summary['step']}")
    ckpt = torch.load(out / "ckpt.pt", weights_only=True)
    expect(ckpt["step"] == summary["step"], "a run stopped by max_seconds must still write its final checkpoint")
    _, evals = read_log(out)
    expect(evals and evals[-1]["step"] == summary["step"], "a run stopped by max_seconds must validate at its last step")


def test_stops_at_max_cpu_seconds(impl, data_dir, tmp_path):
    """On a CPU tier the capstone budgets CPU time, which a busy machine does not inflate the way it does wall time."""
    import time

    out = tmp_path / "cpu"
    limit = time.process_time() + 1.5          # max_cpu_seconds counts this process's CPU time from its start
    summary = impl.train(config(impl, data_dir, out, max_steps=100_000, max_seconds=30, max_cpu_seconds=limit,
                                eval_interval=1000))
    over = time.process_time() - limit
    expect(0 < summary["step"] < 100_000 and over < 5, f"with max_cpu_seconds 1.5 s of CPU time away the run stopped "
           f"at step {summary['step']}, {over:.1f} CPU seconds past the limit",
           mistake="stop when time.process_time() >= config.max_cpu_seconds, as you stop at max_seconds")
    ckpt = torch.load(out / "ckpt.pt", weights_only=True)
    expect(ckpt["step"] == summary["step"], "a run stopped by max_cpu_seconds must still write its final checkpoint")


class SyncCounter:
    """Counts the ways Python asks a tensor for a host value: .item(), .tolist(), float(), int(), bool(), .cpu(),
    .numpy() (and f"{t}" and math.isfinite(t), which go through them). On a GPU each waits for the queued work."""
    METHODS = ("item", "tolist", "__float__", "__int__", "__bool__", "cpu", "numpy")

    def __init__(self, monkeypatch):
        self.count, self.paused = 0, False
        for name in self.METHODS:
            monkeypatch.setattr(torch.Tensor, name, self._counting(getattr(torch.Tensor, name)))

    def _counting(self, method):
        def counted(tensor, *args, **kwargs):
            if not self.paused:
                self.count += 1
            return method(tensor, *args, **kwargs)
        return counted

    def pausing(self, fn):
        """fn, with what it does not counted (the evaluation, which is a separate exercise)."""
        def paused(*args, **kwargs):
            self.paused = True
            try:
                return fn(*args, **kwargs)
            finally:
                self.paused = False
        return paused


@pytest.mark.runs_reference_inside
def test_one_host_sync_per_log_interval(impl, ref, data_dir, tmp_path, monkeypatch):
    """30 steps with log_interval=10: the loop asks the device for numbers 3 times (once per interval), not 30;
    every step still gets its log line, with the loss the reference trainer logs."""
    for name in PARTS:
        if hasattr(impl, name) and hasattr(ref, name):
            monkeypatch.setattr(impl, name, getattr(ref, name))
    settings = dict(max_steps=30, log_interval=10, eval_interval=1000, grad_accum_steps=2)
    ref.train(config(ref, data_dir, tmp_path / "reference", **settings))
    counter = SyncCounter(monkeypatch)
    monkeypatch.setattr(impl, "evaluate", counter.pausing(ref.evaluate))
    impl.train(config(impl, data_dir, tmp_path / "yours", **settings))
    syncs = counter.count
    monkeypatch.undo()
    expected, _ = read_log(tmp_path / "reference")
    got, _ = read_log(tmp_path / "yours")
    expect([r["step"] for r in got] == list(range(1, 31)), f"log.jsonl has training lines for steps "
           f"{[r['step'] for r in got][:12]}..., expected one line for each of the steps 1..30")
    assert_close([r["loss"] for r in got], [r["loss"] for r in expected], "the logged losses of steps 1..30 against "
                 "the reference trainer", rtol=1e-5)
    expect(syncs <= 3, f"train() asked tensors for host values {syncs} times in 30 steps with log_interval=10 "
           f"(.item(), .tolist(), float(), bool(), .cpu(), ...); expected at most 3, one per log interval",
           mistake="keep each step's loss as a tensor and fetch them together every log_interval steps: "
                   "torch.stack(losses).tolist()")
