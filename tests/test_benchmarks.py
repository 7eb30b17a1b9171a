"""The benchmarks run and report what they measured: `make bench` (grading/benchmarks/training_throughput.py) and
the optimiser step (grading/benchmarks/optimizer_step.py), on small configs. Their figures are not asserted
(timings are the benchmarks' business); their arithmetic and their same-run ratios are."""
import json

import pytest

from tests.support import cli


def test_bench_writes_the_table_as_json_with_ratios_from_the_same_run(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_BUILD", str(tmp_path))
    result = cli("bench", "--impl", "solutions", "--device", "cpu", "--config", "smoke", "--steps", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "vs reference" in result.stdout and "MFU" in result.stdout and "fused" in result.stdout
    data = json.loads((tmp_path / "bench" / "training_throughput.json").read_text())
    assert (data["device"], data["config"], data["impl"], data["threads"]) == ("cpu", "smoke", "solutions", 1)
    rows = {r["model"]: r for r in data["rows"]}
    assert list(rows) == ["reference", "yours", "reference, fused"]
    assert [rows[m]["optimizer"] for m in rows] == ["adamw", "adamw", "fused"]
    tokens = data["batch"] * data["model_config"]["block_size"]
    for r in rows.values():
        assert r["params"] == rows["reference"]["params"] > 0
        assert r["tokens_per_s"] == pytest.approx(tokens / (r["ms_per_step"] / 1000), rel=1e-12)
        assert r["mfu"] == pytest.approx(r["tokens_per_s"] * data["flops_per_token"] / data["peak"], rel=1e-12)
        assert r["vs_reference"] == pytest.approx(r["tokens_per_s"] / rows["reference"]["tokens_per_s"], rel=1e-12)
    assert rows["reference"]["vs_reference"] == 1.0


def test_bench_reports_a_stub_trainer_in_one_row(tmp_path, monkeypatch):
    from grading import stubs

    monkeypatch.setenv("WORKBOOK_BUILD", str(tmp_path))
    tree = tmp_path / "tree"
    stubs.generate(tree)
    result = cli("bench", "--impl", tree, "--device", "cpu", "--config", "smoke", "--steps", "1")
    assert result.returncode == 1 and "NotImplementedError" in result.stdout and "Traceback" not in result.stderr
    rows = {r["model"]: r for r in json.loads((tmp_path / "bench" / "training_throughput.json").read_text())["rows"]}
    assert "error" in rows["yours"] and "vs_reference" in rows["reference, fused"]


def test_bench_builds_each_model_as_its_trainer_does(monkeypatch):
    """A tier that pads the vocabulary and compiles: every row is the padded model (76 ids -> 128 rows at 64),
    compiled with the backend the trainer's compile_backend names (aot_eager, which a CPU can run)."""
    from grading.benchmarks import training_throughput as bench

    model = dict(n_layer=1, n_head=2, n_embd=32, block_size=16, vocab_size=76, dropout=0.0, bias=True)
    train = dict(batch_size=2, lr=1e-3, grad_clip=1.0, compile="aot_eager", vocab_multiple=64)
    monkeypatch.setattr(bench, "shape", lambda config, device: (model, train, 2, 1))
    result = bench.measure("solutions", "cpu", "tiny", steps=1)
    assert [(r.get("error"), r["compiled"], r["vocab_rows"]) for r in result["rows"]] == [(None, "aot_eager", 128)] * 3
    assert len({r["params"] for r in result["rows"]}) == 1


def test_optimizer_step_counts_and_ratios_for_148_tensors(tmp_path, monkeypatch, capsys):
    import grading.benchmarks
    from grading.benchmarks import optimizer_step

    monkeypatch.setattr(grading.benchmarks, "BUILD", tmp_path)
    assert optimizer_step.main(["--config", "tiny", "--steps", "1", "--rounds", "1", "--threads", "1"]) == 0
    assert "aten ops/step" in capsys.readouterr().out
    data = json.loads((tmp_path / "bench" / "optimizer_step.json").read_text())
    assert data["tensors"] == 148 and data["threads"] == 1
    rows = {r["optimizer"]: r for r in data["rows"]}
    loop, workbook = rows["per-tensor loop"], rows["workbook foreach"]
    foreach, fused = rows["torch foreach"], rows["torch fused"]
    assert loop["aten_ops_per_step"] > 10 * 148                     # about ten ops per tensor
    assert workbook["aten_ops_per_step"] <= foreach["aten_ops_per_step"] and fused["aten_ops_per_step"] < 20
    for r in rows.values():
        assert r["speedup_vs_loop"] == pytest.approx(loop["ms_per_step"] / r["ms_per_step"], rel=1e-12)
        assert r["ops_vs_loop"] == pytest.approx(r["aten_ops_per_step"] / loop["aten_ops_per_step"], rel=1e-12)


@pytest.mark.parametrize("args, words", [(["--device", "tpu"], "valid devices"),
                                         (["--config", "huge"], "valid configs: gpt2-small, tiny"),
                                         (["--impl", "/no/such/tree"], "does not exist"),
                                         (["--rounds", "0"], "--rounds must be at least 1")])
def test_optimizer_step_bad_input_is_one_line_and_exit_2(args, words, capsys):
    from grading.benchmarks import optimizer_step

    assert optimizer_step.main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], lines
