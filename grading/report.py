"""What a learner reads: a short terminal report, their progress and what is next; what a teacher keeps:
Gradescope's results.json and one self-contained HTML page."""
from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from rich.console import Console
from rich.table import Table

from grading.runner import ExerciseResult

console = Console(highlight=False, soft_wrap=True)
MARK = {"passed": "[green]✓[/]", "failing": "[red]✗[/]", "in progress": "[yellow]◐[/]", "not started": "[dim]·[/]",
        "no checks": "[yellow]?[/]", "not checked": "[dim]·[/]", "teacher's copy": "[blue]T[/]"}
STATUSES = ("passed", "failing", "in progress", "not started")
# Gradescope's documented settings (https://gradescope-autograders.readthedocs.io/en/latest/specs/)
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


def reproduce(exercise_id: str, impl: str, seed: int) -> str:
    return f"make check ex={exercise_id}" + (f" impl={impl}" if impl != "exercises" else "") + f" seed={seed}"


def phase_report(title: str, results: list[ExerciseResult], impl: str, seed: int, seconds: float,
                 verbose: bool = False):
    """verbose: every failing check of an exercise, not only its first."""
    console.print(f"\n[bold]{title}[/]  [dim](impl: {impl}, seed {seed}, {seconds:.1f} s)[/]")
    for r in results:
        ex = r.exercise
        console.print(f" {MARK[r.status]} {ex.id:<26} {r.score:>5g}/{ex.points:<3} {r.status:<12}"
                      f" [dim]{r.passed}/{len(r.checks)} checks[/]"
                      + (f" [blue]+{len(r.deferred)} on the teacher's copy[/]" if r.deferred else ""))
        failure = r.first_failure
        if failure:
            for shown in [c for c in r.checks if c.outcome == "failed"] if verbose else [failure]:
                console.print(f"     [red]{shown.name}[/]: ", end="")
                console.print(shown.message, markup=False)
            if r.output.strip():
                _print_output(r.output)
        for exercise_id, function in r.blocked_by.items():
            console.print(f"     [yellow]waiting on:[/] {function} (exercise {exercise_id}) is not started; "
                          f"these checks call it: make check ex={exercise_id}")
        unwritten = r.first_unwritten if r.status == "in progress" else None
        if unwritten is not None:
            console.print("     [yellow]in progress:[/] ", end="")
            console.print(unwritten.message, markup=False)
        if failure or unwritten is not None:
            function, hint = r.hint
            console.print(f"     [cyan]hint{f' ({function})' if function else ''}:[/] ", end="")
            console.print(hint, markup=False, end="")
            console.print(f"  [dim](more: make hint ex={ex.id})[/]")
        if failure:
            console.print(f"     [dim]reproduce: {reproduce(ex.id, impl, seed)}[/]")
        elif r.status == "not started":
            console.print(f"     [dim]start with {impl}/{ex.relpath} · make hint ex={ex.id}[/]")
    done = sum(r.status == "passed" for r in results)
    score = sum(r.score for r in results)
    total = sum(r.exercise.points for r in results)
    console.print(f"[bold]{done} of {len(results)} exercises passed, {score:g}/{total} points.[/]")
    deferred = sum(len(r.deferred) for r in results)
    if deferred:
        here = sum(len(r.checks) for r in results)
        console.print(f"[blue]{here} of {here + deferred} checks ran here, on the release's recorded reference "
                      f"answers; {deferred} need the reference itself and are graded on the teacher's copy.[/]")


def _print_output(output: str, lines: int = 6):
    """The end of what the learner's code printed, a few lines, each cut to the terminal's width."""
    shown = output.rstrip().splitlines()[-lines:]
    console.print(f"     [dim]your code printed ({len(output):,} characters; the last {len(shown)} lines):[/]")
    for line in shown:
        console.print("       " + line[:160], markup=False, style="dim")


def by_phase(results: list[ExerciseResult], phases) -> list[tuple[str, list[ExerciseResult]]]:
    rows = [(f"{p.number} {p.title}", [r for r in results if r.exercise.phase == p.number]) for p in phases]
    return [(title, rs) for title, rs in rows if rs]


def grade_table(by_phase: list[tuple[str, list[ExerciseResult]]]) -> Table:
    table = Table(title="Transformers From Scratch: grade")
    for column in ("phase", "passed", "failing", "in progress", "not started", "points"):
        table.add_column(column, justify="right" if column != "phase" else "left")
    for title, results in by_phase:
        count = lambda s: str(sum(r.status == s for r in results))  # noqa: E731
        table.add_row(title, count("passed"), count("failing"), count("in progress"), count("not started"),
                      f"{sum(r.score for r in results):g}/{sum(r.exercise.points for r in results)}")
    all_results = [r for _, rs in by_phase for r in rs]
    table.add_row("[bold]total[/]", "", "", "", "",
                  f"[bold]{sum(r.score for r in all_results):g}/{sum(r.exercise.points for r in all_results)}[/]")
    return table


# ---------------------------------------------------------------- progress and next

def progress_table(standings, capstone: dict | None) -> Table:
    """Every phase: exercises done / in progress / not started, points, the catalog's minutes still ahead."""
    from grading import catalog

    table = Table(title="Your progress (from your last check of each exercise)")
    table.add_column("phase", no_wrap=True)
    for column in ("done", "in progress", "not started", "points", "minutes left"):
        table.add_column(column, justify="right", no_wrap=column == "points")
    for phase in catalog.load().phases:
        rows = [s for s in standings if s.exercise.phase == phase.number]
        if not rows:
            continue
        done = sum(s.done for s in rows)
        started = sum(not s.done and s.status in ("failing", "in progress", "passed", "teacher's copy") for s in rows)
        table.add_row(f"{phase.number} {phase.title}", str(done), str(started), str(len(rows) - done - started),
                      f"{sum(s.score for s in rows):g}/{sum(s.exercise.points for s in rows)}",
                      str(sum(s.exercise.minutes for s in rows if not s.done)))
    table.add_row("[bold]total[/]", f"[bold]{sum(s.done for s in standings)}/{len(standings)}[/]", "", "",
                  f"[bold]{sum(s.score for s in standings):g}/{sum(s.exercise.points for s in standings)}[/]",
                  f"[bold]{sum(s.exercise.minutes for s in standings if not s.done)}[/]")
    if capstone:
        loss = capstone["test_loss"]
        table.caption = (f"capstone: best run {capstone['run_id']} (tier {capstone['tier']}), test loss {loss:.4f}, "
                         f"target {capstone['target']:g}: {'passed' if capstone['passed'] else 'not passed'}")
    else:
        table.caption = "capstone: no graded run yet (make capstone, then make capstone-grade)"
    return table


def next_card(standing, impl: str):
    if standing is None:
        console.print("[bold green]Every exercise passes.[/] Next: make capstone (see README.md, The capstone)")
        return
    ex = standing.exercise
    why = {"failing": "failing at its last check", "in progress": "in progress at its last check",
           "passed": "passed, but the file changed since: check it again",
           "teacher's copy": "checked here as far as a release can (the rest on the teacher's copy), but the "
                             "file changed since: check it again",
           "not started": "not started", "not checked": "not checked yet",
           "no checks": "it has no checks yet"}.get(standing.status, standing.status)
    if standing.changed and standing.status not in ("passed", "teacher's copy"):
        why += " (changed since)"
    console.print(f"[bold]Next: {ex.id}[/] · {ex.title}")
    console.print(f"  {impl}/{ex.relpath} · phase {ex.phase} · {ex.points} points · about {ex.minutes} min · {why}")
    console.print(f"  [cyan]hint:[/] {ex.hints[0]}")
    console.print(f"  [dim]check it: make check ex={ex.id}{'' if impl == 'exercises' else f' impl={impl}'} · "
                  f"more help: make hint ex={ex.id} level=2 · "
                  f"notes: notes/{ex.phase_dir}.md#{ex.notes}[/]")


# ---------------------------------------------------------------- Gradescope's results.json

def _is_teachers(check) -> bool:
    return not check.nodeid.startswith("checks/") and not check.nodeid.endswith("::child")


def _test(r: ExerciseResult, checks, share: float, name: str, visibility: str | None) -> dict:
    """One Gradescope test: `share` of the exercise's points, scored by its passed checks."""
    ex, n = r.exercise, len(r.checks) or 1
    failure = next((c for c in checks if c.outcome == "failed"), None)
    passed = sum(c.outcome == "passed" for c in checks)
    status = "passed" if checks and passed == len(checks) else "failed"
    test = {"name": name, "score": round(ex.points * passed / n, 2), "max_score": round(ex.points * share, 2),
            "status": status, "output": failure.message if failure else r.status, "tags": [f"phase {ex.phase}"],
            "extra_data": {"exercise": ex.id, "phase": ex.phase, "status": r.status, "cause": r.cause,
                           "learner_output_tail": r.output[-2000:],
                           "checks": [{"id": c.nodeid, "outcome": c.outcome, "message": c.message} for c in checks]}}
    if r.deferred and not visibility:   # a release's checks left to the teacher's copy
        test["extra_data"]["deferred"] = [{"id": c.nodeid, "outcome": c.outcome, "message": c.message} for c in r.deferred]
    if visibility:
        test["visibility"] = visibility
    return test


def results_json(results: list[ExerciseResult], seconds: float, impl: str, seed: int, *,
                 visibility: str | None = None, stdout_visibility: str | None = None,
                 teacher_visibility: str | None = None, capstone: dict | None = None) -> dict:
    """Gradescope's results.json: each exercise a test (each check's verdict under extra_data). With
    `teacher_visibility`, a teacher's extra checks become a test of their own, with that visibility, so a hidden
    check's message never reaches the learner before the teacher publishes it."""
    tests = []
    for r in results:
        title = f"phase {r.exercise.phase} · {r.exercise.id}: {r.exercise.title}"
        teachers = [c for c in r.checks if _is_teachers(c)] if teacher_visibility else []
        own = [c for c in r.checks if c not in teachers]
        n = len(r.checks) or 1
        tests.append(_test(r, own, len(own) / n if teachers else 1.0, title, None))
        if teachers:
            tests.append(_test(r, teachers, len(teachers) / n, f"{title} (teacher's checks)", teacher_visibility))
    data = {"score": round(sum(r.score for r in results), 2), "execution_time": round(seconds, 2),
            "output": f"impl {impl}, seed {seed}", "tests": tests,
            "extra_data": {"max_score": sum(r.exercise.points for r in results), "impl": impl, "seed": seed}}
    if visibility:
        data["visibility"] = visibility
    if stdout_visibility:
        data["stdout_visibility"] = stdout_visibility
    if capstone and isinstance(capstone.get("test_loss"), (int, float)):
        data["leaderboard"] = [{"name": "capstone test loss", "value": round(capstone["test_loss"], 4), "order": "asc"}]
    return data


def max_score(data: dict) -> float:
    return data["extra_data"]["max_score"]


def _write_atomically(path: Path, text: str):
    """A reader (Gradescope, a teacher's script) sees the old report or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def write_json(data: dict, path: Path | str):
    """To a file, or to standard output for '-'."""
    text = json.dumps(data, indent=2)
    if str(path) == "-":
        print(text)
    else:
        _write_atomically(Path(path), text)


# ---------------------------------------------------------------- the HTML page

def _image_uri(path) -> str | None:
    try:
        return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()
    except (OSError, TypeError):
        return None


def _history_points(history: list[dict], width: int = 520, height: int = 110) -> list[tuple[float, float]]:
    """SVG coordinates of the score at each successive grade, on a scale from 0 to the maximum."""
    if len(history) < 2:
        return []
    top = max(h["max_score"] for h in history) or 1
    step = width / (len(history) - 1)
    return [(round(i * step, 1), round(height - height * h["score"] / top, 1)) for i, h in enumerate(history)]


def render_html(results: list[ExerciseResult], impl: str, seed: int, seconds: float, *,
                capstone: dict | None = None, history: list[dict] = ()) -> str:
    import time

    import jinja2

    from grading import catalog

    env = jinja2.Environment(loader=jinja2.PackageLoader("grading", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    phases = []
    for phase in catalog.load().phases:
        rows = [r for r in results if r.exercise.phase == phase.number]
        if rows:
            phases.append({"phase": phase, "results": rows, "score": sum(r.score for r in rows),
                           "points": sum(r.exercise.points for r in rows),
                           "counts": {s: sum(r.status == s for r in rows) for s in STATUSES}})
    if capstone:
        capstone = dict(capstone, plot_uri=_image_uri(capstone.get("plot")))
    return env.get_template("report.html").render(
        phases=phases, score=sum(r.score for r in results), points=sum(r.exercise.points for r in results),
        impl=impl, seed=seed, seconds=seconds, when=time.strftime("%Y-%m-%d %H:%M"), capstone=capstone,
        history=list(history), history_points=_history_points(list(history)),
        history_top=max((h["max_score"] for h in history), default=0), reproduce=reproduce)


def write_html(path: Path, results: list[ExerciseResult], impl: str, seed: int, seconds: float, **extra):
    _write_atomically(path, render_html(results, impl, seed, seconds, **extra))
