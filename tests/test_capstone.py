"""The capstone end to end: the reference passes the smoke tier; a maskless model, a checkpoint from another
run, an edited log and an edited record fail; bad input is one line and exit 2; Ctrl-C leaves a whole
checkpoint. One smoke run of the reference is shared by the module (it is the slow part, about a minute)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from grading import ROOT
from grading.capstone_record import RUNS
from grading.capstone_run import forecast, horizon
from tests.support import cli, copy_solutions


def run_folder(result: subprocess.CompletedProcess):
    match = re.search(r"\[capstone\] run (\S+):", result.stderr)
    assert match, result.stderr[-3000:]
    return RUNS / match.group(1)


def grade(folder) -> tuple[subprocess.CompletedProcess, dict]:
    result = cli("capstone-grade", "--run", folder.name)
    return result, json.loads((folder / "grade.json").read_text())


def grade_here(folder) -> dict:
    """The same grade in this process (saves a torch import per call); exit status 0 iff it passed."""
    from grading.capstone_grade import grade as grade_run

    return grade_run(folder.name)


def failed(data: dict) -> set[str]:
    return {c["name"] for c in data["checks"] if not c["ok"]}


@pytest.fixture(scope="module")
def smoke_run():
    result = cli("capstone", "--tier", "smoke", "--impl", "solutions", "--device", "cpu")
    assert result.returncode == 0, result.stderr[-3000:]
    return run_folder(result)


@pytest.fixture
def copy_of(smoke_run, tmp_path):
    """A copy of the smoke run under build/capstone/ to tamper with (removed afterwards)."""
    made = []

    def make(suffix: str):
        dest = RUNS / f"{smoke_run.name}-{suffix}-{os.getpid()}"
        shutil.copytree(smoke_run, dest, copy_function=shutil.copy2)
        made.append(dest)
        return dest

    yield make
    for dest in made:
        shutil.rmtree(dest, ignore_errors=True)


def test_reference_passes_the_smoke_tier(smoke_run):
    result = cli("capstone-grade")             # the latest run: what `make capstone-grade` does
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in result.stdout
    data = json.loads((smoke_run / "grade.json").read_text())
    assert data["passed"] and data["points"] == data["max_points"] > 0
    assert data["recomputed_val_loss"] <= data["target"]
    assert data["checkpoint_seen_s"] <= data["budget_s"]
    assert not any("disagrees" in f for f in data["flags"]), data["flags"]
    assert (smoke_run / "grade.png").stat().st_size > 10_000


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
    record["checkpoint"]["seen_s"] = 1.0
    (folder / "run.json").write_text(json.dumps(record))
    data = grade_here(folder)
    assert not data["passed"] and "run record" in failed(data), data["checks"]


def test_record_that_is_not_json_fails(copy_of):
    folder = copy_of("garbled")
    (folder / "run.json").write_text("{ not json")
    data = grade_here(folder)
    assert not data["passed"] and "run record" in failed(data)


@pytest.fixture(scope="module")
def maskless_run(tmp_path_factory):
    """A short smoke run (300 steps) of a GPT whose attention sees the future: its own log looks excellent."""
    tree = copy_solutions(tmp_path_factory.mktemp("maskless") / "tree")
    model = tree / "phase07_gpt_architecture" / "model.py"
    text, n = re.subn(r"(scaled_dot_product_attention\([^)\n]*)is_causal=True", r"\1is_causal=False", model.read_text())
    assert n == 1, "expected one causal attention call in phase 7's model.py"
    model.write_text(text)
    result = cli("capstone", "--tier", "smoke", "--impl", tree, "--device", "cpu", "--max-steps", "300")
    assert result.returncode == 0, result.stderr[-3000:]
    return run_folder(result)


def test_model_without_causal_mask_fails(maskless_run):
    result, data = grade(maskless_run)
    assert result.returncode == 1 and "FAIL" in result.stdout
    assert failed(data) == {"target"}, data["checks"]
    assert data["claimed_val_loss"] < data["target"] < data["recomputed_val_loss"]
    assert any("disagrees" in f for f in data["flags"]), data["flags"]


def test_checkpoint_from_another_run_fails(copy_of, maskless_run):
    folder = copy_of("foreign")
    shutil.copy2(maskless_run / "ckpt.pt", folder / json.loads((folder / "run.json").read_text())["checkpoint"]["file"])
    data = grade_here(folder)
    assert not data["passed"] and {"nonce", "checkpoint file"} <= failed(data), data["checks"]
    assert "another run's nonce" in next(c["detail"] for c in data["checks"] if c["name"] == "nonce")


def test_ctrl_c_leaves_a_whole_checkpoint_and_a_sealed_record():
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.Popen([sys.executable, "-m", "grading", "capstone", "--tier", "smoke", "--impl", "solutions",
                             "--device", "cpu", "--max-steps", "1000"], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    first = ""
    while "[capstone] run " not in first and proc.poll() is None:
        first += proc.stderr.readline()
    folder = RUNS / re.search(r"\[capstone\] run (\S+):", first).group(1)
    deadline = time.monotonic() + 240
    while not (folder / "ckpt.pt").exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert (folder / "ckpt.pt").exists(), "no checkpoint appeared"
    os.killpg(proc.pid, signal.SIGINT)                 # what Ctrl-C in a terminal does: the whole group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-3000:]
    assert "Traceback" not in err
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == "interrupted"
    result, data = grade(folder)
    ok = {c["name"] for c in data["checks"] if c["ok"]}
    assert {"run record", "checkpoint file", "weights-only load", "nonce", "reference GPT"} <= ok, data["checks"]


@pytest.mark.parametrize("args, words", [
    (["capstone", "--tier", "huge"], "valid tiers: smoke, gpt2-small"),
    (["capstone", "--tier", "smoke", "--device", "tpu"], "valid devices: auto, cuda, mps, cpu"),
    (["capstone", "--tier", "smoke", "--impl", "/no/such/tree"], "does not exist"),
    (["capstone", "--tier", "smoke", "--max-steps", "0"], "--max-steps must be a positive"),
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


def test_unavailable_device_is_one_line_and_exit_2():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has cuda")
    result = cli("capstone", "--tier", "smoke", "--device", "cuda")
    assert result.returncode == 2 and "not available on this machine" in result.stderr


def test_bench_prints_both_models_and_the_ratio():
    result = cli("bench", "--impl", "solutions", "--device", "cpu", "--config", "smoke", "--steps", "2", "--threads", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reference" in result.stdout and "yours" in result.stdout and "MFU" in result.stdout


def test_bench_reports_a_stub_model_in_one_row(tmp_path):
    from grading import stubs

    tree = tmp_path / "tree"
    stubs.generate(tree)
    result = cli("bench", "--impl", tree, "--device", "cpu", "--config", "smoke", "--steps", "1", "--threads", "1")
    assert result.returncode == 1 and "NotImplementedError" in result.stdout and "Traceback" not in result.stderr


def test_forecast_extrapolates_in_log_time():
    points = [(10, 3.0), (20, 2.8), (40, 2.6), (80, 2.4)]      # 0.2 nats per doubling of time
    assert forecast(points, 160) == pytest.approx(2.2)
    assert forecast(points[:2], 160) is None                    # too few points to say anything
    assert forecast([(10, 2.0), (20, 2.1), (40, 2.2)], 80) == pytest.approx(2.2)   # rising: assume flat


def test_horizon_is_the_budget_or_max_steps_whichever_first():
    assert horizon(elapsed=50, step=500, max_steps=1000, budget=170) == pytest.approx(100)
    assert horizon(elapsed=100, step=500, max_steps=1000, budget=170) == pytest.approx(170)
