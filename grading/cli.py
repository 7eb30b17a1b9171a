"""`python -m grading <verb>`: the one entry point the Makefile wraps."""
from __future__ import annotations

import argparse
import difflib
import os
import platform
import sys
from pathlib import Path

from grading import BUILD, ROOT, UsageError, catalog

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        raise UsageError(f"{self.prog}: {message}")


def find_exercise(ex_id: str) -> catalog.Exercise:
    """The exercise, or a one-line error naming the closest ids."""
    cat = catalog.load()
    if ex_id in {e.id for e in cat.exercises}:
        return cat.exercise(ex_id)
    ids = [e.id for e in cat.exercises]
    close = difflib.get_close_matches(ex_id, ids, n=3, cutoff=0.65)
    word = ex_id.lower().replace("_", " ")  # "attention" is in ids and titles: scaled_dot_product_attention...
    close += [e.id for e in cat.exercises if word and (word in e.id.replace("_", " ") or word in e.title.lower())
              and e.id not in close][:max(0, 3 - len(close))]
    suggestion = f"did you mean {' or '.join(close)}? " if close else ""
    raise UsageError(f"unknown exercise {ex_id!r}; {suggestion}`python -m grading list` shows all {len(ids)}")


def _err_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _status_line(text: str):
    """A spinner on the terminal while a long run goes on (nothing when the output is a file or a pipe)."""
    import contextlib

    console = _err_console()
    if not console.is_terminal:
        return contextlib.nullcontext(None)
    return console.status(text)


def _selection(args) -> tuple[str, list[catalog.Exercise]]:
    cat = catalog.load()
    if args.exercise:
        exercise = find_exercise(args.exercise)
        if args.phase is not None and cat.phase(args.phase).number != exercise.phase:
            raise UsageError(f"exercise {exercise.id!r} belongs to phase {exercise.phase}, not {args.phase}")
        phase = cat.phase(exercise.phase)
        return f"Phase {phase.number} · {phase.title}", [exercise]
    if args.phase is not None:
        phase = cat.phase(args.phase)
        return f"Phase {phase.number} · {phase.title}", list(phase.exercises)
    raise UsageError(f"say which phase: make check phase=N (valid: {', '.join(str(p.number) for p in cat.phases)})")


def _of_phases(phases: list[str] | None) -> list[catalog.Exercise]:
    """The exercises of `--phase 0 --phase 1` or `--phase 0,1`; every exercise when none is named."""
    cat = catalog.load()
    if not phases:
        return list(cat.exercises)
    numbers = {cat.phase(p.strip()).number for spec in phases for p in spec.split(",") if p.strip()}
    return [e for e in cat.exercises if e.phase in numbers]


def cmd_check(args) -> int:
    from grading import progress, report, runner

    title, exercises = _selection(args)
    if not exercises:
        cat = catalog.load()
        phase = cat.phase(args.phase)
        print(f"phase {phase.number} ({phase.title}) has no exercises yet; "
              f"phases with exercises: {', '.join(str(p.number) for p in cat.phases if p.exercises)}")
        return 0
    impl = args.impl
    if args.notebook:
        from grading import notebooks

        impl = str(notebooks.extract(Path(args.notebook), exercises, args.impl))
    if args.pytest_args is not None:
        return _plain_pytest(args, exercises, impl)
    if args.json == "-":  # the JSON owns standard output; the learner's report goes to standard error
        report.console.file = sys.stderr
    results, seed, seconds = runner.run(exercises, impl, args.seed, _extra(args))
    report.phase_report(title, results, args.impl if not args.notebook else impl, seed, seconds, verbose=args.verbose)
    progress.record(results, impl, seed)
    if args.json:
        report.write_json(report.results_json(results, seconds, impl, seed), args.json)
    return 0 if all(r.status in ("passed", "teacher's copy") for r in results) else 1  # a release: local checks


def _plain_pytest(args, exercises, impl: str) -> int:
    """`check ... -- ARGS`: pytest's own run of these checks with ARGS (-x, -vv, --lf, --pdb), in a process of
    its own. pytest decides and prints the outcome there: a debugging aid, not a grade (nothing is recorded)."""
    import subprocess

    from grading.trees import resolve

    if args.extra_checks:
        raise UsageError("--extra-checks cannot be combined with pytest arguments after --")
    files = [str(e.check_file.relative_to(ROOT)) for e in exercises if e.check_file.exists()]
    command = [sys.executable, "-m", "pytest", *files, "--impl", str(resolve(impl))]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    command += args.pytest_args
    print(f"pytest's own run (not graded): {' '.join(command[1:])}", file=sys.stderr, flush=True)
    return subprocess.call(command, cwd=ROOT)


def cmd_grade(args) -> int:
    from grading import progress, report, runner

    cat = catalog.load()
    exercises = _of_phases(args.phase)
    capstone = _capstone(args.capstone, args.impl)
    with _status_line("grading") as status:
        def show(i, exercise):
            if status is not None:
                status.update(f"grading {i + 1}/{len(exercises)}: phase {exercise.phase} · {exercise.id}")
        results, seed, seconds = runner.run(exercises, args.impl, args.seed, _extra(args), progress=show)
    data = report.results_json(results, seconds, args.impl, seed, visibility=args.visibility,
                               stdout_visibility=args.stdout_visibility, teacher_visibility=args.teacher_visibility,
                               capstone=capstone)
    console = report.console if args.out != "-" else _err_console()
    console.print(report.grade_table(report.by_phase(results, cat.phases)))
    out = BUILD / "grade"
    report.write_json(data, out / "results.json")
    if args.out:
        report.write_json(data, args.out)
    if args.record:
        progress.record(results, args.impl, seed)
        progress.record_grade(data["score"], report.max_score(data), args.impl,
                              sum(r.status == "passed" for r in results), len(results))
    report.write_html(out / "report.html", results, args.impl, seed, seconds, capstone=capstone,
                      history=progress.history(args.impl))
    written = [str(out / "results.json"), str(out / "report.html")] + ([args.out] if args.out not in (None, "-") else [])
    console.print(f"{data['score']:g}/{report.max_score(data)} points · {' · '.join(written)}")
    return 0 if data["score"] == report.max_score(data) else 1


def _capstone(run: str | None, impl: str) -> dict | None:
    """The capstone grade to show beside the exercises: the run named, else the latest one for the learner's own
    tree (a teacher grading a copy names the run, or gets none)."""
    import json

    if run is None and impl != "exercises":
        return None
    from grading.capstone import record

    try:
        folder = record.find_run(run)
        return json.loads((folder / record.GRADE).read_text())
    except (UsageError, OSError, ValueError):
        if run is not None:
            raise UsageError(f"capstone run {run!r} has no grade yet; run: make capstone-grade run={run}") from None
        return None


def cmd_grade_all(args) -> int:
    import random

    from grading import gradescope

    exercises = _of_phases(args.phase)
    seed = random.randrange(2**31) if args.seed is None else args.seed
    out = Path(args.out) if args.out else BUILD / "grade-all.csv"
    with _status_line("grading") as status:
        def show(i, n, name):
            if status is not None:
                status.update(f"grading learner {i + 1}/{n}: {name}")
        rows = gradescope.grade_all(Path(args.folder), exercises, out, seed, _extra(args), progress=show)
    for row in rows:
        score = row.get("score")
        print(f"  {row['learner']:<30} " + (f"{score:g}/{sum(e.points for e in exercises)}" if score is not None
                                             else f"not graded: {row['error']}"))
    print(f"{len(rows)} learners, seed {seed} for all · {out}")
    return 0


def cmd_gradescope(args) -> int:
    from grading import gradescope

    archive = gradescope.write_autograder(Path(args.out), _extra(args), args.visibility, args.teacher_visibility)
    print(f"wrote {Path(args.out) / 'setup.sh'}, {Path(args.out) / 'run_autograder'} and {archive} "
          f"(upload the zip as the assignment's autograder)")
    return 0


def cmd_progress(args) -> int:
    from grading import progress, report

    report.console.print(report.progress_table(progress.standings(args.impl), progress.capstone_best()))
    report.console.print("[dim]next: make next · results come from your check runs: make check phase=N[/]")
    return 0


def cmd_next(args) -> int:
    from grading import progress, report

    report.next_card(progress.next_exercise(args.impl), args.impl)
    return 0


def cmd_watch(args) -> int:
    from grading import watch

    cat = catalog.load()
    exercises = list(cat.phase(args.phase).exercises) if args.phase is not None else list(cat.exercises)
    return watch.watch(exercises, args.impl, poll=args.poll, runs=args.runs)


def cmd_hint(args) -> int:
    exercise = find_exercise(args.exercise)
    hinted = [f for f in catalog.functions_of(exercise) if exercise.hint_for(f)[0]]
    if args.function is not None:
        if args.function not in hinted:
            close = difflib.get_close_matches(args.function, hinted, n=2, cutoff=0.6)
            raise UsageError(f"{exercise.id} has no hint for {args.function!r}; "
                             + (f"did you mean {' or '.join(close)}? " if close else "")
                             + f"functions with a hint: {', '.join(hinted) or 'none'}")
        print(f"{exercise.id} · {args.function}: {exercise.hint_for(args.function)[1]}")
        return 0
    levels = len(exercise.hints)
    if not 1 <= args.level <= levels:
        raise UsageError(f"hint level {args.level} is out of range; exercise {exercise.id!r} has levels 1..{levels}")
    print(f"{exercise.id}: {exercise.title}  ({exercise.relpath}, notes/{exercise.phase_dir}.md#{exercise.notes})")
    for level in range(1, args.level + 1):
        print(f"  {level}. {catalog.HINT_LEVELS[level - 1]}: {exercise.hints[level - 1]}")
    if args.level < levels:
        print(f"  next: make hint ex={exercise.id} level={args.level + 1}")
    if len(hinted) > 1:
        print(f"  one function's hint: make hint ex={exercise.id} fn=NAME ({', '.join(hinted)})")
    return 0


def cmd_compare(args) -> int:
    import random

    from grading import replay
    from grading.compare import compare

    exercise = find_exercise(args.exercise)
    release = replay.release()
    if release is not None and args.seed not in (None, release["seed"]):
        raise UsageError(f"a release compares on the inputs its snapshots were recorded with (seed {release['seed']}); drop --seed")
    seed = release["seed"] if release else random.randrange(2**31) if args.seed is None else args.seed
    rows = compare(exercise, args.impl, seed)
    width = max(len(call) for call, _ in rows)
    print(f"{exercise.id}: {args.impl} against the reference (seed {seed})")
    for call, verdict in rows:
        print(f"  {call:<{width}}  {verdict}")
    return 0 if all(v.startswith("matches") or v == "equal" for _, v in rows) else 1


def cmd_stubs(args) -> int:
    from grading import stubs

    if args.check:
        diffs = stubs.differences()
        for line in diffs:
            print(line)
        print("exercises/ matches solutions/" if not diffs else f"{len(diffs)} stub(s) out of date: run make stubs")
        return 1 if diffs else 0
    if stubs.EXERCISES.exists() and not args.force and args.phase is None:
        raise UsageError("exercises/ exists and may hold your work; use `make reset ex=ID` for one exercise, or --force")
    written, saved = stubs.regenerate(catalog.load().phase(args.phase).dir if args.phase is not None else None)
    print(f"wrote {len(written)} files under exercises/" +
          (f"; your changed files are saved at {saved.relative_to(ROOT)}" if saved else ""))
    return 0


def cmd_reset(args) -> int:
    from grading import stubs

    dest, backup = stubs.reset(find_exercise(args.exercise))
    print(f"reset {dest.relative_to(ROOT)}" + (f"; your previous file is saved at {backup.relative_to(ROOT)}" if backup else ""))
    return 0


def cmd_release(args) -> int:
    from grading import release

    made = release.build(Path(args.out), args.phase, args.seed)
    print(f"wrote a learner's release of phases {', '.join(map(str, made['phases']))} to {args.out}: "
          f"{made['files']} files, no solutions/, {made['snapshots']} snapshots of the reference's answers "
          f"({made['snapshot_bytes'] / 1e6:.1f} MB, seed {made['seed']}); grade their copies here with "
          f"python -m grading grade --impl THEIR_COPY/exercises")
    return 0


# Verbs that need solutions/: in a learner's release they name where they run instead.
TEACHER_ONLY = {"grade", "grade-all", "gradescope", "stubs", "capstone-grade", "bench", "release"}


def _refuse_in_release(verb: str):
    from grading import release, replay

    if verb in TEACHER_ONLY and replay.release() is not None:
        if verb == "grade":
            raise UsageError(release.teacher_line())
        raise UsageError(f"`{verb}` needs solutions/, which a learner's release does not have: it runs on the "
                         f"teacher's copy")


def cmd_docs(args) -> int:
    from grading import docs

    stale = docs.render(check=args.check)
    if args.check:
        print("\n".join(f"out of date: {p}" for p in stale) or "rendered pages are up to date")
        return 1 if stale else 0
    print(f"wrote {', '.join(stale) or 'nothing (up to date)'}")
    return 0


def cmd_notebooks(args) -> int:
    from grading import notebooks

    for path in notebooks.write_all():
        print(f"wrote {os.path.relpath(path)}")
    return 0


def cmd_list(args) -> int:
    for phase in catalog.load().phases:
        print(f"phase {phase.number}: {phase.title}")
        for e in phase.exercises:
            print(f"  {e.id:<28} {e.points:>3} pts  {'*' * e.difficulty:<5} ~{e.minutes} min  {e.title}")
    return 0


def cmd_doctor(args) -> int:
    import numpy

    print(f"python      {platform.python_version()} ({sys.executable})")
    print(f"platform    {platform.platform()}")
    print(f"numpy       {numpy.__version__}")
    try:
        import torch

        devices = ["cpu"]
        if torch.cuda.is_available():
            devices.insert(0, f"cuda ({torch.cuda.get_device_name(0)})")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            devices.insert(0, "mps")
        print(f"torch       {torch.__version__}; usable devices: {', '.join(devices)}")
    except ImportError:
        print("torch       not installed (run: make setup)")
    try:
        from data.gpt2_tokenizer import tiktoken_gpt2

        ids = tiktoken_gpt2().encode("Hello world")
        print(f"tokenizer   GPT-2 BPE loads offline ('Hello world' -> {ids})")
    except Exception as err:  # noqa: BLE001 - doctor reports, it does not crash
        print(f"tokenizer   GPT-2 BPE does not load: {err}")
    return 0


def cmd_capstone(args) -> int:
    from grading.capstone import run

    if args.resume:
        given = [f"--{k.replace('_', '-')}" for k in ("tier", "impl", "device", "max_steps", "seed", "tiers",
                                                        "variant", "optimizer", "nproc")
                 if getattr(args, k) is not None]
        if given:
            raise UsageError(f"--resume continues a run with its own settings; drop {', '.join(given)}")
        return run.resume(args.resume)
    return run.start(args.tier, args.impl or "exercises", args.device, args.max_steps, args.seed, args.tiers,
                     args.variant, args.optimizer, args.nproc)


def cmd_capstone_grade(args) -> int:
    from grading.capstone import grade

    result = grade.grade(args.run_id, args.device)
    grade.report(result)
    return 0 if result["passed"] else 1


def cmd_bench(args) -> int:
    from grading.benchmarks import training_throughput

    return training_throughput.run(args.impl, args.device, args.config, args.steps, args.threads)


def cmd_blog(args) -> int:
    from grading import blog

    return blog.build(args.impl, args.out, args.run_id, args.posts)


def _extra(args):
    return Path(args.extra_checks) if getattr(args, "extra_checks", None) else None


def version() -> str:
    from importlib import metadata

    try:
        number = metadata.version("transformers-from-scratch")
    except metadata.PackageNotFoundError:
        number = "unknown (not installed: make setup)"
    return f"transformers-from-scratch {number} (python {platform.python_version()})"


def build_parser() -> Parser:
    cat = catalog.load()
    phases = ", ".join(str(p.number) for p in cat.phases if p.exercises)
    parser = Parser(prog="grading", description="Transformers From Scratch: the workbook's engine. "
                                                "`python -m grading VERB --help` explains a verb.")
    parser.add_argument("--version", action="version", version=version())
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=Parser, metavar="VERB")

    def tree_options(p):
        p.add_argument("--impl", default="exercises", help="exercises (default) | solutions | PATH to a tree like exercises/")
        p.add_argument("--seed", type=int, help="reproduce a run's random inputs")

    def gradescope_options(p, teacher_default):
        p.add_argument("--visibility", choices=VISIBILITIES, help="Gradescope: when the learner sees the results")
        p.add_argument("--teacher-visibility", choices=VISIBILITIES, default=teacher_default,
                       help="Gradescope: the extra checks become tests of their own, shown to the learner then "
                            f"(a hidden check's message stays hidden until then; default: {teacher_default})")

    p = verbs.add_parser("check", help="check one phase or exercise",
                         description="Check one phase or exercise. Arguments after -- go to pytest itself "
                                     "(e.g. -- -x -vv, -- --lf): pytest's own report, not a grade.")
    p.add_argument("--phase", help=f"a phase number: {phases}")
    p.add_argument("--exercise", help="an exercise id (python -m grading list)")
    p.add_argument("--extra-checks", help="a teacher's folder of further checks (test_<id>*.py)")
    p.add_argument("--json", help="also write the results (Gradescope's results.json) to this file; - for stdout")
    p.add_argument("--notebook", help="check the exercise cells of this notebook (make notebooks) instead of the files")
    p.add_argument("--verbose", action="store_true", help="every failing check, not only each exercise's first")
    tree_options(p)
    p.set_defaults(run=cmd_check, pytest_args=None)

    p = verbs.add_parser("grade", help="every phase, scored; JSON and HTML under build/grade/")
    p.add_argument("--phase", action="append", help=f"only these phases (repeat, or N,M): {phases}")
    p.add_argument("--extra-checks", help="a teacher's folder of further checks (test_<id>*.py)")
    p.add_argument("--out", help="also write results.json here (Gradescope: /autograder/results/results.json); - for stdout")
    p.add_argument("--stdout-visibility", choices=VISIBILITIES, help="Gradescope: when the learner sees the grader's output")
    p.add_argument("--capstone", metavar="RUN", help="show this capstone run's grade (default: the latest, for exercises/)")
    p.add_argument("--no-record", dest="record", action="store_false", help="leave build/progress/ as it is")
    gradescope_options(p, None)
    tree_options(p)
    p.set_defaults(run=cmd_grade)

    p = verbs.add_parser("grade-all", help="a teacher's folder of learners' copies, graded into one CSV")
    p.add_argument("folder", help="one sub-folder per learner: their exercises/ tree, or a workbook holding one")
    p.add_argument("--out", help="the CSV (default: build/grade-all.csv)")
    p.add_argument("--phase", action="append", help=f"only these phases (repeat, or N,M): {phases}")
    p.add_argument("--extra-checks", help="a teacher's folder of further checks (test_<id>*.py)")
    p.add_argument("--seed", type=int, help="the inputs' seed, the same for every learner (default: drawn once)")
    p.set_defaults(run=cmd_grade_all)

    p = verbs.add_parser("gradescope", help="a Gradescope autograder: setup.sh, run_autograder, autograder.zip")
    p.add_argument("out", help="the folder to write them to")
    p.add_argument("--extra-checks", help="a teacher's private checks, shipped inside the zip")
    gradescope_options(p, "after_published")
    p.set_defaults(run=cmd_gradescope)

    p = verbs.add_parser("release", help="a learner's copy for a class: no solutions/, local checks on snapshots")
    p.add_argument("out", help="a new (or empty) folder for it")
    p.add_argument("--phase", action="append", help=f"only these phases (repeat, or N,M): {phases}")
    p.add_argument("--seed", type=int, default=20_160_105, help="the inputs its snapshots are recorded with")
    p.set_defaults(run=cmd_release)

    p = verbs.add_parser("progress", help="every phase: done, in progress, not started, points, minutes left")
    p.add_argument("--impl", default="exercises", help="exercises (default) | solutions | PATH to a tree like exercises/")
    p.set_defaults(run=cmd_progress)

    p = verbs.add_parser("next", help="the first unfinished exercise: file, minutes, first hint")
    p.add_argument("--impl", default="exercises", help="exercises (default) | solutions | PATH to a tree like exercises/")
    p.set_defaults(run=cmd_next)

    p = verbs.add_parser("watch", help="rerun an exercise's checks each time you save its file")
    p.add_argument("--phase", help=f"watch only this phase: {phases}")
    p.add_argument("--impl", default="exercises", help="exercises (default) | PATH to a tree like exercises/")
    p.add_argument("--poll", action="store_true", help="poll for changes (for file systems without notifications)")
    p.add_argument("--runs", type=int, help="stop after this many check runs (default: until q or Ctrl-C)")
    p.set_defaults(run=cmd_watch)

    p = verbs.add_parser("hint", help="staged hints: idea, equation, shapes, near-code")
    p.add_argument("exercise", help="an exercise id (python -m grading list)")
    p.add_argument("--level", type=int, default=1, help="1 idea, 2 equation, 3 shapes, 4 near-code")
    p.add_argument("--function", help="the hint for one function of the exercise (make hint ex=ID fn=NAME)")
    p.set_defaults(run=cmd_hint)

    p = verbs.add_parser("compare", help="your functions and the reference on the same inputs")
    p.add_argument("exercise", help="an exercise id (python -m grading list)")
    tree_options(p)
    p.set_defaults(run=cmd_compare)

    p = verbs.add_parser("stubs", help="generate exercises/ from solutions/")
    p.add_argument("--check", action="store_true", help="fail when exercises/ differs from the generated stubs")
    p.add_argument("--force", action="store_true", help="overwrite exercises/ (your work goes)")
    p.add_argument("--phase", help="regenerate only this phase's stubs (for authors adding a phase)")
    p.set_defaults(run=cmd_stubs)

    p = verbs.add_parser("reset", help="regenerate one exercise's stub, backing up your file")
    p.add_argument("exercise", help="an exercise id (python -m grading list)")
    p.set_defaults(run=cmd_reset)

    p = verbs.add_parser("capstone", help="train your GPT to the tier's target within its time budget")
    p.add_argument("--tier", help="a tier of grading/capstone/capstone.toml: smoke | gpt2-small (default on a GPU: "
                                  "gpt2-small; on a CPU, say which)")
    p.add_argument("--impl", help="exercises (default) | solutions | PATH to a tree like exercises/")
    p.add_argument("--device", help="auto (default) | cuda | mps | cpu")
    p.add_argument("--max-steps", type=int, help="stop sooner than the tier does (a quick try; still graded)")
    p.add_argument("--seed", type=int, help="the training seed (default: drawn from the run's nonce, so no two "
                                            "runs train alike; a repeated seed repeats a run, which grades as a copy)")
    p.add_argument("--tiers", help="a tiers file of capstone.toml's shape (a teacher's) instead of the workbook's")
    p.add_argument("--variant", help="gpt2 (default: phase 7's GPT) | llama (phase 9's LLaMA-style GPT)")
    p.add_argument("--optimizer", help="adamw (default: your phase 8 AdamW) | fused (torch.optim.AdamW(fused=True)) "
                   "| muon (phase 9's Muon, at twice the rate)")
    p.add_argument("--nproc", help="trainer processes under torchrun with DistributedDataParallel (default 1; one per GPU)")
    p.add_argument("--resume", metavar="RUN", help="continue an interrupted run (an id, or latest) from its last checkpoint")
    p.set_defaults(run=cmd_capstone)

    p = verbs.add_parser("capstone-grade", help="grade a capstone run from its checkpoint")
    p.add_argument("--run", dest="run_id", help="run id under build/capstone/ (default: the latest)")
    p.add_argument("--device", help="where to recompute the loss (default: the run's device if here, else cpu)")
    p.set_defaults(run=cmd_capstone_grade)

    p = verbs.add_parser("bench", help="training tokens/s and MFU of your GPT against the reference")
    p.add_argument("--impl", default="exercises", help="exercises | solutions | PATH to a tree like exercises/")
    p.add_argument("--device", default="auto", help="auto | cuda | mps | cpu")
    p.add_argument("--config", help="a capstone tier's model: smoke | gpt2-small (default: smoke on cpu, else gpt2-small)")
    p.add_argument("--steps", type=int, default=10, help="timed optimiser steps per model and round")
    p.add_argument("--threads", type=int, help="CPU threads (default: torch's, one per core)")
    p.set_defaults(run=cmd_bench)

    p = verbs.add_parser("blog", help="a small site of your results written up (build/blog/), from notes/blog/")
    p.add_argument("--impl", default="exercises", help="whose figures: exercises | solutions | PATH to a tree like exercises/")
    p.add_argument("--run", dest="run_id", help="the capstone run to write about (default: the newest graded one)")
    p.add_argument("--out", help="the site's folder (default: build/blog)")
    p.add_argument("--posts", help="a folder of your own post templates (default: notes/blog)")
    p.set_defaults(run=cmd_blog)

    verbs.add_parser("list", help="the catalog").set_defaults(run=cmd_list)
    verbs.add_parser("notebooks", help="one Jupyter notebook per phase under build/notebooks/").set_defaults(
        run=cmd_notebooks)
    p = verbs.add_parser("docs", help="render papers/README.md and notes/README.md from the data")
    p.add_argument("--check", action="store_true", help="fail when a rendered page is out of date")
    p.set_defaults(run=cmd_docs)
    verbs.add_parser("doctor", help="what this environment has").set_defaults(run=cmd_doctor)
    return parser


def parse(argv: list[str]) -> argparse.Namespace:
    """Parse the command line; `check ... -- ARGS` hands ARGS to pytest."""
    own, passthrough = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, None)
    args = build_parser().parse_args(own)
    if passthrough is not None:
        if args.verb != "check":
            raise UsageError(f"arguments after -- are for pytest, and only `check` takes them (got {args.verb!r})")
        args.pytest_args = passthrough
    return args


def _stop_on_signal(signum, frame):
    raise KeyboardInterrupt  # SIGTERM or SIGHUP: stop as Ctrl-C does, so children are stopped and nothing half-written


def main(argv=None) -> int:
    import signal

    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, _stop_on_signal)
    try:
        args = parse(sys.argv[1:] if argv is None else list(argv))
        _refuse_in_release(args.verb)
        return args.run(args)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the run was stopped; no report was written and earlier reports are as they were",
              file=sys.stderr)
        return 130
    except BrokenPipeError:  # `grading list | head`: the reader left; say nothing more, as a killed writer would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
