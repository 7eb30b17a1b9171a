"""What a grade leaves behind: Gradescope's results.json (against a JSON Schema of its documented format), the
autograder that writes it, the HTML page (rendered in a real headless Chromium), progress and next, grade-all.

One graded submission serves most tests: phases 0 and 1 of a fresh stub tree in which two phase-0 exercises
are the reference and one carries a planted mistake, graded by the generated run_autograder exactly as
Gradescope would run it, with a teacher's private check whose message must stay hidden.
"""
from __future__ import annotations

import base64
import csv
import json
import os
import select
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from grading import BUILD, ROOT, catalog, report, runner, stubs
from tests.support import cli

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "gradescope_results.schema.json").read_text())
MISTAKE = ("return float(-np.mean(log_probs", "return float(-np.sum(log_probs")
SECRET = "the private check's secret message"


def _learner_tree(path: Path) -> Path:
    """Stubs everywhere; phase 0's vectors and broadcasting solved; probability with a planted mistake."""
    stubs.generate(path)
    for module in ("vectors", "broadcasting", "probability"):
        shutil.copy(ROOT / "solutions" / "phase00_math" / f"{module}.py", path / "phase00_math" / f"{module}.py")
    target = path / "phase00_math" / "probability.py"
    target.write_text(target.read_text().replace(*MISTAKE))
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The autograder, unpacked as Gradescope unpacks it, run on one submission."""
    base = tmp_path_factory.mktemp("gradescope")
    private = base / "private" / "phase00_math"
    private.mkdir(parents=True)
    (private / "test_vectors_private.py").write_text(
        "def test_dot_of_orthogonal_vectors(impl):\n"
        f"    assert impl.dot([1, 0], [0, 1]) == 1, {SECRET!r}\n")
    made = cli("gradescope", base / "out", "--extra-checks", base / "private", "--visibility", "after_due_date")
    assert made.returncode == 0, made.stderr
    root = base / "autograder"
    with zipfile.ZipFile(base / "out" / "autograder.zip") as zf:
        zf.extractall(root / "source")
    (root / "source" / ".venv").symlink_to(ROOT / ".venv")
    _learner_tree(root / "submission" / "exercises")
    env = dict(os.environ, AUTOGRADER=str(root), PYTHONDONTWRITEBYTECODE="1")
    run = subprocess.run(["bash", str(base / "out" / "run_autograder"), "--phase", "0,1"], env=env,
                         capture_output=True, text=True, timeout=600)
    results = root / "results" / "results.json"
    assert results.is_file(), run.stdout[-3000:] + run.stderr[-3000:]
    return dict(base=base, root=root, run=run, data=json.loads(results.read_text()),
                tree=root / "submission" / "exercises")


def test_the_autograder_files(graded):
    out = graded["base"] / "out"
    for name in ("setup.sh", "run_autograder"):
        assert os.access(out / name, os.X_OK)
        assert subprocess.run(["bash", "-n", str(out / name)]).returncode == 0
    with zipfile.ZipFile(out / "autograder.zip") as zf:
        names = set(zf.namelist())
    assert {"setup.sh", "run_autograder", "Makefile", "grading/cli.py", "checks/conftest.py",
            "solutions/phase00_math/probability.py", "private_checks/phase00_math/test_vectors_private.py"} <= names
    assert not any(n.startswith((".venv/", "build/", ".git/")) for n in names)


def test_results_json_follows_gradescopes_format(graded):
    import jsonschema

    data = graded["data"]
    jsonschema.validate(data, SCHEMA)
    assert "max_score" not in data and data["visibility"] == "after_due_date"
    phase01 = [e for e in catalog.load().exercises if e.phase in (0, 1)]
    assert data["extra_data"]["max_score"] == sum(e.points for e in phase01)
    assert sum(t["max_score"] for t in data["tests"]) == pytest.approx(data["extra_data"]["max_score"])
    by_name = {t["name"]: t for t in data["tests"]}
    vectors = next(t for n, t in by_name.items() if "vectors:" in n and "teacher" not in n)
    assert vectors["status"] == "passed" and "visibility" not in vectors
    probability = next(t for n, t in by_name.items() if "probability:" in n)
    assert probability["status"] == "failed" and "likely mistake" in probability["output"]
    assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))


def test_a_teachers_check_stays_hidden_until_published(graded):
    tests = graded["data"]["tests"]
    hidden = [t for t in tests if "teacher's checks" in t["name"]]
    assert len(hidden) == 1 and hidden[0]["visibility"] == "after_published"
    assert hidden[0]["status"] == "failed" and SECRET in hidden[0]["output"]
    assert all(SECRET not in json.dumps(t) for t in tests if t is not hidden[0])


def test_an_ungradable_submission_still_gets_a_results_json(graded, tmp_path):
    root = tmp_path / "autograder"
    shutil.copytree(graded["root"] / "source", root / "source", symlinks=True)
    (root / "submission").mkdir()
    (root / "submission" / "notes.txt").write_text("not a tree")
    env = dict(os.environ, AUTOGRADER=str(root))
    subprocess.run(["bash", str(graded["base"] / "out" / "run_autograder")], env=env, capture_output=True, timeout=300)
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and "is not a tree" in data["output"]


def _phase0_row(stdout: str) -> list[str]:
    row = next(line for line in stdout.splitlines() if "0 Math foundations" in line)
    return [c.strip() for c in row.strip("│┃| ").split("│")]


def test_progress_and_next_come_from_the_recorded_results(graded):
    """broadcasting passed; vectors failed the teacher's check and probability its own; the rest not started."""
    tree, phase0 = graded["tree"], catalog.load().phase(0).exercises
    progress = cli("progress", "--impl", tree)
    minutes_left = sum(e.minutes for e in phase0 if e.id != "broadcasting")
    cells = _phase0_row(progress.stdout)
    assert progress.returncode == 0 and cells[1:4] == ["1", "2", str(len(phase0) - 3)], progress.stdout
    assert cells[5] == str(minutes_left), progress.stdout
    nxt = cli("next", "--impl", tree)
    vectors = catalog.load().exercise("vectors")
    assert "Next: vectors" in nxt.stdout and "failing at its last check" in nxt.stdout
    assert vectors.hints[0][:40] in nxt.stdout
    (tree / "phase00_math" / "broadcasting.py").write_text("# rewritten since its check\n")
    assert _phase0_row(cli("progress", "--impl", tree).stdout)[1] == "0"  # a changed file is not done


# ---------------------------------------------------------------- the HTML page, in a real browser

class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe (no extra package, no network port)."""

    def __init__(self, profile: Path):
        exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
        if exe is None:
            pytest.skip("no Chromium here: install it (Debian: apt-get install -y chromium) to test the HTML report")
        to_chrome, self._out = os.pipe()
        self._in, from_chrome = os.pipe()

        def pipes_at_3_and_4():  # where --remote-debugging-pipe expects them; above 10 first, so none is overwritten
            import fcntl

            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chrome, from_chrome)]
            for target, fd in zip((3, 4), high):
                os.dup2(fd, target)  # inheritable, unlike the pipe's own descriptors

        self.process = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
             "--hide-scrollbars",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            preexec_fn=pipes_at_3_and_4, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome)
        os.close(from_chrome)
        self.buffer, self.next_id, self.session = b"", 0, None

    def send(self, method: str, timeout: float = 60, **params) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self.buffer:
                if not select.select([self._in], [], [], timeout)[0]:
                    raise TimeoutError(f"Chromium did not answer {method}")
                chunk = os.read(self._in, 1 << 20)
                if not chunk:
                    raise EOFError("Chromium closed its pipe")
                self.buffer += chunk
            raw, _, self.buffer = self.buffer.partition(b"\0")
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def open(self, url: str):
        target = self.send("Target.createTarget", url=url)["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for _ in range(300):  # the new tab starts on about:blank, itself complete at once
            if self.evaluate("location.href + ' ' + document.readyState") == f"{url} complete":
                return
            select.select([], [], [], 0.1)
        raise TimeoutError(f"{url} did not finish loading")

    def evaluate(self, expression: str):
        return self.send("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except (OSError, RuntimeError, TimeoutError, EOFError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._out)
        os.close(self._in)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.close()


def test_the_graded_report_renders_with_subtotals_details_hints_and_reproduce(graded, browser):
    page = BUILD / "grade" / "report.html"
    html = page.read_text()
    assert "<script src" not in html and "<link" not in html and "http://" not in html.split("</style>")[1]
    browser.open(page.as_uri())
    closed = browser.evaluate("document.body.innerText")
    assert "Phase 0 · Math foundations" in closed and "Phase 1 · Neural networks" in closed
    phase0_points = sum(e.points for e in catalog.load().phase(0).exercises)
    assert f"{graded['data']['score']:g}/{phase0_points} points" in closed  # phase 1 scores nothing
    assert "likely mistake" not in closed  # each exercise's detail starts collapsed
    seed = graded["data"]["extra_data"]["seed"]
    opened = browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true); "
                              "document.body.innerText")
    assert "likely mistake" in opened
    function, hint = catalog.load().exercise("probability").hint_for("cross_entropy")  # the planted mistake's
    assert function == "cross_entropy" and f"hint (cross_entropy): {hint[:50]}" in opened
    assert f"make check ex=probability impl={graded['tree']} seed={seed}" in opened
    assert browser.evaluate("document.querySelectorAll('details.passed').length") == 1  # broadcasting


PNG_1x1 = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")


def test_capstone_grade_plot_and_history_are_embedded(tmp_path, browser):
    """Rendered from results made here (no run needed): the capstone's grade and its plot, inline."""
    (tmp_path / "grade.png").write_bytes(PNG_1x1)
    ex = catalog.load().exercise("vectors")
    results = [runner.ExerciseResult(ex, [runner.CheckResult("checks/phase00_math/test_vectors.py::test_dot", "dot",
                                                             "passed")])]
    capstone = {"run_id": "smoke-1", "tier": "smoke", "device": "cpu", "passed": True, "points": 50,
                "max_points": 50, "test_loss": 1.5432, "target": 1.7, "plot": str(tmp_path / "grade.png"),
                "checks": [{"name": "nonce", "ok": True, "detail": "the checkpoint carries this run's nonce"}]}
    history = [{"time": "2026-01-01T10:00:00", "score": 0, "max_score": 5},
               {"time": "2026-01-02T10:00:00", "score": 5, "max_score": 5}]
    page = tmp_path / "report.html"
    report.write_html(page, results, "exercises", 1, 2.0, capstone=capstone, history=history)
    (tmp_path / "grade.png").unlink()  # the page carries its own copy
    browser.open(page.as_uri())
    text = browser.evaluate("document.body.innerText")
    assert "Capstone" in text and "test loss 1.5432 (target 1.7)" in text and "PASS" in text
    assert browser.evaluate("document.querySelector('img.plot').naturalWidth") == 1
    assert "Progress over time" in text and "2 grades, from 0 points" in text


# ---------------------------------------------------------------- grade-all

def test_grade_all_writes_one_row_per_learner(tmp_path):
    folder = tmp_path / "class"
    stubs.generate(folder / "ada")
    shutil.copytree(ROOT / "solutions" / "phase00_math", folder / "grace" / "exercises" / "phase00_math",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "linus").mkdir(parents=True)
    out = tmp_path / "grades.csv"
    result = cli("grade-all", folder, "--phase", "0", "--seed", "4", "--out", out)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {r["learner"]: r for r in csv.DictReader(out.open())}
    phase0 = catalog.load().phase(0).exercises
    assert set(rows) == {"ada", "grace", "linus"}
    assert float(rows["ada"]["score"]) == 0 and float(rows["grace"]["score"]) == sum(e.points for e in phase0)
    assert float(rows["grace"]["probability"]) == catalog.load().exercise("probability").points and rows["grace"]["max_score"] == str(sum(e.points for e in phase0))
    assert rows["linus"]["error"] and not rows["linus"]["score"]


def test_grade_reports_progress_before_each_exercise():
    """The callback behind grade's status line: told each exercise before its checks start."""
    exercises = list(catalog.load().phase(0).exercises[:2])
    seen = []
    results, _, _ = runner.run(exercises, "solutions", progress=lambda i, e: seen.append((i, e.id)))
    assert seen == [(0, exercises[0].id), (1, exercises[1].id)]
    assert all(r.status == "passed" for r in results)


def test_grade_out_dash_is_json_on_stdout(tmp_path):
    tree = tmp_path / "tree"
    stubs.generate(tree)
    result = cli("grade", "--impl", tree, "--phase", "0", "--out", "-", "--no-record")
    data = json.loads(result.stdout)
    assert result.returncode == 1 and data["score"] == 0 and "Math foundations" in result.stderr
    assert len(data["tests"]) == len(catalog.load().phase(0).exercises)
