"""data/prepare.py: shards and meta.json from local files and `datasets`, idempotent, never half-written."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from data import prepare as prep
from data.gpt2_tokenizer import tiktoken_gpt2
from grading import ROOT

TEXT = "".join(f"LINE {i}:\nThe quick brown fox {i} jumps over the lazy dog.\n\n" for i in range(200))


def tokens(folder, split):
    meta = json.loads((folder / "meta.json").read_text())
    return np.concatenate([np.fromfile(folder / s["file"], dtype=np.uint16) for s in meta["splits"][split]["shards"]])


def test_char_tokenizer_round_trip(tmp_path):
    source = tmp_path / "corpus.txt"
    source.write_text(TEXT)
    out = prep.prepare(str(source), tokenizer="char", out=tmp_path / "out", progress=False)
    meta = prep.load_meta(out)
    assert meta["tokenizer"] == "char" and meta["chars"] == "".join(sorted(set(TEXT))) and meta["vocab_size"] == len(meta["chars"])
    decode = lambda ids: "".join(meta["chars"][i] for i in ids)  # noqa: E731
    train, val, test = (decode(tokens(out, split)) for split in prep.SPLITS)
    assert train + val + test == TEXT
    assert train.endswith("\n") and val.endswith("\n")                      # the tail, cut at line starts
    assert 0.05 < len(val) / len(TEXT) < 0.15 and 0.05 < len(test) / len(TEXT) < 0.15
    for split in prep.SPLITS:
        assert meta["splits"][split]["tokens"] == len(tokens(out, split))


def test_split_tokens_and_their_sha256_come_from_the_shards(tmp_path):
    import hashlib

    source = tmp_path / "corpus.txt"
    source.write_text(TEXT)
    out = prep.prepare(str(source), out=tmp_path / "out", shard_tokens=300, progress=False)
    for split in prep.SPLITS:
        assert prep.split_tokens(out, split).tolist() == tokens(out, split).tolist()
        assert prep.split_sha256(out, split) == hashlib.sha256(tokens(out, split).tobytes()).hexdigest()
    (out / "meta.json").write_text("{}")                  # an edited meta.json changes neither
    assert prep.split_sha256(out, "test") == hashlib.sha256(tokens_of_files(out, "test")).hexdigest()
    with pytest.raises(prep.PrepareError, match="damaged"):
        prep.load_meta(out)


def tokens_of_files(folder, split) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob(f"{split}_*.bin")))


def test_gpt2_tokens_equal_tiktoken_and_sharding(tmp_path):
    source = tmp_path / "corpus.txt"
    source.write_text(TEXT)
    out = prep.prepare(str(source), out=tmp_path / "out", shard_tokens=500, progress=False)
    meta = prep.load_meta(out)
    assert meta["tokenizer"] == "gpt2" and meta["vocab_size"] == 50257
    assert len(meta["splits"]["train"]["shards"]) > 1 and all(s["tokens"] <= 500 for s in meta["splits"]["train"]["shards"])
    enc = tiktoken_gpt2()
    train_text, held = prep._split_tail(TEXT, 2 * prep.VAL_FRACTION)
    val_text, test_text = prep._split_tail(held, 0.5)
    assert tokens(out, "train").tolist() == enc.encode_ordinary(train_text)
    assert tokens(out, "val").tolist() == enc.encode_ordinary(val_text)
    assert tokens(out, "test").tolist() == enc.encode_ordinary(test_text)


def test_chunked_encoding_is_exact():
    enc = tiktoken_gpt2()
    text = "  Hello\n\nworld!\n  indented\nNext line\n\n\nA" * 40
    pieces = list(prep.text_chunks(text, size=37))
    assert "".join(pieces) == text and len(pieces) > 5
    assert sum((enc.encode_ordinary(p) for p in pieces), []) == enc.encode_ordinary(text)


def test_folder_holds_out_whole_files(tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    for i in range(10):
        (folder / f"doc{i}.txt").write_text(f"document {i} " * 50)
    out = prep.prepare(str(folder), tokenizer="char", out=tmp_path / "out", progress=False)
    meta = prep.load_meta(out)
    val, test, train = ("".join(meta["chars"][i] for i in tokens(out, split)) for split in ("val", "test", "train"))
    assert val == "document 9 " * 50            # the last file, whole
    assert test == "document 8 " * 50           # the one before it
    assert "document 9" not in train and "document 8" not in train and train.count("document 0 ") == 50


def test_shakespeare_holds_out_whole_plays_for_validation_and_test():
    from data.shakespeare import VALIDATION_PLAYS, plays, train_val_text

    docs = dict(prep.shakespeare_documents())
    by_title = dict(plays())
    assert set(docs) == set(prep.SPLITS) and not set(prep.TEST_PLAYS) & set(VALIDATION_PLAYS)
    assert docs["val"] == train_val_text()[1]
    assert docs["test"] == "".join(by_title[t] + "\n" for t in sorted(prep.TEST_PLAYS))
    opening = {t: by_title[t][:400] for t in VALIDATION_PLAYS + prep.TEST_PLAYS}
    assert not [t for t, text in opening.items() if text in docs["train"]]
    assert 0.08 < len(docs["test"]) / sum(map(len, docs.values())) < 0.12


def test_hugging_face_datasets_on_local_files(tmp_path):
    source = tmp_path / "lines.txt"
    source.write_text("\n".join(f"row number {i} of the stream" for i in range(50)) + "\n")
    out = prep.prepare("hf:text", out=tmp_path / "out", data_files=[str(source)], cache_dir=tmp_path / "hf-cache",
                       progress=False)
    meta = prep.load_meta(out)
    enc = tiktoken_gpt2()
    val = tokens(out, "val").tolist()
    rows = [enc.encode_ordinary(f"row number {i} of the stream") for i in range(0, 50, 10)]
    assert val == sum((r + [50256] for r in rows), [])[:-1]     # every tenth row, <|endoftext|> between rows
    rows = [enc.encode_ordinary(f"row number {i} of the stream") for i in range(1, 50, 10)]
    assert tokens(out, "test").tolist() == sum((r + [50256] for r in rows), [])[:-1]    # the rows after those
    assert meta["splits"]["train"]["tokens"] == sum(len(enc.encode_ordinary(f"row number {i} of the stream"))
                                                    for i in range(50) if i % 10 > 1) + 39


def test_rerun_does_nothing_and_corruption_is_caught(tmp_path):
    source = tmp_path / "corpus.txt"
    source.write_text(TEXT)
    out = prep.prepare(str(source), tokenizer="char", out=tmp_path / "out", progress=False)
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    prep.prepare(str(source), tokenizer="char", out=out, progress=False)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps
    shard = out / "train_000.bin"
    data = bytearray(shard.read_bytes())
    data[10] ^= 1
    shard.write_bytes(bytes(data))
    with pytest.raises(prep.PrepareError, match="sha256"):
        prep.load_meta(out)
    prep.prepare(str(source), tokenizer="char", out=out, progress=False)     # rebuilt, whole again
    prep.load_meta(out)
    source.write_text(TEXT + "more\n")                                      # a changed input is noticed
    prep.prepare(str(source), tokenizer="char", out=out, progress=False)
    assert "".join(prep.load_meta(out)["chars"][i] for i in tokens(out, "test")).endswith("more\n")


def test_a_killed_run_is_not_taken_for_a_finished_one(tmp_path, monkeypatch):
    source = tmp_path / "corpus.txt"
    source.write_text(TEXT)
    out = tmp_path / "out"
    real = prep.write_atomic

    def dies_on_meta(path, data):
        if path.name == "meta.json":
            raise KeyboardInterrupt
        real(path, data)

    monkeypatch.setattr(prep, "write_atomic", dies_on_meta)
    with pytest.raises(KeyboardInterrupt):
        prep.prepare(str(source), tokenizer="char", out=out, progress=False)
    monkeypatch.setattr(prep, "write_atomic", real)
    assert not (out / "meta.json").exists() and not [p for p in out.iterdir() if p.suffix == ".tmp"]
    with pytest.raises(prep.PrepareError, match="no meta.json"):
        prep.load_meta(out)
    prep.prepare(str(source), tokenizer="char", out=out, progress=False)
    prep.load_meta(out)


def test_cli_usage_errors(tmp_path):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run([sys.executable, "-m", "data.prepare", str(tmp_path / "missing.txt")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "is not a file or folder" in result.stderr and "Traceback" not in result.stderr
