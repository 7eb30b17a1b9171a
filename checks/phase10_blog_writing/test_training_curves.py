"""Checks for phase10_blog_writing/training_curves.py on log files written here (known values, a damaged line, a
step written twice), the bias-corrected moving average, and the comparison with a reference curve."""
import json

import numpy as np

from checks.helpers import assert_close, expect


def _write_log(path, rng):
    """A log as phase 8's trainer writes it, with a resume that rewrote steps 3 and 4, and some junk."""
    lines, tokens = [], 0
    for step in range(1, 7):
        tokens = 64 * step
        lines.append({"step": step, "tokens": tokens, "loss": float(4 - 0.3 * step + 0.05 * rng.normal()),
                      "lr": 1e-3 * step, "tokens_per_s": float(1000 + rng.normal()), "mfu": 0.01, "elapsed_s": step})
        if step % 2 == 0:
            lines.append({"step": step, "tokens": tokens, "val_loss": float(4 - 0.25 * step), "elapsed_s": step})
    rewritten = [{**line, "loss": line["loss"] - 1.0} if "loss" in line else {**line, "val_loss": line["val_loss"] - 1.0}
                 for line in lines if line["step"] in (3, 4)]
    text = "\n".join(json.dumps(x) for x in lines[:6]) + "\nnot json\n[1, 2]\n"
    text += json.dumps({"step": 9, "loss": 1.0}) + "\n"                           # lacks lr, tokens_per_s
    text += "\n".join(json.dumps(x) for x in rewritten + lines[6:]) + "\n"
    path.write_text(text)
    return lines, rewritten


def test_read_log_known_values(impl, tmp_path, rng):
    lines, rewritten = _write_log(tmp_path / "log.jsonl", rng)
    log = impl.read_log(tmp_path / "log.jsonl")
    expect(sorted(log) == ["train", "val"], f"read_log gave keys {sorted(log)}, expected 'train' and 'val'")
    train = {x["step"]: x for x in lines if "loss" in x} | {x["step"]: x for x in rewritten if "loss" in x}
    val = {x["step"]: x for x in lines if "val_loss" in x} | {x["step"]: x for x in rewritten if "val_loss" in x}
    expect(log["train"]["step"] == [1, 2, 3, 4, 5, 6], f"read_log's training steps are {log['train']['step']}, expected "
           "1..6 (each once, in order; a line without every field skipped)", mistake="a step written again replaces the earlier line")
    assert_close(log["train"]["loss"], [train[s]["loss"] for s in range(1, 7)], "read_log's training losses",
                 mistake="the last line written for a step counts (the resumed run's)")
    assert_close(log["train"]["lr"], [train[s]["lr"] for s in range(1, 7)], "read_log's learning rates")
    assert_close(log["train"]["tokens_per_s"], [train[s]["tokens_per_s"] for s in range(1, 7)], "read_log's tokens_per_s")
    expect(log["val"]["step"] == [2, 4, 6], f"read_log's validation steps are {log['val']['step']}, expected [2, 4, 6]")
    assert_close(log["val"]["val_loss"], [val[s]["val_loss"] for s in (2, 4, 6)], "read_log's validation losses")
    assert_close(log["val"]["tokens"], [128, 256, 384], "read_log's validation tokens")


def test_read_log_against_the_reference(impl, ref, tmp_path, rng):
    _write_log(tmp_path / "log.jsonl", rng)
    got, expected = impl.read_log(tmp_path / "log.jsonl"), ref.read_log(tmp_path / "log.jsonl")
    for series, fields in (("train", ref.TRAIN_FIELDS), ("val", ref.VAL_FIELDS)):
        for field in fields:
            assert_close(got[series][field], expected[series][field], f"read_log(...)[{series!r}][{field!r}]")


def test_smooth_known_value(impl):
    assert_close(impl.smooth([1.0, 2.0, 3.0], beta=0.5), [1.0, 1.25 / 0.75, 2.125 / 0.875], "smooth([1, 2, 3], beta=0.5)",
                 rtol=1e-12, mistake="m_t = beta m_{t-1} + (1 - beta) x_t from m_0 = 0, divided by 1 - beta^t")
    assert_close(impl.smooth(np.full(50, 2.5)), np.full(50, 2.5), "smooth of a constant series", rtol=1e-12,
                 mistake="without the bias correction the average starts near 0")


def test_versus_reference(impl, ref):
    points = [{"tokens": 100, "val_loss": 3.0}, {"tokens": 300, "val_loss": 2.0}, {"tokens": 500, "val_loss": 1.5}]
    got = impl.versus_reference([50, 200, 300, 450, 600], [3.5, 2.6, 2.1, 1.7, 1.6], points)
    expected = {"tokens": [200, 300, 450], "mine": [2.6, 2.1, 1.7], "reference": [2.5, 2.0, 1.625],
                "gap": [0.1, 0.1, 0.075]}
    expect(list(got["tokens"]) == expected["tokens"], f"versus_reference kept tokens {list(got['tokens'])}, expected "
           f"{expected['tokens']} (only your points within the reference's range)")
    for key in ("mine", "reference", "gap"):
        assert_close(got[key], expected[key], f"versus_reference(...)[{key!r}]", rtol=1e-9, atol=1e-12,
                     mistake="the reference at your tokens by linear interpolation (np.interp); gap = mine - reference")
    empty = impl.versus_reference([10, 20], [1.0, 1.0], points)
    expect(list(empty["tokens"]) == [] and list(empty["gap"]) == [], "versus_reference with no point in the reference's "
           f"range gave {empty}, expected empty lists")


def test_run_curves(impl, ref, tmp_path, rng):
    _write_log(tmp_path / "log.jsonl", rng)
    reference = {"points": [{"tokens": 100, "val_loss": 3.5}, {"tokens": 400, "val_loss": 2.0}]}
    got, expected = impl.run_curves(tmp_path, reference), ref.run_curves(tmp_path, reference)
    assert_close(got["train"]["smoothed"], expected["train"]["smoothed"], "run_curves(...)['train']['smoothed']",
                 mistake="smooth the training loss with beta 0.9")
    assert_close(got["versus"]["gap"], expected["versus"]["gap"], "run_curves(...)['versus']['gap']")
    none = impl.run_curves(tmp_path, None)
    expect(list(none["versus"]["tokens"]) == [], "run_curves(folder, None) should compare with nothing (empty lists)")
