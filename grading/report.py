"""What a learner reads: a short terminal report; what a teacher keeps: Gradescope-shaped JSON and HTML."""
from __future__ import annotations

import html
import json
import os
from pathlib import Path

from rich.console import Console
from rich.table import Table

from grading.runner import ExerciseResult

console = Console(highlight=False, soft_wrap=True)
MARK = {"passed": "[green]✓[/]", "failing": "[red]✗[/]", "not started": "[dim]·[/]", "no checks": "[yellow]?[/]"}


def phase_report(title: str, results: list[ExerciseResult], impl: str, seed: int, seconds: float):
    console.print(f"\n[bold]{title}[/]  [dim](impl: {impl}, seed {seed}, {seconds:.1f} s)[/]")
    for r in results:
        ex = r.exercise
        console.print(f" {MARK[r.status]} {ex.id:<26} {r.score:>5g}/{ex.points:<3} {r.status:<11}"
                      f" [dim]{r.passed}/{len(r.checks)} checks[/]")
        failure = r.first_failure
        if r.status == "failing" and failure:
            console.print(f"     [red]{failure.name}[/]: ", end="")
            console.print(failure.message, markup=False)
            if r.output.strip():
                _print_output(r.output)
            console.print(f"     [cyan]hint:[/] {ex.hints[0]}  [dim](more: make hint ex={ex.id})[/]")
            console.print(f"     [dim]reproduce: make check ex={ex.id} seed={seed}[/]")
        elif r.status == "not started":
            console.print(f"     [dim]start with {impl}/{ex.relpath} · make hint ex={ex.id}[/]")
    done = sum(r.status == "passed" for r in results)
    score = sum(r.score for r in results)
    total = sum(r.exercise.points for r in results)
    console.print(f"[bold]{done} of {len(results)} exercises passed, {score:g}/{total} points.[/]")


def _print_output(output: str, lines: int = 6):
    """The end of what the learner's code printed, a few lines, each cut to the terminal's width."""
    shown = output.rstrip().splitlines()[-lines:]
    console.print(f"     [dim]your code printed ({len(output):,} characters; the last {len(shown)} lines):[/]")
    for line in shown:
        console.print("       " + line[:160], markup=False, style="dim")


def grade_table(by_phase: list[tuple[str, list[ExerciseResult]]]) -> Table:
    table = Table(title="Transformers From Scratch: grade")
    for column in ("phase", "passed", "failing", "not started", "points"):
        table.add_column(column, justify="right" if column != "phase" else "left")
    for title, results in by_phase:
        count = lambda s: str(sum(r.status == s for r in results))  # noqa: E731
        table.add_row(title, count("passed"), count("failing"), count("not started"),
                      f"{sum(r.score for r in results):g}/{sum(r.exercise.points for r in results)}")
    all_results = [r for _, rs in by_phase for r in rs]
    table.add_row("[bold]total[/]", "", "", "",
                  f"[bold]{sum(r.score for r in all_results):g}/{sum(r.exercise.points for r in all_results)}[/]")
    return table


def results_json(results: list[ExerciseResult], seconds: float, impl: str, seed: int) -> dict:
    """Gradescope's results.json shape, with each check's verdict under extra_data."""
    tests = []
    for r in results:
        failure = r.first_failure
        tests.append({
            "name": f"phase {r.exercise.phase} · {r.exercise.id}: {r.exercise.title}",
            "score": r.score, "max_score": r.exercise.points,
            "status": "passed" if r.status == "passed" else "failed",
            "output": failure.message if failure else r.status,
            "extra_data": {"exercise": r.exercise.id, "status": r.status, "cause": r.cause,
                           "learner_output_tail": r.output[-2000:],
                           "checks": [{"id": c.nodeid, "outcome": c.outcome, "message": c.message} for c in r.checks]},
        })
    return {"score": round(sum(r.score for r in results), 2), "max_score": sum(r.exercise.points for r in results),
            "execution_time": round(seconds, 2), "output": f"impl {impl}, seed {seed}", "tests": tests}


def _write_atomically(path: Path, text: str):
    """A reader (Gradescope, a teacher's script) sees the old report or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def write_json(data: dict, path: Path):
    _write_atomically(path, json.dumps(data, indent=2))


def write_html(data: dict, path: Path):
    rows = "".join(
        f"<tr class='{t['extra_data']['status'].replace(' ', '-')}'><td>{html.escape(t['name'])}</td>"
        f"<td>{t['score']:g}/{t['max_score']}</td><td>{html.escape(t['extra_data']['status'])}</td>"
        f"<td><pre>{html.escape(t['output'])}</pre></td></tr>" for t in data["tests"])
    _write_atomically(path, f"""<!doctype html><meta charset="utf-8"><title>Grade</title>
<style>body{{font-family:system-ui;margin:2em}}td{{padding:.3em .6em;vertical-align:top}}pre{{white-space:pre-wrap;margin:0}}
.passed{{background:#e8f5e9}}.failing{{background:#ffebee}}.not-started{{color:#777}}</style>
<h1>Transformers From Scratch: {data['score']:g} / {data['max_score']}</h1><p>{html.escape(data['output'])}</p>
<table><tr><th>exercise</th><th>points</th><th>status</th><th>first failure</th></tr>{rows}</table>""")
