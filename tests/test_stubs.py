"""The stub generator: one source, generated stubs, markers validated, learners' work never lost."""
import pytest

from grading import UsageError, catalog, stubs
from tests.support import cli

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
'''


def test_blocks_become_raise_at_their_indentation():
    out = stubs.stub_source(SOURCE, "x.py", "demo", "think first")
    assert '"""Docstring stays."""' in out and "y = 1" in out
    assert "    raise NotImplementedError(\"f: exercise 'demo' not started. Hint: think first\")" in out
    assert "            raise NotImplementedError(\"method: exercise 'demo'" in out
    assert "return x + y" not in out and "return 2" not in out
    compile(out, "x.py", "exec")


@pytest.mark.parametrize("source, message", [
    ("def f():\n    # BEGIN SOLUTION\n    pass\n", "never closed"),
    ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    pass\n    # END SOLUTION\n", "nested"),
    ("def f():\n    pass\n    # END SOLUTION\n", "without a matching"),
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "module level"),
    ("class A:\n    # BEGIN SOLUTION\n    x = 1\n    # END SOLUTION\n", "not directly inside a function"),
])
def test_bad_markers_are_errors(source, message):
    with pytest.raises(UsageError, match=message):
        stubs.stub_source(source, "x.py", "demo", "hint")


def test_committed_exercises_match_generator():
    result = cli("stubs", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_stub_names_its_exercise_and_first_hint(tmp_path):
    stubs.generate(tmp_path)
    for exercise in catalog.load().exercises:
        text = (tmp_path / exercise.relpath).read_text()
        assert f"exercise '{exercise.id}' not started" in text, exercise.id
        assert exercise.hints[0][:40] in text, exercise.id


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


def test_stubs_refuses_to_overwrite_exercises():
    result = cli("stubs")
    assert result.returncode == 2 and "make reset" in result.stderr
