"""README.md is tested: every `make …` and `python -m …` line of its code blocks (and in its prose) resolves to a real target,
verb, flag, phase and exercise id (make -n shows what each make line runs, and the engine's own parser reads
it); nothing is run. Placeholders (N, ID, RUN, PATH, /path/to/…, …) and optional [parts] are allowed."""
from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess

import pytest

from grading import ROOT, UsageError, catalog, cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
STAMPS = [".venv/.installed", ".venv/.hf-data", ".venv/.notebooks", ".venv/.torch"]
PLACEHOLDER = re.compile(r"^(N|ID|RUN|PATH|OUT|DIR|FILE|S|…|\.\.\.)$|^/path/to/|…|<")


def _commands() -> list[str]:
    lines = []
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", README, flags=re.S | re.M):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            for part in re.split(r"&&| \| ", line):
                part = re.sub(r"\[[^\]]*\]", "", part).strip()  # [run=ID]: optional
                if part.startswith(("make ", "python -m ")):
                    lines.append(part)
    prose = re.sub(r"^```.*?^```", "", README, flags=re.S | re.M)
    spans = [span.split(" | ")[0] for span in re.findall(r"`([^`\n]+)`", prose)]
    lines += [span for span in spans if span.startswith(("make ", "python -m "))]
    return list(dict.fromkeys(lines))


COMMANDS = _commands()
# The README shows this one failing on purpose: an unknown id and the closest ones it names.
SHOWN_FAILING = {"make hint ex=attention": "did you mean attention_map or torch_attention or flash_attention?"}


def test_the_readme_shows_commands():
    assert len(COMMANDS) > 20 and any(c.startswith("python -m grading") for c in COMMANDS)


def _resolve_grading(args: list[str]):
    """Parse as the engine does, then look up what it names: exercise ids, phases, named trees, hint levels."""
    try:
        parsed = cli.parse(args)
    except UsageError as err:
        pytest.fail(f"`python -m grading {shlex.join(args)}`: {err}")
    cat = catalog.load()
    for name in ("exercise",):
        value = getattr(parsed, name, None)
        if value and not PLACEHOLDER.search(value):
            cli.find_exercise(value)
    phases = getattr(parsed, "phase", None)
    for value in phases if isinstance(phases, list) else [phases]:
        if value and not PLACEHOLDER.search(value):
            for number in value.split(","):
                cat.phase(number)
    impl = getattr(parsed, "impl", None)
    if impl and not PLACEHOLDER.search(impl) and "/" not in impl:
        assert impl in ("exercises", "solutions"), impl
    if parsed.verb == "hint":
        assert 1 <= parsed.level <= len(cli.find_exercise(parsed.exercise).hints)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_readme_command_resolves(command):
    if command in SHOWN_FAILING:
        with pytest.raises(UsageError, match=re.escape(SHOWN_FAILING[command])):
            _resolve_make(command)
        assert SHOWN_FAILING[command] in " ".join(README.split())
        return
    words = shlex.split(command)
    if words[0] == "python":
        module = words[2]
        if module == "grading":
            _resolve_grading(words[3:])
        else:
            assert importlib.util.find_spec(module) is not None, f"no module {module}"
        return
    _resolve_make(command)


def _resolve_make(command: str):
    words = shlex.split(command)
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    old = [a for stamp in STAMPS for a in ("-o", stamp)]  # what would run, without setting anything up
    dry = subprocess.run(["make", "-n", *old, *words[1:]], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, f"{command}: {dry.stderr}"
    runs = [line for line in dry.stdout.splitlines() if " -m " in line]
    assert runs, f"{command} runs nothing: {dry.stdout}"
    for line in runs:
        argv = shlex.split(line)
        module = argv[argv.index("-m") + 1]
        rest = argv[argv.index("-m") + 2:]
        if module == "grading":
            _resolve_grading([a for a in rest if a != ""])
        elif module not in ("pytest", "pip", "ipykernel"):
            assert importlib.util.find_spec(module) is not None, f"{command}: no module {module}"


def test_readme_states_exit_codes_as_make_gives_them_and_the_suites_time():
    assert "exit status 2" in README and "make turns any non-zero status into its own" in README
    assert re.search(r"make test .*about \d+ minutes", README)
    assert "ex=attention " not in README.replace("make hint ex=attention`", "")
