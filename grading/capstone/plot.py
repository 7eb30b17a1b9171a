"""The capstone's picture: validation loss against the budget's clock (CPU seconds on a CPU, wall seconds on a
GPU) and against tokens, beside the tier's reference curve (grading/capstone/reference/<tier>.json, measured by
running the reference solutions), with the grader's test loss as a star."""
from __future__ import annotations

import json
from pathlib import Path

from grading.capstone.record import PLOT, curve

REFERENCE = Path(__file__).resolve().parent / "reference"


def reference_curve(tier: str) -> dict | None:
    path = REFERENCE / f"{tier}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def plot(folder: Path, grade: dict) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = curve(folder)
    reference = reference_curve(grade["tier"] or "")
    clock = grade.get("clock") or "wall"
    fig, (by_time, by_tokens) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, key, label in ((by_time, f"{clock}_s", f"{'CPU' if clock == 'cpu' else 'wall-clock'} seconds of the "
                            f"trainer (engine's clock)"), (by_tokens, "tokens", "training tokens")):
        if reference and reference.get("points"):
            ref = [p for p in reference["points"] if p.get(key) is not None]
            ax.plot([p[key] for p in ref], [p["val_loss"] for p in ref], "--", color="grey",
                    label=f"reference ({reference.get('device', '?')}, {reference.get('hardware', '?')})")
        mine = [p for p in points if isinstance(p.get(key), (int, float))]
        ax.plot([p[key] for p in mine], [p["val_loss"] for p in mine], "o-", ms=3, color="tab:blue",
                label="this run: the trainer's own validation loss")
        if grade.get("test_loss") is not None:
            x = grade.get(f"checkpoint_seen_{clock}_s") if key != "tokens" else grade.get("tokens")
            if isinstance(x, (int, float)):
                ax.plot([x], [grade["test_loss"]], "*", ms=14,
                        color="tab:green" if grade["passed"] else "tab:red", label="test loss, by the grader")
        ax.axhline(grade["target"], color="black", lw=0.8, label=f"target {grade['target']:g}")
        if key != "tokens":
            ax.axvline(grade["budget_s"], color="tab:orange", lw=0.8, label=f"budget {grade['budget_s']:g} s")
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    by_time.set_ylabel("loss (nats per token)")
    by_time.legend(fontsize=7, loc="upper right")
    verdict = "PASS" if grade["passed"] else "FAIL"
    fig.suptitle(f"capstone {grade['tier']} · {grade['run_id']} · {verdict}", fontsize=10)
    fig.tight_layout()
    out = folder / PLOT
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
