"""Phase 3's BPE benchmark: incremental training against the naive recount, and GPT-2 encode throughput.

Training: the same pre-tokenised slice of the Shakespeare corpus, the same number of merges, both trainers of
one tree (`train_merges` and `train_merges_naive`) in the same process, alternating, best of `--rounds`; the
two must learn identical merges. Encoding: `BPETokenizer.gpt2().encode` (pure Python, with its per-pre-token
cache, first on an empty cache and then warm) against tiktoken's GPT-2 encoding (Rust) on the same text,
which must give the same ids.

    python -m grading.benchmarks.bpe_training [--impl solutions|exercises|PATH] [--chars 300000] [--merges 256]
"""
from __future__ import annotations

import time
from collections import Counter

from grading import UsageError


def _best(fn, rounds: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def training_rows(bpe, text: str, merges: int, rounds: int) -> list[tuple[str, float, str]]:
    words = Counter(tuple(chunk.encode("utf-8")) for chunk in bpe.pretokenize(text))
    t_naive, naive = _best(lambda: bpe.train_merges_naive(dict(words), merges), rounds)
    t_incr, incremental = _best(lambda: bpe.train_merges(dict(words), merges), rounds)
    same = [tuple(p) for p in naive] == [tuple(p) for p in incremental]
    detail = f"{len(words):,} distinct pre-tokens; {'identical merges' if same else 'MERGES DIFFER'}"
    return [("train_merges_naive (recount after every merge)", t_naive, detail),
            ("train_merges (incremental)", t_incr, f"{t_naive / t_incr:.1f}x faster")]


def encode_rows(bpe, text: str) -> tuple[list[tuple[str, float, str]], bool]:
    from data.gpt2_tokenizer import tiktoken_gpt2

    start = time.perf_counter()
    tok = bpe.BPETokenizer.gpt2()
    load = time.perf_counter() - start
    start = time.perf_counter()
    ours = tok.encode(text)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    tok.encode(text)
    warm = time.perf_counter() - start
    enc = tiktoken_gpt2()
    tiktoken_time, theirs = _best(lambda: enc.encode_ordinary(text), 2)
    same = list(ours) == list(theirs)
    mb = len(text.encode("utf-8")) / 1e6
    rows = [("BPETokenizer.gpt2() (load the 50,000 merges)", load, ""),
            ("gpt2().encode, empty cache", cold, f"{mb / cold:.2f} MB/s, {len(ours) / cold / 1e3:,.0f}K tokens/s"),
            ("gpt2().encode, warm cache", warm, f"{mb / warm:.2f} MB/s, {len(ours) / warm / 1e3:,.0f}K tokens/s"),
            ("tiktoken GPT-2 encode_ordinary", tiktoken_time,
             f"{mb / tiktoken_time:.2f} MB/s, {len(theirs) / tiktoken_time / 1e3:,.0f}K tokens/s; "
             f"{cold / tiktoken_time:.1f}x faster than ours cold")]
    return rows, same


def main(impl: str = "solutions", chars: int = 300_000, merges: int = 256, rounds: int = 2,
         encode_chars: int | None = None) -> int:
    from rich.console import Console
    from rich.table import Table

    from data.shakespeare import load_text
    from grading.trees import ImportFailure, Tree

    if chars < 1000 or merges < 1 or rounds < 1:
        raise UsageError(f"need --chars >= 1000, --merges >= 1 and --rounds >= 1; got {chars}, {merges}, {rounds}")
    try:
        bpe = Tree(impl).load("phase03_text_representation.bpe")
    except ImportFailure as err:
        raise UsageError(str(err)) from None
    corpus = load_text()
    encode_text = corpus if encode_chars is None else corpus[:encode_chars]
    console = Console()
    table = Table(title=f"Byte-level BPE ({impl}): training on {min(chars, len(corpus)):,} characters, {merges} merges, "
                        f"best of {rounds}; encoding {len(encode_text):,} characters")
    for column in ("what", "seconds", "notes"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    try:
        rows = training_rows(bpe, corpus[:chars], merges, rounds)
        encode, same = encode_rows(bpe, encode_text)
    except NotImplementedError as err:
        raise UsageError(f"{impl}: {err}") from None
    for what, seconds, notes in rows + encode:
        table.add_row(what, f"{seconds:.3f}", notes)
    console.print(table)
    console.print("gpt2().encode equals tiktoken on this text: " + ("yes" if same else "NO"))
    return 0 if same and "DIFFER" not in rows[0][2] else 1


if __name__ == "__main__":
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m grading.benchmarks.bpe_training", description=__doc__.splitlines()[0])
    parser.add_argument("--impl", default="solutions", help="solutions (default), exercises, or a tree like exercises/")
    parser.add_argument("--chars", type=int, default=300_000, help="characters of the corpus to train on")
    parser.add_argument("--merges", type=int, default=256, help="merges to learn")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds per trainer (the best counts)")
    parser.add_argument("--encode-chars", type=int, default=None, help="characters to encode (default: the whole corpus)")
    args = parser.parse_args()
    try:
        sys.exit(main(args.impl, args.chars, args.merges, args.rounds, args.encode_chars))
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
