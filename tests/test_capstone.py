"""The capstone's smoke tier end to end: the reference passes it while a CPU-bound process runs beside it (the
budget is the trainer's CPU time); a trainer that copies that run's checkpoint, an edited log and an edited
record fail; bad input is one line and exit 2. One smoke run of the reference is shared by the module (it is
the slow part: about 90 s of CPU time). Faults and cheats on a tiny tier: tests/test_capstone_faults.py."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from grading.capstone.record import RUNS
from grading.capstone.run import forecast, horizon
from tests.support import cli, copy_solutions


def run_folder(result: subprocess.CompletedProcess, runs=RUNS):
    match = re.search(r"\[capstone\] run (\S+):", result.stderr)
    assert match, result.stderr[-3000:]
    return runs / match.group(1)


def failed(data: dict) -> set[str]:
    return {c["name"] for c in data["checks"] if not c["ok"]}


def grade_here(folder) -> dict:
    """The grade in this process (saves a torch import per call); `capstone-grade` prints it."""
    from grading.capstone.grade import grade

    return grade(str(folder))


@pytest.fixture(scope="module")
def smoke_run():
    """The reference on the smoke tier with a busy loop on the other core all along."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        result = cli("capstone", "--tier", "smoke", "--impl", "solutions", "--device", "cpu")
    finally:
        busy.kill()
        busy.wait()
    assert result.returncode == 0, result.stderr[-3000:]
    return run_folder(result)


@pytest.fixture
def copy_of(smoke_run):
    """A copy of the smoke run under the runs folder to tamper with (removed afterwards)."""
    made = []

    def make(suffix: str):
        dest = RUNS / f"{smoke_run.name}-{suffix}-{os.getpid()}"
        shutil.copytree(smoke_run, dest, copy_function=shutil.copy2)
        made.append(dest)
        return dest

    yield make
    for dest in made:
        shutil.rmtree(dest, ignore_errors=True)


def test_reference_passes_the_smoke_tier_beside_a_busy_loop(smoke_run):
    result = cli("capstone-grade")             # the latest run: what `make capstone-grade` does
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in result.stdout and "of CPU time" in result.stdout
    data = json.loads((smoke_run / "grade.json").read_text())
    assert data["passed"] and data["points"] == data["max_points"] > 0, data["checks"]
    assert data["clock"] == "cpu" and data["checkpoint_seen_cpu_s"] <= data["budget_s"]
    assert data["test_loss"] <= data["target"] and abs(data["test_loss"] - data["val_loss"]) < 0.1
    assert data["implementation"]["label"] == "solutions" and len(data["implementation"]["tree_sha256"]) == 64
    assert not any("disagrees" in f for f in data["flags"]), data["flags"]
    assert (smoke_run / "grade.png").stat().st_size > 10_000


COPYING_TRAINER = '''

def train(config):
    """A cheat: the checkpoint of an earlier passing run, stamped with this run's nonce, and a log to match."""
    import json
    from pathlib import Path

    import torch

    ckpt = torch.load({source!r}, weights_only=True)
    ckpt["nonce"] = config.nonce
    torch.save(ckpt, Path(config.out_dir) / "ckpt.pt")
    line = {{"step": ckpt["step"], "tokens": ckpt["tokens"], "val_loss": ckpt["val_loss"], "elapsed_s": 90.0}}
    (Path(config.out_dir) / "log.jsonl").write_text(json.dumps(line) + "\\n")
    return {{"step": ckpt["step"], "tokens": ckpt["tokens"], "best_val_loss": ckpt["val_loss"], "seconds": 90.0}}
'''


@pytest.fixture(scope="module")
def copied_run(smoke_run, tmp_path_factory):
    tree = copy_solutions(tmp_path_factory.mktemp("copying") / "tree")
    with open(tree / "phase08_training_gpt" / "trainer.py", "a") as f:
        f.write(COPYING_TRAINER.format(source=str(smoke_run / "ckpt.pt")))
    result = cli("capstone", "--tier", "smoke", "--impl", tree, "--device", "cpu")
    assert result.returncode == 0, result.stderr[-3000:]
    return run_folder(result)


def test_a_copied_checkpoint_with_a_new_nonce_fails(copied_run, smoke_run):
    data = grade_here(copied_run)
    assert not data["passed"] and "no copy" in failed(data) and failed(data) <= {"no copy", "duration"}, data["checks"]
    detail = {c["name"]: c["detail"] for c in data["checks"]}
    assert smoke_run.name in detail["no copy"] and "cosine similarity 1.0000" in detail["no copy"]
    assert data["implementation"]["label"].endswith("tree")


def test_a_duration_too_short_for_the_steps_fails(copy_of):
    """The engine saw the checkpoint after 0.5 CPU seconds: 800 steps of the smoke model are 3.2 TFLOPs."""
    from grading.capstone import record as record_io

    folder = copy_of("quick")
    record = record_io.read_record(folder)
    record["checkpoint"]["seen_cpu_s"] = 0.5
    record_io.write_record(folder, {k: v for k, v in record.items() if k != "hmac"})   # forged with the key
    data = grade_here(folder)
    assert not data["passed"] and failed(data) == {"duration"}, data["checks"]


def test_an_unchanged_copy_of_a_run_still_passes(copy_of):
    data = grade_here(copy_of("copy"))
    assert data["passed"], data["checks"]


def test_edited_log_fails(copy_of):
    folder = copy_of("log")
    log = folder / "log.jsonl"
    lines = log.read_text().splitlines()
    last_val = max(i for i, line in enumerate(lines) if "val_loss" in line)
    row = json.loads(lines[last_val])
    row["val_loss"] = row["val_loss"] - 0.5
    lines[last_val] = json.dumps(row)
    log.write_text("\n".join(lines) + "\n")
    data = grade_here(folder)
    assert not data["passed"] and failed(data) == {"training log"}, data["checks"]


def test_edited_record_fails(copy_of):
    folder = copy_of("record")
    record = json.loads((folder / "run.json").read_text())
    record["budget_s"] *= 10
    record["checkpoint"]["seen_cpu_s"] = 1.0
    (folder / "run.json").write_text(json.dumps(record))
    data = grade_here(folder)
    assert not data["passed"] and "run record" in failed(data), data["checks"]


def test_record_that_is_not_json_fails_in_one_line(copy_of):
    folder = copy_of("garbled")
    (folder / "run.json").write_text("{ not json")
    result = cli("capstone-grade", "--run", folder.name)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    data = json.loads((folder / "grade.json").read_text())
    assert not data["passed"] and "run record" in failed(data)
    assert "is not valid JSON" in next(c["detail"] for c in data["checks"] if c["name"] == "run record")


def test_checkpoint_from_another_run_fails(copy_of, copied_run):
    folder = copy_of("foreign")
    shutil.copy2(copied_run / "ckpt.pt", folder / json.loads((folder / "run.json").read_text())["checkpoint"]["file"])
    data = grade_here(folder)
    assert not data["passed"] and {"nonce", "checkpoint file"} <= failed(data), data["checks"]
    assert "another run's nonce" in next(c["detail"] for c in data["checks"] if c["name"] == "nonce")


@pytest.mark.parametrize("args, words", [
    (["capstone", "--device", "cpu"], "say which tier: make capstone tier=NAME; on cpu: smoke (170 s of CPU time)"),
    (["capstone", "--tier", "huge"], "valid tiers: smoke, gpt2-small"),
    (["capstone", "--tier", "smoke", "--device", "tpu"], "valid devices: auto, cuda, mps, cpu"),
    (["capstone", "--tier", "smoke", "--impl", "/no/such/tree"], "does not exist"),
    (["capstone", "--tier", "smoke", "--max-steps", "0"], "--max-steps must be a positive"),
    (["capstone", "--tier", "smoke", "--tiers", "/no/such/tiers.toml"], "cannot be read"),
    (["capstone", "--resume", "no-such-run"], "no capstone run 'no-such-run'"),
    (["capstone", "--resume", "latest", "--tier", "smoke"], "drop --tier"),
    (["capstone-grade", "--run", "no-such-run"], "no capstone run 'no-such-run'"),
    (["capstone-grade", "--run", "no-such-run", "--device", "tpu"], "no capstone run"),
    (["bench", "--device", "tpu"], "valid devices"),
    (["bench", "--config", "huge", "--impl", "solutions", "--device", "cpu"], "valid tiers"),
    (["bench", "--impl", "solutions", "--device", "cpu", "--threads", "0"], "--threads must be at least 1"),
])
def test_bad_input_is_one_line_and_exit_2(args, words):
    result = cli(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr


def test_resuming_a_finished_run_is_one_line(smoke_run):
    result = cli("capstone", "--resume", smoke_run.name)
    assert result.returncode == 2 and "only an interrupted or failed run resumes" in result.stderr, result.stderr


def test_unavailable_device_is_one_line_and_exit_2():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has cuda")
    result = cli("capstone", "--tier", "smoke", "--device", "cuda")
    assert result.returncode == 2 and "not available on this machine" in result.stderr


def test_forecast_extrapolates_in_log_time():
    points = [(10, 3.0), (20, 2.8), (40, 2.6), (80, 2.4)]      # 0.2 nats per doubling of time
    assert forecast(points, 160) == pytest.approx(2.2)
    assert forecast(points[:2], 160) is None                    # too few points to say anything
    assert forecast([(10, 2.0), (20, 2.1), (40, 2.2)], 80) == pytest.approx(2.2)   # rising: assume flat


def test_horizon_is_the_budget_or_max_steps_whichever_first():
    assert horizon(elapsed=50, step=500, max_steps=1000, budget=170) == pytest.approx(100)
    assert horizon(elapsed=100, step=500, max_steps=1000, budget=170) == pytest.approx(170)


def test_the_package_has_no_import_cycle():
    """Each module imports only those before it: record, tiers, plot, grade, preflight, run (checked in a fresh
    interpreter)."""
    order = ["record", "tiers", "plot", "grade", "preflight", "run"]
    code = ("import sys, importlib\n"
            f"for name in {order!r}:\n"
            "    before = set(sys.modules)\n"
            "    importlib.import_module('grading.capstone.' + name)\n"
            "    print(name, sorted(m.rsplit('.', 1)[1] for m in set(sys.modules) - before if m.startswith('grading.capstone.')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [f"{name} {[name]}" for name in order], out
