"""The capstone in one picture: your run's training and validation loss against the reference run's, its
learning-rate schedule (warm-up then cosine: Loshchilov & Hutter, 2017) and its throughput.

The numbers come from the trainer's own log.jsonl in the run folder (phase 8's LOG_FIELDS after every
optimiser step, VAL_LOG_FIELDS after every evaluation) and from the reference curve the engine measured for
the tier (grading/capstone/reference/<tier>.json: points of tokens and val_loss).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

TRAIN_FIELDS = ("step", "tokens", "loss", "lr", "tokens_per_s")
VAL_FIELDS = ("step", "tokens", "val_loss")


def read_log(path) -> dict:
    """The two series of a trainer's log.jsonl: {"train": {field: list for TRAIN_FIELDS}, "val": {field: list
    for VAL_FIELDS}}, each sorted by step.

    A line is a training line when it has "loss", a validation line when it has "val_loss"; a line that is not
    a JSON object, or lacks one of its series' fields, is skipped (a log is evidence, not trusted input). When
    a step appears more than once in a series (a resumed run wrote it again), the last line for it counts.
    """
    # BEGIN SOLUTION
    rows = {"train": {}, "val": {}}
    for line in Path(path).read_text(errors="replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if not isinstance(row, dict):
            continue
        for series, key, fields in (("train", "loss", TRAIN_FIELDS), ("val", "val_loss", VAL_FIELDS)):
            if key in row and all(f in row for f in fields):
                rows[series][row["step"]] = row
    return {series: {f: [by_step[s][f] for s in sorted(by_step)] for f in fields}
            for (series, by_step), fields in zip(rows.items(), (TRAIN_FIELDS, VAL_FIELDS))}
    # END SOLUTION


def smooth(values, beta: float = 0.9) -> np.ndarray:
    """Exponential moving average with Adam's bias correction: m_t = beta m_{t-1} + (1 - beta) x_t from m_0 = 0,
    reported as m_t / (1 - beta^t) (t = 1, 2, ...), so the first value is x_1 itself. (N,) -> (N,) floats."""
    # BEGIN SOLUTION
    out, m = [], 0.0
    for t, x in enumerate(np.asarray(values, dtype=np.float64), start=1):
        m = beta * m + (1 - beta) * x
        out.append(m / (1 - beta ** t))
    return np.array(out)
    # END SOLUTION


def versus_reference(tokens, val_loss, reference_points: list[dict]) -> dict:
    """Your validation losses beside the reference's at the same numbers of tokens.

    reference_points: [{"tokens", "val_loss"}, ...] in increasing tokens. Keep your points whose tokens lie
    within the reference's range (first to last, inclusive); the reference's loss there is np.interp of its
    val_loss over its tokens. Returns {"tokens", "mine", "reference", "gap"} (gap = mine - reference), lists.
    """
    # BEGIN SOLUTION
    ref_tokens = [p["tokens"] for p in reference_points]
    ref_loss = [p["val_loss"] for p in reference_points]
    keep = [(t, v) for t, v in zip(tokens, val_loss) if ref_tokens and ref_tokens[0] <= t <= ref_tokens[-1]]
    mine_tokens = [t for t, _ in keep]
    mine = [float(v) for _, v in keep]
    reference = [float(r) for r in np.interp(mine_tokens, ref_tokens, ref_loss)] if keep else []
    return {"tokens": mine_tokens, "mine": mine, "reference": reference,
            "gap": [m - r for m, r in zip(mine, reference)]}
    # END SOLUTION


def run_curves(folder, reference: dict | None) -> dict:
    """The figure's data for one run folder: read_log(folder / "log.jsonl"), the training loss smoothed
    (smooth, beta 0.9) under "train"["smoothed"], and versus_reference of the validation points against
    reference["points"] under "versus" (an empty comparison when reference is None)."""
    # BEGIN SOLUTION
    log = read_log(Path(folder) / "log.jsonl")
    log["train"]["smoothed"] = [float(v) for v in smooth(log["train"]["loss"])]
    points = reference["points"] if reference else []
    log["versus"] = versus_reference(log["val"]["tokens"], log["val"]["val_loss"], points)
    return log
    # END SOLUTION


def plot_run_curves(data: dict, path, reference: dict | None = None, title: str = "") -> None:
    """Given: loss (training, smoothed training, validation, the reference's validation) against tokens, the
    learning rate against steps, and tokens per second against steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train, val = data["train"], data["val"]
    fig, (loss, lr, speed) = plt.subplots(1, 3, figsize=(11, 3.4))
    loss.plot(train["tokens"], train["loss"], color="tab:blue", alpha=0.25, lw=0.8, label="training (each step)")
    loss.plot(train["tokens"], train["smoothed"], color="tab:blue", lw=1.2, label="training (smoothed)")
    loss.plot(val["tokens"], val["val_loss"], "o-", color="tab:green", ms=3, label="validation")
    if reference and reference.get("points"):
        ref = reference["points"]
        loss.plot([p["tokens"] for p in ref], [p["val_loss"] for p in ref], "--", color="grey",
                  label=f"reference validation ({reference.get('device', '?')})")
    loss.set_xlabel("training tokens")
    loss.set_ylabel("loss (nats per token)")
    loss.legend(fontsize=7)
    lr.plot(train["step"], train["lr"], color="tab:orange")
    lr.set_xlabel("step")
    lr.set_ylabel("learning rate")
    speed.plot(train["step"], train["tokens_per_s"], color="tab:purple", lw=0.8)
    speed.set_xlabel("step")
    speed.set_ylabel("tokens per second")
    for ax in (loss, lr, speed):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
