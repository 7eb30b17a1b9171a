"""`python -m grading <verb>`: the one entry point the Makefile wraps."""
from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

from grading import BUILD, ROOT, UsageError, catalog


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        raise UsageError(f"{self.prog}: {message}")


def cmd_check(args) -> int:
    from grading import report, runner

    cat = catalog.load()
    if args.exercise:
        exercise = cat.exercise(args.exercise)
        if args.phase is not None and cat.phase(args.phase).number != exercise.phase:
            raise UsageError(f"exercise {exercise.id!r} belongs to phase {exercise.phase}, not {args.phase}")
        phase, exercises = cat.phase(exercise.phase), [exercise]
    elif args.phase is not None:
        phase = cat.phase(args.phase)
        exercises = list(phase.exercises)
        if not exercises:
            print(f"phase {phase.number} ({phase.title}) has no exercises yet; "
                  f"phases with exercises: {', '.join(str(p.number) for p in cat.phases if p.exercises)}")
            return 0
    else:
        raise UsageError(f"say which phase: make check phase=N (valid: {', '.join(str(p.number) for p in cat.phases)})")
    extra = _extra(args)
    results, seed, seconds = runner.run(exercises, args.impl, args.seed, extra)
    report.phase_report(f"Phase {phase.number} · {phase.title}", results, args.impl, seed, seconds)
    if args.json:
        report.write_json(report.results_json(results, seconds, args.impl, seed), Path(args.json))
    return 0 if all(r.status == "passed" for r in results) else 1


def cmd_grade(args) -> int:
    from grading import report, runner

    cat = catalog.load()
    results, seed, seconds = runner.run(list(cat.exercises), args.impl, args.seed, _extra(args))
    by_phase = [(f"{p.number} {p.title}", [r for r in results if r.exercise.phase == p.number]) for p in cat.phases]
    report.console.print(report.grade_table(by_phase))
    data = report.results_json(results, seconds, args.impl, seed)
    out = BUILD / "grade"
    report.write_json(data, out / "results.json")
    report.write_html(data, out / "report.html")
    report.console.print(f"{data['score']:g}/{data['max_score']} points · {out / 'results.json'} · {out / 'report.html'}")
    return 0 if data["score"] == data["max_score"] else 1


def cmd_hint(args) -> int:
    exercise = catalog.load().exercise(args.exercise)
    levels = len(exercise.hints)
    if not 1 <= args.level <= levels:
        raise UsageError(f"hint level {args.level} is out of range; exercise {exercise.id!r} has levels 1..{levels}")
    print(f"{exercise.id}: {exercise.title}  ({exercise.relpath}, notes/{exercise.phase_dir}.md#{exercise.notes})")
    for level in range(1, args.level + 1):
        print(f"  {level}. {catalog.HINT_LEVELS[level - 1]}: {exercise.hints[level - 1]}")
    if args.level < levels:
        print(f"  next: make hint ex={exercise.id} level={args.level + 1}")
    return 0


def cmd_compare(args) -> int:
    import random

    from grading.compare import compare

    exercise = catalog.load().exercise(args.exercise)
    seed = random.randrange(2**31) if args.seed is None else args.seed
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
    written = stubs.generate(phase_dir=catalog.load().phase(args.phase).dir if args.phase is not None else None)
    print(f"wrote {len(written)} files under exercises/")
    return 0


def cmd_reset(args) -> int:
    from grading import stubs

    dest, backup = stubs.reset(catalog.load().exercise(args.exercise))
    print(f"reset {dest.relative_to(ROOT)}" + (f"; your previous file is saved at {backup.relative_to(ROOT)}" if backup else ""))
    return 0


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
        print(f"wrote {path.relative_to(ROOT)}")
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
        given = [f"--{k.replace('_', '-')}" for k in ("tier", "impl", "device", "max_steps", "seed", "tiers")
                 if getattr(args, k) is not None]
        if given:
            raise UsageError(f"--resume continues a run with its own settings; drop {', '.join(given)}")
        return run.resume(args.resume)
    return run.start(args.tier, args.impl or "exercises", args.device, args.max_steps, args.seed, args.tiers)


def cmd_capstone_grade(args) -> int:
    from grading.capstone import grade

    result = grade.grade(args.run_id, args.device)
    grade.report(result)
    return 0 if result["passed"] else 1


def cmd_bench(args) -> int:
    from grading.benchmarks import training_throughput

    return training_throughput.run(args.impl, args.device, args.config, args.steps, args.threads)


def _extra(args):
    return Path(args.extra_checks) if getattr(args, "extra_checks", None) else None


def build_parser() -> Parser:
    parser = Parser(prog="grading", description="Transformers From Scratch: the workbook's engine")
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=Parser)

    def tree_options(p):
        p.add_argument("--impl", default="exercises", help="exercises | solutions | PATH to a tree like exercises/")
        p.add_argument("--seed", type=int, help="reproduce a run's random inputs")

    p = verbs.add_parser("check", help="check one phase or exercise")
    p.add_argument("--phase")
    p.add_argument("--exercise")
    p.add_argument("--extra-checks", help="a teacher's folder of further checks (test_<id>*.py)")
    p.add_argument("--json", help="also write the results (Gradescope's results.json shape) to this file")
    tree_options(p)
    p.set_defaults(run=cmd_check)

    p = verbs.add_parser("grade", help="every phase, scored; JSON and HTML under build/grade/")
    p.add_argument("--extra-checks")
    tree_options(p)
    p.set_defaults(run=cmd_grade)

    p = verbs.add_parser("hint", help="staged hints: idea, equation, shapes, near-code")
    p.add_argument("exercise")
    p.add_argument("--level", type=int, default=1)
    p.set_defaults(run=cmd_hint)

    p = verbs.add_parser("compare", help="your functions and the reference on the same inputs")
    p.add_argument("exercise")
    tree_options(p)
    p.set_defaults(run=cmd_compare)

    p = verbs.add_parser("stubs", help="generate exercises/ from solutions/")
    p.add_argument("--check", action="store_true", help="fail when exercises/ differs from the generated stubs")
    p.add_argument("--force", action="store_true", help="overwrite exercises/ (your work goes)")
    p.add_argument("--phase", help="regenerate only this phase's stubs (for authors adding a phase)")
    p.set_defaults(run=cmd_stubs)

    p = verbs.add_parser("reset", help="regenerate one exercise's stub, backing up your file")
    p.add_argument("exercise")
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

    verbs.add_parser("list", help="the catalog").set_defaults(run=cmd_list)
    verbs.add_parser("notebooks", help="one Jupyter notebook per phase under build/notebooks/").set_defaults(
        run=cmd_notebooks)
    p = verbs.add_parser("docs", help="render papers/README.md and notes/README.md from the data")
    p.add_argument("--check", action="store_true", help="fail when a rendered page is out of date")
    p.set_defaults(run=cmd_docs)
    verbs.add_parser("doctor", help="what this environment has").set_defaults(run=cmd_doctor)
    return parser


def _stop_on_signal(signum, frame):
    raise KeyboardInterrupt  # SIGTERM or SIGHUP: stop as Ctrl-C does, so children are stopped and nothing half-written


def main(argv=None) -> int:
    import signal

    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, _stop_on_signal)
    try:
        args = build_parser().parse_args(argv)
        return args.run(args)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the run was stopped; no report was written and earlier reports are as they were",
              file=sys.stderr)
        return 130
