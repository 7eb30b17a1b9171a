"""make blog: the site builds from a tiny capstone run (tests/test_capstone_faults.py's tier, seconds of CPU) and a
phase-0 grade, quotes only numbers its results support, runs every code block it shows, and renders in headless
Chromium (tests/test_reports.py's driver). Without a run or with unwritten exercises it still builds, saying
in one line per missing piece how to make it."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys

import pytest

from grading import ROOT, stubs
from tests.test_capstone_faults import Tiny, tiny_build
from tests.test_reports import browser  # noqa: F401 - the fixture, headless Chromium

FIGURES = {"xor", "embeddings", "lengths", "parameters", "curves", "attention"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A tiny graded capstone run, a phase-0 grade, then `blog --impl solutions`, all in a build of its own."""
    build = tmp_path_factory.mktemp("blog-build")
    tiny = tiny_build(build)
    run = tiny.run("solutions", "--max-steps", 150)
    assert tiny.cli("capstone-grade", "--run", run.name).returncode in (0, 1)     # graded either way
    checked = tiny.cli("check", "--phase", 0, "--impl", "solutions", "--json", build / "grade" / "results.json")
    assert checked.returncode == 0, checked.stderr[-2000:]
    result = tiny.cli("blog", "--impl", "solutions")
    return {"tiny": tiny, "run": run, "result": result, "out": build / "blog",
            "facts": json.loads((build / "blog" / "facts.json").read_text())}


def test_the_site_builds_with_every_figure(site):
    assert site["result"].returncode == 0, site["result"].stdout + site["result"].stderr
    assert "Traceback" not in site["result"].stderr
    out = site["out"]
    assert set(site["facts"]["figures"]) == FIGURES and not site["facts"]["missing"], site["facts"]["missing"]
    for name in FIGURES:
        assert (out / "figures" / f"{name}.png").stat().st_size > 5_000
    assert len(list(out.glob("*.html"))) == 5        # the index and four posts


def test_the_numbers_are_the_results_they_came_from(site):
    facts, run = site["facts"]["facts"], site["run"]
    grade = json.loads((run / "grade.json").read_text())
    results = json.loads((site["tiny"].build / "grade" / "results.json").read_text())
    assert facts["capstone.test_loss"] == grade["test_loss"] and facts["capstone.run_id"] == run.name
    assert facts["grade.score"] == results["score"] and facts["grade.max_score"] == results["extra_data"]["max_score"]
    assert facts["parameters.total"] == 124_439_808
    assert facts["xor.perceptron"] <= 0.8 and facts["xor.mlp"] >= 0.95
    post = (site["out"] / "4-training-on-my-machine.html").read_text()
    assert f"{grade['test_loss']:.3f}" in post and run.name in post
    assert "124,439,808" in (site["out"] / "3-gpt2-small-exactly.html").read_text()


def test_a_number_no_result_supports_fails_the_build(site, tmp_path):
    posts = tmp_path / "posts"
    shutil.copytree(ROOT / "notes" / "blog", posts)
    first = sorted(posts.glob("*.md"))[0]
    first.write_text(first.read_text() + "\nMy network was right 97.3% of the time.\n")
    result = site["tiny"].cli("blog", "--impl", "solutions", "--posts", posts, "--out", tmp_path / "site")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert re.search(r"quotes 97\.3%, which none of your results supports", result.stderr), result.stderr


def python_blocks(page) -> list[str]:
    return [html.unescape(code) for code in
            re.findall(r'<pre><code class="language-python">(.*?)</code></pre>', page.read_text(), re.DOTALL)]


def test_every_code_block_in_the_posts_runs(site):
    blocks = [(page.name, code) for page in sorted(site["out"].glob("*.html")) for code in python_blocks(page)]
    assert len(blocks) >= 4, "each post shows code"
    for name, code in blocks:
        result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"a code block of {name} failed:\n{code}\n{result.stderr[-2000:]}"


def test_without_a_run_or_written_exercises_each_missing_piece_is_one_line(tmp_path):
    """Fresh stubs and an empty build: the site still builds, and says how to make what it lacks."""
    tree = tmp_path / "tree"
    stubs.generate(tree)
    tiny = Tiny(tmp_path / "build")
    result = tiny.cli("blog", "--impl", tree)
    assert result.returncode == 0 and "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("blog: ")]
    assert any("xor: NotImplementedError: xor_boundaries is not written yet" in line for line in lines), lines
    assert any("capstone: no graded capstone run yet: `make capstone tier=smoke`" in line for line in lines), lines
    post = (tiny.build / "blog" / "4-training-on-my-machine.html").read_text()
    assert "No capstone run yet" in post and "make capstone tier=smoke" in post


def test_figure_code_that_exits_or_kills_its_process_costs_figures_not_the_site(tmp_path):
    """The figures are drawn in a child process: SystemExit in one exercise is that figure's line; a process
    that dies (os._exit) is one line per figure; the site is built both times."""
    tree = tmp_path / "tree"
    stubs.generate(tree)
    phase10 = tree / "phase10_blog_writing"
    with (phase10 / "embedding_map.py").open("a") as f:
        f.write("\n\ndef embedding_map(*args, **kwargs):\n    raise SystemExit(4)\n")
    tiny = Tiny(tmp_path / "build")
    result = tiny.cli("blog", "--impl", tree)
    lines = [line for line in result.stdout.splitlines() if line.startswith("blog: ")]
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "blog: embeddings: SystemExit: 4" in lines and any("xor: NotImplementedError" in line for line in lines), lines
    with (phase10 / "decision_boundary.py").open("a") as f:
        f.write("\n\ndef xor_boundaries(*args, **kwargs):\n    import os\n    os._exit(3)\n")
    result = tiny.cli("blog", "--impl", tree)
    lines = [line for line in result.stdout.splitlines() if line.startswith("blog: ")]
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    for name in FIGURES:
        assert f"blog: {name}: the figures' process stopped: exit code 3" in lines, lines
    assert (tiny.build / "blog" / "index.html").is_file()


@pytest.mark.parametrize("args, words", [(["--impl", "/nonexistent"], "does not exist"),
                                         (["--run", "no-such-run"], "no capstone run"),
                                         (["--posts", "/nonexistent"], "no posts in")])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, words):
    result = Tiny(tmp_path).cli("blog", "--impl", "solutions", *args) if "--impl" not in args else \
        Tiny(tmp_path).cli("blog", *args)
    assert result.returncode == 2 and words in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_the_site_renders_in_a_browser(site, browser):
    index = site["out"] / "index.html"
    browser.open(index.as_uri())
    text = browser.evaluate("document.body.innerText")
    for title in ("From perceptron to backprop", "Why attention", "GPT-2 Small, exactly", "Training it on my machine"):
        assert title in text
    page = site["out"] / "4-training-on-my-machine.html"
    browser.open(page.as_uri())
    text = browser.evaluate("document.body.innerText")
    assert f"test loss of {site['facts']['facts']['capstone.test_loss']:.3f} nats per token" in text
    assert browser.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 100)")
    browser.open((site["out"] / "3-gpt2-small-exactly.html").as_uri())
    assert "My count is 124,439,808." in browser.evaluate("document.body.innerText")
    assert browser.evaluate("document.images.length") == 2
