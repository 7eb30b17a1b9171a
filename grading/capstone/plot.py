"""The capstone's picture: validation loss against wall-clock time and against tokens, beside the tier's
reference curve (grading/capstone_reference/<tier>.json, measured by running the reference solutions)."""
from __future__ import annotations

import json
from pathlib import Path

from grading import ROOT

REFERENCE = ROOT / "grading" / "capstone_reference"


def reference_curve(tier: str) -> dict | None:
    path = REFERENCE / f"{tier}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def run_curve(folder: Path) -> list[dict]:
    """The run's validation points as the engine saw them: engine clock, step, tokens, the learner's loss."""
    from grading.capstone_grade import read_jsonl
    from grading.capstone_run import ENGINE_LOG

    return [row for row in read_jsonl(folder / ENGINE_LOG) if "val_loss" in row]


def plot(folder: Path, grade: dict) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = run_curve(folder)
    reference = reference_curve(grade["tier"] or "")
    fig, (by_time, by_tokens) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, key, label in ((by_time, "engine_s", "wall-clock seconds since the trainer started (engine clock)"),
                           (by_tokens, "tokens", "training tokens")):
        if reference and reference.get("points"):
            ref = [p for p in reference["points"] if p.get(key) is not None]
            ax.plot([p[key] for p in ref], [p["val_loss"] for p in ref], "--", color="grey",
                    label=f"reference ({reference.get('device', '?')}, {reference.get('hardware', '?')})")
        mine = [p for p in points if isinstance(p.get(key), (int, float))]
        ax.plot([p[key] for p in mine], [p["val_loss"] for p in mine], "o-", ms=3, color="tab:blue",
                label="this run: the trainer's own evaluation")
        if grade.get("recomputed_val_loss") is not None:
            x = grade["checkpoint_seen_s"] if key == "engine_s" else grade.get("tokens")
            if isinstance(x, (int, float)):
                ax.plot([x], [grade["recomputed_val_loss"]], "*", ms=14,
                        color="tab:green" if grade["passed"] else "tab:red", label="recomputed by the grader")
        ax.axhline(grade["target"], color="black", lw=0.8, label=f"target {grade['target']:g}")
        if key == "engine_s":
            ax.axvline(grade["budget_s"], color="tab:orange", lw=0.8, label=f"budget {grade['budget_s']:g} s")
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    by_time.set_ylabel("validation loss (nats per token)")
    by_time.legend(fontsize=7, loc="upper right")
    verdict = "PASS" if grade["passed"] else "FAIL"
    fig.suptitle(f"capstone {grade['tier']} · {grade['run_id']} · {verdict}", fontsize=10)
    fig.tight_layout()
    out = folder / "grade.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
