"""The stub generator: one source, generated stubs, markers validated, learners' work never lost."""
import pytest

from grading import UsageError, catalog, stubs
from tests.support import cli, copy_solutions

SOURCE = '''def f(x):
    """Docstring stays."""
    y = 1
    # BEGIN SOLUTION
    return x + y
    # END SOLUTION


class A:
    def method(self):
        if True:
            # BEGIN SOLUTION
            return 2
            # END SOLUTION

    def setup(self):
        """Called by __init__."""
        # BEGIN SOLUTION (stub: pass)
        self.x = 1
        # END SOLUTION
'''


def test_blocks_become_raise_at_their_indentation():
    out = stubs.stub_source(SOURCE, "x.py", "demo")
    assert '"""Docstring stays."""' in out and "y = 1" in out
    assert "    raise NotImplementedError(\"f is not written yet (exercise 'demo'; hints: make hint ex=demo)\")" in out
    assert "            raise NotImplementedError(\"method is not written yet (exercise 'demo'" in out
    assert "return x + y" not in out and "return 2" not in out
    compile(out, "x.py", "exec")


def test_a_no_op_block_becomes_pass_and_reads_as_unwritten():
    """`(stub: pass)` blocks (methods the given __init__ calls) become `pass`: the object can be built, and
    `unwritten` lets their checks say "not started" instead of failing."""
    out = stubs.stub_source(SOURCE, "x.py", "demo")
    assert "        pass  # not written yet" in out and "make hint ex=demo" in out and "self.x = 1" not in out
    namespace = {}
    exec(compile(out, "stub.py", "exec"), namespace)
    assert namespace["A"]().setup() is None
    solved = {}
    exec(compile(SOURCE.replace("# BEGIN SOLUTION (stub: pass)", "# BEGIN SOLUTION"), "solved.py", "exec"), solved)
    import inspect
    import linecache
    for name, source in (("stub.py", out), ("solved.py", SOURCE)):  # inspect.getsource reads through linecache
        linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
    assert stubs.unwritten(namespace["A"].setup) and not stubs.unwritten(solved["A"].setup)
    assert not stubs.unwritten(namespace["f"]) and inspect.isfunction(namespace["f"])


@pytest.mark.parametrize("source, message", [
    ("def f():\n    # BEGIN SOLUTION\n    pass\n", "never closed"),
    ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    pass\n    # END SOLUTION\n", "nested"),
    ("def f():\n    pass\n    # END SOLUTION\n", "without a matching"),
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "module level"),
    ("class A:\n    # BEGIN SOLUTION\n    x = 1\n    # END SOLUTION\n", "not directly inside a function"),
    ("def f():\n    # BEGIN SOLUTION (stub: return)\n    pass\n    # END SOLUTION\n", "unknown marker"),
])
def test_bad_markers_are_errors(source, message):
    with pytest.raises(UsageError, match=message):
        stubs.stub_source(source, "x.py", "demo")


def test_committed_exercises_match_generator():
    """Every stub in exercises/ is what the generator makes now, but files the learner has edited: the phase
    manifests (exercises/<phase>/.stubs.sha256) record what was generated, so an edit is not a stale stub."""
    assert stubs.differences(learner_edits=True) == []


def test_stale_stubs_are_told_from_learner_edits(tmp_path, monkeypatch):
    monkeypatch.setattr(stubs, "EXERCISES", tmp_path / "exercises")
    stubs.generate(stubs.EXERCISES)
    exercise = catalog.load().exercise("probability")
    learner = stubs.EXERCISES / exercise.relpath
    assert stubs.differences() == [] == stubs.differences(learner_edits=True)
    learner.write_text(learner.read_text() + "\n# my work\n")
    assert stubs.differences() == [f"differs: exercises/{exercise.relpath}"]
    assert stubs.differences(learner_edits=True) == []
    manifest = stubs.EXERCISES / exercise.phase_dir / stubs.MANIFEST
    manifest.write_text(manifest.read_text().replace(manifest.read_text()[:8], "0" * 8, 1))  # as if stale
    assert any("out of date" in d for d in stubs.differences(learner_edits=True))


def test_every_stub_names_its_own_function_and_the_hint_command(tmp_path):
    stubs.generate(tmp_path)
    for exercise in catalog.load().exercises:
        text = (tmp_path / exercise.relpath).read_text()
        assert f"is not written yet (exercise '{exercise.id}'; hints: make hint ex={exercise.id})" in text, exercise.id
    probability = (tmp_path / catalog.load().exercise("probability").relpath).read_text()
    for function in ("softmax", "log_softmax", "cross_entropy", "entropy", "kl_divergence"):
        assert f'NotImplementedError("{function} is not written yet' in probability


def test_gpt_can_be_built_from_its_stub(tmp_path):
    """GPT.__init__ calls tie_weights() and init_weights(): their stubs are no-ops, so GPT(config) builds
    while forward still says it is not written."""
    stubs.generate(tmp_path / "exercises", "phase07_gpt_architecture")
    text = (tmp_path / "exercises" / "phase07_gpt_architecture" / "model.py").read_text()
    assert text.count("pass  # not written yet") == 2
    assert 'NotImplementedError("forward is not written yet' in text


def test_reset_backs_up_the_learners_file(tmp_path, monkeypatch):
    monkeypatch.setattr(stubs, "EXERCISES", tmp_path / "exercises")
    monkeypatch.setattr(stubs, "BACKUPS", tmp_path / "backups")
    exercise = catalog.load().exercise("probability")
    learner = tmp_path / "exercises" / exercise.relpath
    learner.parent.mkdir(parents=True)
    learner.write_text("# my work\n")
    first_dest, first_backup = stubs.reset(exercise)
    assert first_backup.read_text() == "# my work\n"
    assert "NotImplementedError" in first_dest.read_text()
    _, second_backup = stubs.reset(exercise)  # same second: must not overwrite the first backup
    assert second_backup != first_backup and first_backup.read_text() == "# my work\n"


def test_stubs_for_a_phase_back_up_the_learners_files(tmp_path, monkeypatch):
    monkeypatch.setattr(stubs, "SOLUTIONS", copy_solutions(tmp_path / "solutions"))
    monkeypatch.setattr(stubs, "EXERCISES", tmp_path / "exercises")
    monkeypatch.setattr(stubs, "BACKUPS", tmp_path / "backups")
    stubs.generate(stubs.EXERCISES)
    exercise = catalog.load().exercise("probability")
    learner = stubs.EXERCISES / exercise.relpath
    learner.write_text("# my work\n")
    untouched = stubs.EXERCISES / catalog.load().exercise("vectors").relpath
    solution = stubs.SOLUTIONS / exercise.relpath
    solution.write_text(solution.read_text().replace("Stable for inputs", "Stable (a changed docstring) for inputs"))
    written = stubs.generate(phase_dir=exercise.phase_dir)     # what `stubs --phase 0` runs
    assert learner in written and "a changed docstring" in learner.read_text()
    saved = list((tmp_path / "backups").rglob("*.py"))
    assert [p.read_text() for p in saved] == ["# my work\n"], saved   # only the learner's file, not the stubs
    assert untouched.read_text() == stubs.stub_for(stubs.SOLUTIONS / "phase00_math" / "vectors.py", catalog.load())


def test_stubs_refuses_to_overwrite_exercises():
    result = cli("stubs")
    assert result.returncode == 2 and "make reset" in result.stderr
