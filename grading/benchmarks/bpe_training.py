"""Phase 3's BPE benchmark: incremental training against the naive recount, and GPT-2 encode throughput.

Training: the same pre-tokenised slice of the Shakespeare corpus, the same number of merges, both trainers of
one tree (`train_merges_naive`, then `train_merges`) in the same process, best of `--rounds` each; the two
must learn identical merges. Encoding: `BPETokenizer.gpt2().encode` (pure Python with its per-pre-token
cache, first empty, then warm) against tiktoken's GPT-2 encoding (Rust) on the same text, which must give
the same ids. Rates use CPU time (process_time; everything timed runs on one thread), which other jobs on
the machine do not inflate; wall time is shown beside it.

    python -m grading.benchmarks.bpe_training [--impl solutions|exercises|PATH] [--chars 300000] [--merges 256]
"""
from __future__ import annotations

import time
from collections import Counter

from grading import UsageError


def _timed(fn) -> tuple[float, float, object]:
    """(CPU seconds of this process, wall seconds, result). Everything timed here runs on one thread, so CPU
    time is what the code costs even when other jobs share the cores (wall time then runs longer)."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def _best(fn, rounds: int) -> tuple[float, float, object]:
    runs = [_timed(fn) for _ in range(rounds)]
    return min(r[0] for r in runs), min(r[1] for r in runs), runs[-1][2]


def training_rows(bpe, text: str, merges: int, rounds: int) -> list[tuple[str, float, float, str]]:
    words = Counter(tuple(chunk.encode("utf-8")) for chunk in bpe.pretokenize(text))
    naive_cpu, naive_wall, naive = _best(lambda: bpe.train_merges_naive(dict(words), merges), rounds)
    incr_cpu, incr_wall, incremental = _best(lambda: bpe.train_merges(dict(words), merges), rounds)
    same = [tuple(p) for p in naive] == [tuple(p) for p in incremental]
    detail = f"{len(words):,} distinct pre-tokens; {'identical merges' if same else 'MERGES DIFFER'}"
    return [("train_merges_naive (recount after every merge)", naive_cpu, naive_wall, detail),
            ("train_merges (incremental)", incr_cpu, incr_wall, f"{naive_cpu / incr_cpu:.1f}x less CPU time")]


def encode_rows(bpe, text: str) -> tuple[list[tuple[str, float, float, str]], bool]:
    from data.gpt2_tokenizer import tiktoken_gpt2

    load_cpu, load_wall, tok = _timed(bpe.BPETokenizer.gpt2)
    cold_cpu, cold_wall, ours = _timed(lambda: tok.encode(text))
    warm_cpu, warm_wall, _ = _timed(lambda: tok.encode(text))
    enc = tiktoken_gpt2()
    tik_cpu, tik_wall, theirs = _best(lambda: enc.encode_ordinary(text), 2)
    same = list(ours) == list(theirs)
    mb = len(text.encode("utf-8")) / 1e6

    def rate(cpu, n):
        return f"{mb / cpu:.2f} MB/s, {n / cpu / 1e3:,.0f}K tokens/s"

    rows = [("BPETokenizer.gpt2() (load the 50,000 merges)", load_cpu, load_wall, ""),
            ("gpt2().encode, empty cache", cold_cpu, cold_wall, rate(cold_cpu, len(ours))),
            ("gpt2().encode, warm cache", warm_cpu, warm_wall, rate(warm_cpu, len(ours))),
            ("tiktoken GPT-2 encode_ordinary", tik_cpu, tik_wall,
             f"{rate(tik_cpu, len(theirs))}; {cold_cpu / tik_cpu:.1f}x less CPU time than ours cold")]
    return rows, same


def main(impl: str = "solutions", chars: int = 300_000, merges: int = 256, rounds: int = 2,
         encode_chars: int | None = None) -> int:
    from grading.benchmarks import console as benchmark_console
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
    console = benchmark_console(120)
    table = Table(title=f"Byte-level BPE ({impl}): training on {min(chars, len(corpus)):,} characters, {merges} merges, "
                        f"best of {rounds}; encoding {len(encode_text):,} characters")
    for column in ("what", "CPU s", "wall s", "notes"):
        table.add_column(column, justify="right" if column.endswith(" s") else "left")
    try:
        rows = training_rows(bpe, corpus[:chars], merges, rounds)
        encode, same = encode_rows(bpe, encode_text)
    except NotImplementedError as err:
        raise UsageError(f"{impl}: {err}") from None
    for what, cpu, wall, notes in rows + encode:
        table.add_row(what, f"{cpu:.3f}", f"{wall:.3f}", notes)
    console.print(table)
    console.print("gpt2().encode equals tiktoken on this text: " + ("yes" if same else "NO"))
    return 0 if same and "DIFFER" not in rows[0][3] else 1


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
