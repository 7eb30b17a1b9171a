"""A maintainer's tool: every planted mistake (tests/mistakes/*.toml) and every control (the untouched reference)
under several session seeds, as tests/test_mistakes.py runs them under one. `make test` draws a fresh seed each
run, so a mistake caught under most seeds but not all, or a reference that fails under some, is a CI failure
waiting for its seed; this finds them before CI does.

    python -m tests.seed_sweep --seeds 11,22,33,44 [--exercise ID] [--out build/seed_sweep.jsonl]

Prints one line per mistake missed or control failed, with the seeds, and a summary; exit 1 if any. One line of
JSON per mistake and per control goes to --out as it is measured (a long sweep can be read while it runs).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from grading import BUILD, UsageError, catalog, runner
from tests.support import copy_solutions
from tests.test_mistakes import mistakes


def sweep(seeds: list[int], only: str | None, out: Path) -> int:
    cat = catalog.load()
    planted = [m.values[0] for m in mistakes() if only in (None, m.values[0]["exercise"])]
    if not planted:
        raise UsageError(f"no planted mistakes for exercise {only!r}; ids with mistakes are in tests/mistakes/*.toml")
    base = Path(tempfile.mkdtemp(prefix="seed-sweep-"))
    reference = copy_solutions(base / "reference")
    out.parent.mkdir(parents=True, exist_ok=True)
    problems, start = 0, time.monotonic()
    with out.open("w") as log:
        for n, mistake in enumerate(planted):
            exercise = cat.exercise(mistake["exercise"])
            tree = copy_solutions(base / f"mistake{n}")
            target = tree / exercise.relpath
            target.write_text(target.read_text().replace(mistake["replace"], mistake["with"]))
            missed = [s for s in seeds if not any(c.outcome == "failed" for c in
                                                  runner.run([exercise], str(tree), seed=s)[0][0].checks)]
            log.write(json.dumps({"mistake": mistake["description"], "exercise": exercise.id, "missed": missed}) + "\n")
            log.flush()
            if missed:
                problems += 1
                print(f"missed under seeds {missed}: {exercise.id}: {mistake['description']}")
        for exercise_id in sorted({m["exercise"] for m in planted}):
            failing = {}
            for s in seeds:
                checks = runner.run([cat.exercise(exercise_id)], str(reference), seed=s)[0][0].checks
                failing.update({f"{c.name} (seed {s})": c.message for c in checks if c.outcome != "passed"})
            log.write(json.dumps({"control": exercise_id, "failing": failing}) + "\n")
            if failing:
                problems += 1
                print(f"the reference fails {exercise_id}: {', '.join(failing)}")
    print(f"{len(planted)} mistakes and {len({m['exercise'] for m in planted})} controls under seeds "
          f"{', '.join(map(str, seeds))}: {problems} problems, {time.monotonic() - start:.0f} s; one line each in {out}")
    return 1 if problems else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.seed_sweep")
    parser.add_argument("--seeds", default="11,22,33,44", help="comma-separated session seeds")
    parser.add_argument("--exercise", help="only this exercise's mistakes and control")
    parser.add_argument("--out", type=Path, default=BUILD / "seed_sweep.jsonl")
    args = parser.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        print(f"error: --seeds must be comma-separated integers, got {args.seeds!r}", file=sys.stderr)
        return 2
    try:
        return sweep(seeds, args.exercise, args.out)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
