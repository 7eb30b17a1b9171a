"""Many processes: the reference trainer under torchrun with DistributedDataParallel on 2 CPU processes (gloo).

Each process takes half of every global batch, and DDP averages the two halves' gradients, which is the whole
batch's gradient: the 2-process run must log the losses of one process on the same batches (same seed), with
gradient accumulation too, where no_sync keeps it to one all-reduce a step. Then `make capstone nproc=2`
end to end on a tiny tier (sealed, graded), and bad nproc values: one line, exit 2.

Tolerance: the two runs differ only in the order float32 sums are taken (each half's mean, then their mean,
against one mean over all rows). Measured over 6 steps: the training losses equal to the last bit, validation
losses within 1.1e-7 relative, weights within 2.3e-7 (the attention's key bias aside: see below). rtol 1e-4
leaves a factor of several hundred; training on one shard only (half the batch) or summing the halves'
gradients instead of averaging them moves the losses by far more (the precondition below: they fall by 0.1).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from grading import ROOT
from tests.test_capstone import failed
from tests.test_capstone_faults import TIERS, Tiny, grade
from tests.support import one_thread, tiny_char_data  # noqa: F401 - one_thread: an autouse fixture, applied by being here

WORKER = ROOT / "tests" / "ddp_worker.py"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tiny_char_data(tmp_path_factory.mktemp("ddp"), ["the cat", "a dog", "sees", "eats", "a hat.", "bread."], seed=1)


@pytest.fixture(scope="module")
def two_processes(data_dir, tmp_path_factory):
    """The worker's two runs on 2 gloo processes: their out folders, and each rank's count of all-reduces."""
    out = tmp_path_factory.mktemp("ddp-out")
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                             str(WORKER), str(data_dir), str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return out, json.loads((out / "allreduces.json").read_text())


def one_process(data_dir, out, name):
    from solutions.phase08_training_gpt import trainer
    from tests import ddp_worker

    vocab = json.loads((data_dir / "meta.json").read_text())["vocab_size"]
    trainer.train(trainer.TrainConfig(data_dir=str(data_dir), out_dir=str(out), vocab_size=vocab,
                                      **ddp_worker.COMMON, **ddp_worker.RUNS[name]))
    return out


def log(folder):
    lines = [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]
    return [r for r in lines if "loss" in r], [r for r in lines if "val_loss" in r]


@pytest.mark.parametrize("name", ["accum1", "accum2"])
def test_two_processes_train_as_one_on_the_whole_batch(two_processes, data_dir, tmp_path, name):
    out, _ = two_processes
    steps, evals = log(out / name)
    alone_steps, alone_evals = log(one_process(data_dir, tmp_path / name, name))
    assert [r["step"] for r in steps] == list(range(1, 7)), "rank 0 alone writes the log: one line a step"
    assert [r["tokens"] for r in steps] == [r["tokens"] for r in alone_steps], "tokens count the global batch"
    np.testing.assert_allclose([r["loss"] for r in steps], [r["loss"] for r in alone_steps], rtol=1e-4)
    np.testing.assert_allclose([r["val_loss"] for r in evals], [r["val_loss"] for r in alone_evals], rtol=1e-4)
    assert steps[-1]["loss"] < steps[0]["loss"] - 0.1, "precondition: the runs learn, so a wrong gradient shows"
    mine = torch.load(out / name / "ckpt.pt", weights_only=True)["model"]
    alone = torch.load(tmp_path / name / "ckpt.pt", weights_only=True)["model"]
    for key, value in alone.items():
        if key.endswith("attn.c_attn.bias"):
            # The key bias's gradient is zero in exact arithmetic (q . b_k is the same for every key, and softmax
            # ignores a constant), so Adam steps it on rounding noise alone: its two runs differ at lr's scale.
            n = value.numel() // 3
            mine[key], value = torch.cat([mine[key][:n], mine[key][2 * n:]]), torch.cat([value[:n], value[2 * n:]])
        torch.testing.assert_close(mine[key], value, rtol=1e-4, atol=1e-6,
                                   msg=lambda m: f"the weights {key} after 6 steps: {m}")


def test_no_sync_all_reduces_once_a_step_whatever_the_accumulation(two_processes):
    """DDP all-reduces each gradient bucket in a backward pass unless no_sync wrapped its forward pass: 2
    micro-batches a step make as many all-reduces as 1 (twice as many without no_sync)."""
    _, counts = two_processes
    for rank in counts:
        assert rank["accum1"] > 0 and rank["accum2"] == rank["accum1"], counts


def test_each_process_trains_on_its_half_of_the_batch(two_processes):
    _, counts = two_processes
    assert [(rank["accum1_rows"], rank["accum2_rows"]) for rank in counts] == [([4], [2])] * 2, counts


def test_two_processes_resume_exactly(two_processes):
    """Stopped after step 3 and resumed on 2 processes: the log of the uninterrupted 2-process run."""
    out, _ = two_processes
    fields = ("step", "tokens", "loss", "lr", "val_loss")                # the clocks' fields differ, of course
    strip = lambda lines: [{k: r[k] for k in fields if k in r} for r in lines[0] + lines[1]]  # noqa: E731
    assert strip(log(out / "resumed")) == strip(log(out / "accum2"))


def test_the_shards_are_disjoint_and_make_the_whole_batch(data_dir):
    from solutions.phase08_training_gpt.sampler import BatchSampler, open_shards
    from solutions.phase08_training_gpt.trainer import RankShard

    sampler = BatchSampler(open_shards(data_dir, "train"), 8, 16, seed=3)
    x, y = sampler.batch_at(5)
    halves = [RankShard(sampler, rank, 2).batch_at(5) for rank in (0, 1)]
    assert all(h[0].shape == (4, 16) for h in halves)
    torch.testing.assert_close(torch.cat([h[0] for h in halves]), x)
    torch.testing.assert_close(torch.cat([h[1] for h in halves]), y)


def test_capstone_with_two_processes_is_sealed_and_graded(tmp_path):
    """make capstone nproc=2 on a tiny tier: rank 0's log and checkpoint, the engine's record sealed, a grade."""
    tiny = Tiny(tmp_path)
    corpus = tmp_path / "corpus.txt"
    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("abcdefgh"), 4)) for _ in range(20)]
    corpus.write_text("\n".join(" ".join(rng.choice(words, 6)) + "." for _ in range(600)) + "\n")
    tiny.tiers.write_text(TIERS.format(corpus=corpus))
    result = tiny.cli("capstone", "--tiers", tiny.tiers, "--tier", "tiny", "--impl", "solutions", "--device", "cpu",
                      "--nproc", "2", "--max-steps", "40", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    folder = next(tiny.runs.glob("tiny-*"))
    record = json.loads((folder / "run.json").read_text())
    assert record["nproc"] == 2 and record["status"] == "finished", record["status"]
    steps, _ = log(folder)
    assert [r["step"] for r in steps] == list(range(1, 41))
    from grading.capstone import record as record_io

    mp = pytest.MonkeyPatch()
    for name in ("KEY_FILE", "LATEST"):
        mp.setattr(record_io, name, tiny.runs / getattr(record_io, name).name)
    mp.setattr(record_io, "RUNS", tiny.runs)
    try:
        graded = grade(folder)
    finally:
        mp.undo()
    names = {c["name"] for c in graded["checks"]}
    assert {"run record", "checkpoint file", "training log", "nonce", "time", "duration"} <= names
    assert failed(graded) <= {"target"}, failed(graded)       # 40 steps are too few for the tier's target


@pytest.mark.parametrize("value, words", [("0", "at least 1"), ("two", "a whole number"), ("999", "CPU")])
def test_bad_nproc_is_one_line_and_exit_2(value, words):
    from tests.support import cli

    result = cli("capstone", "--tier", "smoke", "--impl", "solutions", "--device", "cpu", "--nproc", value)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nproc" in lines[0] and words in lines[0], result.stderr
