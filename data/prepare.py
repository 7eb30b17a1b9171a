"""Tokenise a corpus into flat uint16 token shards plus a meta.json that the trainer and the capstone read.

    python -m data.prepare                      # Shakespeare in GPT-2 BPE -> build/data/shakespeare-gpt2/
    python -m data.prepare shakespeare --tokenizer char
    python -m data.prepare notes/ --out build/data/my-notes      # a local .txt file or a folder of them
    python -m data.prepare hf:HuggingFaceFW/fineweb-edu:sample-10BT --max-tokens 200000000

Output folder: train_000.bin, train_001.bin, ..., val_000.bin, ..., test_000.bin, ... (np.uint16 token ids,
back to back) and meta.json = {"source", "tokenizer", "vocab_size", ["chars"], "fingerprint", "splits":
{"train": {"tokens", "shards": [{"file", "tokens", "sha256"}]}, "val": {...}, "test": {...}}}.

Three splits, the held-out two always held out whole. Validation is the trainer's own (for its evaluations
and early stopping); test is the grader's, which the capstone never hands to the trainer. Shakespeare: the
validation plays of data/shakespeare.py and four more whole plays (TEST_PLAYS); a folder: its last files
(validation), the ones before them (test); a single file: its tail, cut in two at a line start; a Hugging
Face stream: documents i with i % round(1 / val_fraction) == 0 (validation) and == 1 (test).

Every file is written under a temporary name and renamed when complete, and meta.json is written last, so
a killed run never leaves a shard that looks whole. A rerun whose inputs and shards match does nothing.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from grading import BUILD

DATA_DIR = BUILD / "data"
SHARD_TOKENS = 100_000_000          # 200 MB a shard; Shakespeare fits in one shard per split
TOKENIZERS = ("gpt2", "char")
SPLITS = ("train", "val", "test")
VAL_FRACTION = 0.1                  # of the text for each held-out split: validation, and as much again for test
# Held out whole for the grader, beside the validation plays: a tragedy, a history, a comedy and a romance,
# 468,087 of 4,783,573 characters (9.8%).
TEST_PLAYS = ["Macbeth", "King John", "As You Like It", "A Winter's Tale"]


class PrepareError(Exception):
    """A bad source, a corrupt output folder: the message says what was wrong and what is valid."""


# ---------------------------------------------------------------- sources: (split, document) streams

def _is_hf(source: str) -> bool:
    return source.startswith("hf:")


def source_name(source: str) -> str:
    """A folder-friendly name: 'shakespeare', 'notes', 'fineweb-edu-sample-10BT'."""
    if source == "shakespeare":
        return "shakespeare"
    if _is_hf(source):
        name = source[3:].split("/")[-1]
    else:
        path = Path(source)
        name = path.stem if path.is_file() else path.resolve().name
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "corpus"


def _local_files(source: str) -> list[Path]:
    path = Path(source).expanduser()
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.txt") if p.is_file())
        if not files:
            raise PrepareError(f"folder {source!r} holds no .txt files; give a text file, a folder of .txt files, "
                               f"'shakespeare', or 'hf:NAME[:CONFIG]'")
        return files
    raise PrepareError(f"source {source!r} is not a file or folder; valid sources: 'shakespeare', a text file, "
                       f"a folder of .txt files, or 'hf:NAME[:CONFIG]'")


def _split_tail(text: str, val_fraction: float) -> tuple[str, str]:
    """One text -> (head, tail): the tail is the last val_fraction of characters, cut at a line start."""
    cut = int(len(text) * (1 - val_fraction))
    newline = text.rfind("\n", 0, cut)
    cut = newline + 1 if newline > 0 else cut
    return text[:cut], text[cut:]


def _files_from_end(sizes: list[int], chars: float) -> int:
    """How many files from the end of `sizes` it takes to hold `chars` characters (at least one)."""
    count, held = 0, 0
    while count < len(sizes) and held < chars:
        count += 1
        held += sizes[-count]
    return max(count, 1)


def local_documents(source: str, val_fraction: float = VAL_FRACTION) -> Iterator[tuple[str, str]]:
    """(split, text) per document: a folder's last files are validation and the files before them test; a
    single file gives its tail of about 2 * val_fraction of the lines, validation first, then test."""
    files = _local_files(source)
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in files]
    if len(texts) == 1:
        train, held = _split_tail(texts[0], 2 * val_fraction)
        val, test = _split_tail(held, 0.5)
        yield "train", train
        yield "val", val
        yield "test", test
        return
    if len(texts) < 3:
        raise PrepareError(f"folder {source!r} holds {len(texts)} .txt files; a folder needs at least three (train, "
                           f"validation and test are whole files), or give a single file")
    sizes, share = [len(t) for t in texts], val_fraction * sum(len(t) for t in texts)
    n_val = min(_files_from_end(sizes, share), len(texts) - 2)
    n_test = min(_files_from_end(sizes[:-n_val], share), len(texts) - n_val - 1)
    for i, text in enumerate(texts):
        yield ("val" if i >= len(texts) - n_val else "test" if i >= len(texts) - n_val - n_test else "train"), text


def shakespeare_documents() -> Iterator[tuple[str, str]]:
    """Training plays, validation plays, test plays: one document each, every play ending in a blank line."""
    from data.shakespeare import VALIDATION_PLAYS, plays

    by_title = dict(plays())
    missing = [t for t in VALIDATION_PLAYS + TEST_PLAYS if t not in by_title]
    if missing:
        raise PrepareError(f"held-out plays {missing} are not in the corpus; valid titles: {', '.join(sorted(by_title))}")
    held = set(VALIDATION_PLAYS) | set(TEST_PLAYS)
    yield "train", "".join(text + "\n" for title, text in sorted(by_title.items()) if title not in held)
    yield "val", "".join(by_title[t] + "\n" for t in sorted(VALIDATION_PLAYS))
    yield "test", "".join(by_title[t] + "\n" for t in sorted(TEST_PLAYS))


def hf_documents(source: str, val_fraction: float = VAL_FRACTION, data_files=None, cache_dir=None,
                 text_field: str = "text") -> Iterator[tuple[str, str]]:
    """Stream a Hugging Face dataset ('hf:NAME[:CONFIG]'); document i is validation when i % round(1/val_fraction) == 0.

    data_files is passed on to datasets.load_dataset (so 'hf:text' with local files works offline).
    """
    try:
        import datasets
    except ImportError:
        raise PrepareError("Hugging Face sources need the package datasets: pip install datasets") from None
    name, _, config = source[3:].partition(":")
    if not name:
        raise PrepareError(f"source {source!r} names no dataset; write hf:NAME or hf:NAME:CONFIG")
    stream = datasets.load_dataset(name, config or None, split="train", streaming=True, data_files=data_files,
                                   cache_dir=str(cache_dir) if cache_dir else None)
    every = max(3, round(1 / val_fraction))
    for i, row in enumerate(stream):
        if text_field not in row:
            raise PrepareError(f"dataset {name!r} has no field {text_field!r}; its fields are {sorted(row)}")
        yield {0: "val", 1: "test"}.get(i % every, "train"), row[text_field]


def documents(source: str, val_fraction: float = VAL_FRACTION, data_files=None, cache_dir=None):
    if source == "shakespeare":
        return shakespeare_documents()
    if _is_hf(source):
        return hf_documents(source, val_fraction, data_files=data_files, cache_dir=cache_dir)
    return local_documents(source, val_fraction)


# ---------------------------------------------------------------- tokenisers

_CHUNK_AT = re.compile(r"\n(?=\S)")


def text_chunks(text: str, size: int = 1 << 20) -> Iterator[str]:
    """Pieces of about `size` characters, cut only between a newline and a non-space character: GPT-2's
    pre-tokeniser always separates those, so encoding piece by piece gives exactly the tokens of the whole."""
    start = 0
    while start < len(text):
        if len(text) - start <= size:
            yield text[start:]
            return
        match = _CHUNK_AT.search(text, start + size)
        end = match.end() if match else len(text)
        yield text[start:end]
        start = end


class GPT2Encoder:
    name, vocab_size = "gpt2", 50257

    def __init__(self):
        from data.gpt2_tokenizer import EOT, tiktoken_gpt2
        self.enc, self.eot = tiktoken_gpt2(), EOT

    def encode(self, text: str) -> np.ndarray:
        return np.asarray(self.enc.encode_ordinary(text), dtype=np.uint16)

    def separator(self) -> np.ndarray:
        return np.asarray([self.eot], dtype=np.uint16)   # <|endoftext|> between documents, as GPT-2 was trained


class CharEncoder:
    name = "char"

    def __init__(self, chars: str):
        self.chars = chars
        self.vocab_size = len(chars)
        self.index = {c: i for i, c in enumerate(chars)}

    def encode(self, text: str) -> np.ndarray:
        return np.fromiter((self.index[c] for c in text), dtype=np.uint16, count=len(text))

    def separator(self) -> np.ndarray:
        return self.encode("\n") if "\n" in self.index else np.zeros(0, dtype=np.uint16)


def char_vocabulary(texts: Iterable[str]) -> str:
    """The sorted set of every character in the corpus."""
    chars = set()
    for text in texts:
        chars.update(text)
    return "".join(sorted(chars))


# ---------------------------------------------------------------- atomic shard writing

def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: readers see the old file or the whole new one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ShardWriter:
    """Collects one split's tokens and writes them as <split>_000.bin, <split>_001.bin, ... of shard_tokens each."""

    def __init__(self, folder: Path, split: str, shard_tokens: int):
        self.folder, self.split, self.shard_tokens = folder, split, shard_tokens
        self.buffer, self.filled, self.shards = np.empty(shard_tokens, dtype=np.uint16), 0, []

    def add(self, tokens: np.ndarray) -> None:
        while len(tokens):
            take = min(len(tokens), self.shard_tokens - self.filled)
            self.buffer[self.filled:self.filled + take] = tokens[:take]
            self.filled += take
            tokens = tokens[take:]
            if self.filled == self.shard_tokens:
                self.flush()

    def flush(self) -> None:
        if self.filled == 0:
            return
        path = self.folder / f"{self.split}_{len(self.shards):03d}.bin"
        data = self.buffer[:self.filled].tobytes()
        write_atomic(path, data)
        self.shards.append({"file": path.name, "tokens": int(self.filled), "sha256": hashlib.sha256(data).hexdigest()})
        self.filled = 0

    @property
    def tokens(self) -> int:
        return sum(s["tokens"] for s in self.shards) + self.filled


# ---------------------------------------------------------------- the API

def load_meta(folder) -> dict:
    """meta.json of a prepared folder, after checking every shard's size and sha256; PrepareError otherwise."""
    folder = Path(folder)
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        raise PrepareError(f"{folder} is not a prepared data folder (no meta.json); run: python -m data.prepare SOURCE --out {folder}")
    try:
        meta = json.loads(meta_path.read_text())
        shards = [shard for split in SPLITS for shard in meta["splits"][split]["shards"]]
    except (ValueError, KeyError, TypeError) as err:
        raise PrepareError(f"{meta_path} is damaged ({type(err).__name__}: {err}); delete {folder} and run "
                           f"python -m data.prepare again") from None
    for shard in shards:
        path = folder / shard["file"]
        if not path.exists() or path.stat().st_size != 2 * shard["tokens"] or sha256_file(path) != shard["sha256"]:
            raise PrepareError(f"{path} is missing or does not match its sha256 in {meta_path}; "
                               f"delete {folder} and run python -m data.prepare again")
    return meta


def split_files(folder, split: str) -> list[Path]:
    """A split's shards, found by name (<split>_000.bin, ...), not from meta.json, which anyone can edit."""
    return sorted(Path(folder).glob(f"{split}_[0-9][0-9][0-9].bin"))


def split_tokens(folder, split: str) -> np.ndarray:
    """A split's tokens as one flat uint16 array (memory-mapped when it is one shard)."""
    parts = [np.memmap(path, dtype=np.uint16, mode="r") for path in split_files(folder, split) if path.stat().st_size]
    if not parts:
        raise PrepareError(f"{folder} has no {split} tokens ({split}_000.bin is missing or empty)")
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def split_sha256(folder, split: str) -> str:
    """sha256 of a split's tokens themselves: its shards' bytes back to back."""
    digest = hashlib.sha256()
    for path in split_files(folder, split):
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()


def _fingerprint(source: str, tokenizer: str, val_fraction: float, max_tokens, shard_tokens: int, data_files) -> str:
    """What the output depends on: the options, and for local sources the bytes of every input file."""
    digest = hashlib.sha256(json.dumps([source if _is_hf(source) or source == "shakespeare" else "local", tokenizer,
                                        val_fraction, max_tokens, shard_tokens, data_files and list(map(str, data_files)),
                                        SPLITS]).encode())
    if source == "shakespeare":
        from data.shakespeare import corpus_file
        digest.update(sha256_file(corpus_file()).encode())
        digest.update(json.dumps(TEST_PLAYS).encode())
    elif not _is_hf(source):
        root = Path(source).expanduser()
        for path in _local_files(source):
            digest.update(str(path.relative_to(root) if root.is_dir() else path.name).encode())
            digest.update(sha256_file(path).encode())
    return digest.hexdigest()


def _up_to_date(folder: Path, fingerprint: str) -> bool:
    try:
        return load_meta(folder).get("fingerprint") == fingerprint
    except (PrepareError, KeyError, ValueError):
        return False


def prepare(source: str = "shakespeare", tokenizer: str = "gpt2", out=None, *, val_fraction: float = VAL_FRACTION,
            max_tokens: int | None = None, shard_tokens: int = SHARD_TOKENS, data_files=None, cache_dir=None,
            progress: bool = True) -> Path:
    """Tokenise `source` into `out` (default build/data/<source name>-<tokenizer>/) and return the folder.

    max_tokens caps the training tokens (for streams far larger than you need); validation then stops at
    about val_fraction of that. Idempotent: when meta.json and every shard match, nothing is rewritten.
    """
    if tokenizer not in TOKENIZERS:
        raise PrepareError(f"unknown tokenizer {tokenizer!r}; valid tokenizers: {', '.join(TOKENIZERS)}")
    if not 0 < val_fraction < 1:
        raise PrepareError(f"val_fraction must lie between 0 and 1, got {val_fraction}")
    folder = Path(out) if out else DATA_DIR / f"{source_name(source)}-{tokenizer}"
    fingerprint = _fingerprint(source, tokenizer, val_fraction, max_tokens, shard_tokens, data_files)
    if _up_to_date(folder, fingerprint):
        if progress:
            print(f"{folder}: up to date", file=sys.stderr)
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").unlink(missing_ok=True)       # from here on the folder is not a finished one
    for old in folder.glob("*.bin"):
        old.unlink()
    cache_dir = cache_dir or BUILD / "hf-cache"

    meta = {"source": source, "tokenizer": tokenizer, "fingerprint": fingerprint}
    if tokenizer == "char":
        docs = list(documents(source, val_fraction, data_files, cache_dir))
        meta["chars"] = char_vocabulary([text for _, text in docs] + ["\n"])
        encoder = CharEncoder(meta["chars"])
        stream: Iterable = docs
    else:
        encoder = GPT2Encoder()
        stream = documents(source, val_fraction, data_files, cache_dir)
    meta["vocab_size"] = encoder.vocab_size
    if encoder.vocab_size > 65536:
        raise PrepareError(f"vocabulary of {encoder.vocab_size} does not fit uint16 shards")

    writers = {split: ShardWriter(folder, split, shard_tokens) for split in SPLITS}
    started = dict.fromkeys(SPLITS, False)
    from tqdm import tqdm
    bar = tqdm(total=max_tokens, unit="tok", unit_scale=True, desc=f"prepare {source_name(source)}", disable=not progress)
    for split, text in stream:
        if max_tokens is not None and writers["train"].tokens >= max_tokens:
            if split == "train" or writers[split].tokens >= val_fraction * max_tokens:
                break
            continue
        if started[split]:
            writers[split].add(encoder.separator())
        started[split] = True
        for piece in text_chunks(text):
            tokens = encoder.encode(piece)
            writers[split].add(tokens)
            bar.update(len(tokens))
    bar.close()
    for split, writer in writers.items():
        writer.flush()
        if not writer.shards:
            raise PrepareError(f"source {source!r} gave no {split} tokens; give more text or another val_fraction")
    meta["splits"] = {split: {"tokens": w.tokens, "shards": w.shards} for split, w in writers.items()}
    write_atomic(folder / "meta.json", (json.dumps(meta, indent=1) + "\n").encode())
    if progress:
        print(f"{folder}: {meta['splits']['train']['tokens']:,} train, {meta['splits']['val']['tokens']:,} validation "
              f"and {meta['splits']['test']['tokens']:,} test tokens ({tokenizer}, vocabulary {encoder.vocab_size})",
              file=sys.stderr)
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data.prepare", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", default="shakespeare",
                        help="'shakespeare' (default), a text file, a folder of .txt files, or hf:NAME[:CONFIG]")
    parser.add_argument("--tokenizer", default="gpt2", choices=TOKENIZERS)
    parser.add_argument("--out", default=None, help="output folder (default build/data/<source>-<tokenizer>)")
    parser.add_argument("--val-fraction", type=float, default=VAL_FRACTION)
    parser.add_argument("--max-tokens", type=int, default=None, help="stop after this many training tokens")
    parser.add_argument("--shard-tokens", type=int, default=SHARD_TOKENS)
    parser.add_argument("--data-files", nargs="*", default=None, help="passed to datasets.load_dataset (hf: sources)")
    args = parser.parse_args(argv)
    try:
        prepare(args.source, args.tokenizer, args.out, val_fraction=args.val_fraction, max_tokens=args.max_tokens,
                shard_tokens=args.shard_tokens, data_files=args.data_files)
    except PrepareError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
