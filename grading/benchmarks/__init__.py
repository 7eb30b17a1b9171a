"""Benchmarks that print tables: run with `python -m grading.benchmarks.<name>`. The helpers below are shared by
the ones that also write their results as JSON under build/bench/."""
from __future__ import annotations

import json
import os

from grading import BUILD


def console(width: int = 120):
    """A rich Console for a benchmark's table: the terminal's width, or `width` when the output is a file or a
    pipe (which rich would otherwise treat as 80 columns, or as narrow as $COLUMNS says)."""
    from rich.console import Console

    return Console(highlight=False, width=None if Console().is_terminal else width)


def sync(device: str) -> None:
    """Wait until the device has finished its queued work (a clock read before that measures only launches)."""
    import torch

    if device == "cuda":
        torch.cuda.synchronize()
    elif device == "mps":
        torch.mps.synchronize()


def machine() -> dict:
    """What an absolute figure needs beside it: torch's CPU threads and version, and the 1-minute load average."""
    import torch

    return {"threads": torch.get_num_threads(), "torch": torch.__version__,
            "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}


def where(result: dict) -> str:
    """'cpu (2 threads)' or the device class, for a table's title."""
    n = result["threads"]
    return result["device"] + (f" ({n} thread{'s' if n > 1 else ''})" if result["device"] == "cpu" else "")


def load_text(result: dict) -> str:
    return f"; load average {result['load_average']:.2f}" if result["load_average"] is not None else ""


def write_json(result: dict, name: str) -> str:
    """The result as build/bench/<name> (WORKBOOK_BUILD moves build/); returns the path."""
    path = BUILD / "bench" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    return str(path)
