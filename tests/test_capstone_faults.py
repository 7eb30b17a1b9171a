"""Cheats and faults on a tiny capstone tier (a 2-layer GPT on random words: seconds of CPU a run), in a build
folder of the module's own, so that removing the sealing key touches no other test's runs: training on the
validation split, overwritten validation and test tokens, a model without its causal mask, a 0-byte
checkpoint, a missing or damaged key, a corrupt tiers file and config, SIGTERM to the engine, and resume after
Ctrl-C, which ends where an uninterrupted run ends."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from grading import ROOT
from tests.support import copy_solutions, default_sigint
from tests.test_capstone import failed, run_folder

TIERS = """
[tiers.tiny]
title = "A tiny GPT on random words"
points = 1
target = 1.0
grace_s = 10
reserve_s = 2

[tiers.tiny.data]
source = "{corpus}"
tokenizer = "char"

[tiers.tiny.model]
n_layer = 2
n_head = 2
n_embd = 64
block_size = 32
dropout = 0.0
bias = true

[tiers.tiny.train]
batch_size = 16
max_steps = 600
lr = 1e-2
min_lr = 1e-3
warmup_steps = 20
eval_interval = 50
eval_batches = 8

[tiers.tiny.eval]
windows = 256
batch = 64

[tiers.tiny.devices.cpu]
budget_s = 60
threads = 1
basis = "a test tier: the reference uses about 15 CPU seconds"
"""


class Tiny:
    """The module's build folder, tiers file and corpus; `cli` runs `python -m grading` against them."""

    def __init__(self, build):
        self.build, self.runs = build, build / "capstone"
        self.tiers = build / "tiers.toml"
        self.env = dict(os.environ, WORKBOOK_BUILD=str(build), PYTHONDONTWRITEBYTECODE="1")

    def cli(self, *args, timeout=600) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "grading", *map(str, args)], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def train(self, impl="solutions", *extra) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "grading", "capstone", "--tiers", self.tiers, "--tier", "tiny",
                                 "--impl", impl, "--device", "cpu", *map(str, extra)], cwd=ROOT, env=self.env,
                                text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=default_sigint)

    def run(self, impl="solutions", *extra):
        result = self.cli("capstone", "--tiers", self.tiers, "--tier", "tiny", "--impl", impl, "--device", "cpu", *extra)
        assert result.returncode == 0, result.stderr[-3000:]
        return run_folder(result, self.runs)

    def copy(self, folder, suffix):
        dest = self.runs / f"{folder.name}-{suffix}"
        shutil.copytree(folder, dest, copy_function=shutil.copy2)
        return dest


def tiny_build(build) -> Tiny:
    """The tiny tier over random sentences of 60 made-up words: learnable (0.8 nats a character), and easy to
    memorise."""
    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), rng.integers(3, 7))) for _ in range(60)]
    (build / "corpus.txt").write_text("\n".join(" ".join(rng.choice(words, 6)) + "." for _ in range(2000)) + "\n")
    setup = Tiny(build)
    setup.tiers.write_text(TIERS.format(corpus=build / "corpus.txt"))
    return setup


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from grading.capstone import record as record_io

    build = tmp_path_factory.mktemp("capstone-build")
    setup = tiny_build(build)
    with pytest.MonkeyPatch.context() as mp:                 # in-process grades read this build's runs
        mp.setattr(record_io, "KEY_FILE", build / "capstone" / record_io.KEY_FILE.name)
        mp.setattr(record_io, "LATEST", build / "capstone" / record_io.LATEST.name)
        mp.setattr(record_io, "RUNS", build / "capstone")
        yield setup


def grade(folder) -> dict:
    from grading.capstone.grade import grade as grade_run

    return grade_run(str(folder))


def tree_with(tmp_path, path: str, pattern: str, replacement: str):
    """A copy of the reference with one edit: `pattern` (a regular expression, found once) replaced."""
    tree = copy_solutions(tmp_path / "tree")
    file = tree / path
    text, count = re.subn(pattern, replacement, file.read_text())
    assert count == 1, f"expected one match of {pattern!r} in {path}, found {count}"
    file.write_text(text)
    return tree


@pytest.fixture(scope="module")
def honest_run(tiny):
    return tiny.run()


def test_the_reference_passes_and_the_trainer_never_sees_the_test_split(tiny, honest_run):
    from data.prepare import split_files

    data = grade(honest_run)
    assert data["passed"], data["checks"]
    record = json.loads((honest_run / "run.json").read_text())
    config = json.loads((honest_run / "config.json").read_text())
    mine = honest_run / "data"
    assert config["data_dir"] == str(mine) and not split_files(mine, "test") and split_files(mine, "val")
    assert set(json.loads((mine / "meta.json").read_text())["splits"]) == {"train", "val"}
    import hashlib

    tokens = b"".join(p.read_bytes() for p in split_files(record["data"]["dir"], "test"))
    assert record["data"]["test_sha256"] == hashlib.sha256(tokens).hexdigest() and len(tokens) > 0
    assert config["seed"] == record["seed"] == int(record["nonce"][:8], 16) % 2**31
    assert config["max_seconds"] is None and 0 < config["max_cpu_seconds"] < record["budget_s"]


def test_training_on_the_validation_split_fails_the_held_out_gap(tiny, tmp_path):
    """Its own validation loss looks excellent; on plays, here sentences, it never saw, it does not."""
    tree = tree_with(tmp_path, "phase08_training_gpt/trainer.py", r'open_shards\(config.data_dir, "train"\)',
                     'open_shards(config.data_dir, "val")')
    data = grade(tiny.run(tree, "--max-steps", 1500))
    assert not data["passed"] and "held-out gap" in failed(data) and failed(data) <= {"held-out gap", "target"}, data["checks"]
    assert data["val_loss"] < data["test_loss"] - 0.5 and data["claimed_val_loss"] < data["test_loss"] - 0.5


def test_a_model_without_its_causal_mask_fails(tiny, tmp_path, monkeypatch):
    """The preflight refuses to train it (tests/test_preflight.py); past a preflight that missed it (switched off
    here, in the engine's process only), the grader still fails it: its own validation loss is too good to be true."""
    tree = tree_with(tmp_path, "phase07_gpt_architecture/model.py",
                     r"(scaled_dot_product_attention\([^)\n]*)is_causal=True", r"\1is_causal=False")
    refused = tiny.cli("capstone", "--tiers", tiny.tiers, "--tier", "tiny", "--impl", tree, "--device", "cpu")
    assert refused.returncode == 2 and "refusing to train: your GPT lets a position see" in refused.stderr
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("from grading.capstone import preflight\n"
                                           "preflight.refuse_leaking_attention = lambda *args: None\n")
    monkeypatch.setattr(tiny, "env", {**tiny.env, "PYTHONPATH": str(site)})
    data = grade(tiny.run(tree, "--max-steps", 300))
    assert failed(data) == {"target"}, data["checks"]
    assert data["claimed_val_loss"] < data["target"] < data["test_loss"]
    assert any("disagrees" in f for f in data["flags"]), data["flags"]


def test_overwriting_the_validation_tokens_it_was_given_does_not_move_the_grade(tiny, tmp_path):
    """The trainer zeroes its validation shard, so its own evaluation measures nonsense; the grader's validation
    and test tokens are copies the trainer was never given, so the grade is the model's."""
    tree = tree_with(tmp_path, "phase08_training_gpt/trainer.py", r"\n    _check_data\(config\)\n",
                     "\n    _check_data(config)\n    (Path(config.data_dir) / 'val_000.bin').write_bytes(bytes(20000))\n")
    data = grade(tiny.run(tree, "--max-steps", 100))
    assert "test data" not in failed(data) and "held-out gap" not in failed(data), data["checks"]
    assert abs(data["claimed_val_loss"] - data["val_loss"]) > 1 and abs(data["val_loss"] - data["test_loss"]) < 0.2
    assert any("changed its copy of the validation split" in f for f in data["flags"]), data["flags"]


def test_overwritten_test_tokens_fail(tiny, honest_run):
    folder = tiny.copy(honest_run, "test-tokens")
    shard = tiny.build / "data" / "corpus-char" / "test_000.bin"
    original = shard.read_bytes()
    try:
        shard.write_bytes(bytes(len(original)))
        data = grade(folder)
    finally:
        shard.write_bytes(original)
    assert not data["passed"] and failed(data) == {"test data"}, data["checks"]
    assert data["test_loss"] is None


def test_a_zero_byte_checkpoint_fails_in_one_line(tiny, honest_run):
    folder = tiny.copy(honest_run, "empty")
    (folder / "ckpt.pt").write_bytes(b"")
    result = tiny.cli("capstone-grade", "--run", folder.name)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    data = json.loads((folder / "grade.json").read_text())
    assert {"checkpoint file", "weights-only load"} <= failed(data)
    assert "empty (0 bytes)" in next(c["detail"] for c in data["checks"] if c["name"] == "weights-only load")


def test_a_checkpoint_without_a_contract_key_fails_naming_it(tiny, honest_run):
    """The grader reads the trainer's CHECKPOINT_KEYS, the constant the phase 8 checks and the reference use."""
    import torch

    folder = tiny.copy(honest_run, "no-sampler")
    ckpt = torch.load(folder / "ckpt.pt", map_location="cpu", weights_only=True)
    del ckpt["sampler"]
    torch.save(ckpt, folder / "ckpt.pt")
    data = grade(folder)
    assert "checkpoint keys" in failed(data), data["checks"]
    assert "lacks sampler" in next(c["detail"] for c in data["checks"] if c["name"] == "checkpoint keys")


def test_a_corrupt_config_fails_the_grade(tiny, honest_run):
    folder = tiny.copy(honest_run, "config")
    (folder / "config.json").write_text("{ garbled")
    data = grade(folder)
    assert failed(data) == {"training log"}, data["checks"]


@pytest.mark.parametrize("damage, words", [(None, "is missing"), ("not a key\n", "is damaged")])
def test_a_missing_or_damaged_key_is_one_line_and_exit_2(tiny, honest_run, damage, words):
    key = tiny.runs / ".key"
    saved = key.read_bytes()
    try:
        key.unlink()
        if damage is not None:
            key.write_text(damage)
        for args in (["capstone-grade", "--run", honest_run.name],
                     ["capstone", "--tiers", tiny.tiers, "--tier", "tiny", "--impl", "solutions", "--device", "cpu"]):
            result = tiny.cli(*args)
            lines = result.stderr.strip().splitlines()
            assert result.returncode == 2 and len(lines) == 1 and words in lines[0], result.stderr
    finally:
        key.write_bytes(saved)
        key.chmod(0o600)


def test_a_corrupt_tiers_file_is_one_line_and_does_not_fail_a_run(tiny, honest_run, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[tiers.tiny\npoints = ")
    result = tiny.cli("capstone", "--tiers", bad, "--tier", "tiny", "--device", "cpu")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "is not valid TOML" in lines[0], result.stderr
    good = tiny.tiers.read_text()
    try:
        tiny.tiers.write_text("[tiers.tiny\npoints = ")    # the run's own tiers file, broken after the run
        data = grade(tiny.copy(honest_run, "tiers"))
    finally:
        tiny.tiers.write_text(good)
    assert data["passed"], data["checks"]
    assert any("graded against the tier sealed in the run record" in f for f in data["flags"]), data["flags"]


def start_and_wait_for_a_checkpoint(tiny, *extra) -> tuple[subprocess.Popen, object]:
    proc = tiny.train("solutions", *extra)
    first = ""
    while "[capstone] run " not in first and proc.poll() is None:
        first += proc.stderr.readline()
    folder = tiny.runs / re.search(r"\[capstone\] run (\S+):", first).group(1)
    deadline = time.monotonic() + 240
    while not (folder / "ckpt.pt").exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert (folder / "ckpt.pt").exists(), "no checkpoint appeared"
    return proc, folder


def trainer_pid(folder) -> int:
    return next(row["pid"] for row in map(json.loads, (folder / "engine.jsonl").read_text().splitlines()) if "pid" in row)


@pytest.fixture(scope="module")
def terminated_run(tiny):
    proc, folder = start_and_wait_for_a_checkpoint(tiny, "--max-steps", 100_000)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err, folder


def test_sigterm_stops_the_trainer_and_seals_the_record(terminated_run):
    returncode, err, folder = terminated_run
    assert returncode == 128 + signal.SIGTERM and "Traceback" not in err, err[-3000:]
    with pytest.raises(ProcessLookupError):
        os.kill(trainer_pid(folder), 0)                 # the trainer is gone, reaped
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "interrupted" and record["interrupted_by"] == "SIGTERM"
    assert not list(folder.glob("*.tmp")) and not list(folder.glob(".*.tmp"))
    data = grade(folder)
    ok = {c["name"] for c in data["checks"] if c["ok"]}
    assert {"run record", "checkpoint file", "weights-only load", "nonce", "reference GPT", "test data"} <= ok, data["checks"]
    assert "resume=" in err


def test_resume_refuses_a_damaged_run_in_one_line(tiny, terminated_run):
    _, _, folder = terminated_run
    empty = tiny.copy(folder, "empty")
    (empty / "ckpt.pt").write_bytes(b"")
    garbled = tiny.copy(folder, "garbled")
    (garbled / "run.json").write_text("{ not json")
    for run, words in ((empty, "is empty"), (garbled, "is not valid JSON")):
        result = tiny.cli("capstone", "--resume", run.name)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and words in lines[0], result.stderr


def test_resume_after_ctrl_c_ends_where_an_uninterrupted_run_ends(tiny):
    steps = ("--max-steps", 200, "--seed", 11)
    whole = tiny.run("solutions", *steps)
    proc, folder = start_and_wait_for_a_checkpoint(tiny, *steps)
    proc.send_signal(signal.SIGINT)                     # Ctrl-C reaches the engine; it stops the trainer's group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err[-3000:]
    interrupted = json.loads((folder / "run.json").read_text())
    assert interrupted["status"] == "interrupted" and interrupted["checkpoint"]["step"] < 200
    (folder / ".ckpt.pt.half.tmp").write_bytes(b"half a checkpoint")   # what a kill during torch.save leaves
    result = tiny.cli("capstone", "--resume", folder.name)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"from step {interrupted['checkpoint']['step']}" in result.stderr
    record = json.loads((folder / "run.json").read_text())
    assert record["nonce"] == interrupted["nonce"] and len(record["segments"]) == 2
    assert record["cpu_s"] >= interrupted["cpu_s"] + record["segments"][1]["cpu_s"] - 0.01
    assert not (folder / ".ckpt.pt.half.tmp").exists()
    first, second = grade(whole), grade(folder)
    assert second["step"] == first["step"] == 200
    assert abs(second["test_loss"] - first["test_loss"]) < 1e-3, (first["test_loss"], second["test_loss"])
    assert "no copy" not in failed(first) and "no copy" in failed(second)   # one seed, the same weights: a copy


def test_the_llama_variant_with_muon_trains_and_is_graded_as_itself(tiny):
    """`make capstone variant=llama optimizer=muon`: phase 9's LLaMA-style GPT and Muon, sealed into the record,
    graded by the LLaMA-style reference, and no 'tier changed' flag for the choice."""
    folder = tiny.run("solutions", "--variant", "llama", "--optimizer", "muon", "--max-steps", "60")
    record = json.loads((folder / "run.json").read_text())
    assert record["choices"] == {"variant": "llama", "optimizer": "muon"}
    assert record["tier_spec"]["model"]["variant"] == "llama" and record["tier_spec"]["train"]["optimizer"] == "muon"
    assert record["tier_spec"]["train"]["lr"] == pytest.approx(2e-2)      # twice the tiny tier's 1e-2
    result = grade(folder)
    checks = {c["name"]: c for c in result["checks"]}
    assert checks["reference GPT"]["ok"], checks["reference GPT"]
    assert not any("was changed" in f for f in result["flags"]), result["flags"]
    assert isinstance(result.get("sample"), str) and len(result["sample"]) >= 100, result.get("sample")  # shown, not graded


@pytest.mark.parametrize("args, words", [(["--variant", "mamba"], "valid variants: gpt2, llama"),
                                         (["--optimizer", "sgd"], "valid optimizers: adamw, fused, muon")])
def test_unknown_variant_or_optimizer_is_one_line(tiny, args, words):
    result = tiny.cli("capstone", "--tiers", tiny.tiers, "--tier", "tiny", "--device", "cpu", *args)
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr


def test_optimizer_fused_is_torchs_fused_adamw_over_the_learners_groups(tmp_path):
    """`make capstone optimizer=fused`: the tier's rate, sealed as "fused"; the trainer builds torch.optim.AdamW with
    fused=True over parameter_groups; a name it does not know is one line listing the valid ones."""
    import torch

    from grading.capstone import tiers
    from grading.trees import Tree

    smoke = tiers.get("smoke")
    fused = tiers.customise(smoke, optimizer="fused")
    assert fused.train["optimizer"] == "fused" and fused.train["lr"] == smoke.train["lr"] and "fused" in fused.title
    trainer = Tree("solutions").load("phase08_training_gpt.trainer")
    config = trainer.TrainConfig(data_dir=str(tmp_path), out_dir=str(tmp_path), vocab_size=20, block_size=8,
                                 n_layer=1, n_head=2, n_embd=8, optimizer="fused")
    model = trainer.build_model(config)
    optimizer = trainer.build_optimizer(model, config)
    assert type(optimizer) is torch.optim.AdamW and optimizer.defaults["fused"]
    assert [g["weight_decay"] for g in optimizer.param_groups] == [config.weight_decay, 0.0]
    config.optimizer = "sgd"
    with pytest.raises(ValueError, match="is not one of adamw, fused, muon"):
        trainer.build_optimizer(model, config)
