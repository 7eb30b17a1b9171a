"""Checks for phase03_text_representation/bpe.py: byte-level BPE, trained and GPT-2's (core contract).

tiktoken's GPT-2 encoding (built offline by data/gpt2_tokenizer.py) is the independent reference.
"""
import time
from collections import Counter

import numpy as np
import pytest

from checks.helpers import expect, fail

EDGE_CASES = [
    "Hello world", "", " ", "\n", "a", "héllo wörld, naïve café", "👍🏽 emoji 🤖🎉 👨‍👩‍👧", "e\u0301 a\u0308 n\u0303o",
    "日本語のテキスト 中文 한국어", "   spaces   \n\n\t tabs  \r\n", "I'm don't you'll we've they're he'd I'M O'Neil",
    "12345 3.14159 1,000,000 2024-01-01", "a" * 60, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and ﷽ 𒀀", "\x00\x01\x7f\u200b", "Ġ Ċ ĉ (GPT-2's own symbols)",
    "ROMEO:\nBut, soft! what light through yonder window breaks?\n", "ab" + " " * 7 + "c",
]
ALPHABET = ([chr(c) for c in range(32, 127)] + ["\n", "\t", "  ", "é", "ß", "ñ", "\u0301", "\u0308", "日", "本", "語",
            "한", "😀", "🤖", "👍🏽", "\u200d", "’", "—", "١", "٢", "𝔘", "\u00a0", "\u3000"])
_GPT2 = {}


def random_unicode(rng, n=400) -> str:
    return "".join(rng.choice(ALPHABET, size=n))


def gpt2_of(impl):
    if impl.__name__ not in _GPT2:
        _GPT2[impl.__name__] = impl.BPETokenizer.gpt2()
    return _GPT2[impl.__name__]


def tiktoken_encode(text):
    from data.gpt2_tokenizer import tiktoken_gpt2

    return tiktoken_gpt2().encode_ordinary(text)


def first_difference(got, expected) -> str:
    got, expected = list(got), list(expected)
    i = next((i for i, (g, e) in enumerate(zip(got, expected)) if g != e), min(len(got), len(expected)))
    return (f"{len(got)} ids against {len(expected)}; first difference at token {i}: "
            f"got {got[i:i + 4]}, expected {expected[i:i + 4]}")


def test_pretokenize_known_split(impl):
    got = impl.pretokenize("Hello world's 42!!  x\n")
    expected = ["Hello", " world", "'s", " 42", "!!", " ", " x", "\n"]
    expect(list(got) == expected, f"pretokenize(\"Hello world's 42!!  x\\n\") gave {list(got)}, expected {expected}",
           mistake="use GPT2_PATTERN with the `regex` module's findall")


def test_bytes_to_unicode(impl):
    table = impl.bytes_to_unicode()
    expect(sorted(table) == list(range(256)) and len(set(table.values())) == 256,
           "bytes_to_unicode() must map each byte 0..255 to a distinct character")
    for byte, char in ((ord("A"), "A"), (ord("!"), "!"), (0xE9, "é"), (ord(" "), "Ġ"), (ord("\n"), "Ċ"), (0, "Ā"), (0xAD, "Ń")):
        expect(table[byte] == char, f"bytes_to_unicode()[{byte}] is {table[byte]!r}, expected {char!r}",
               mistake="printable bytes map to themselves; the others to chr(256 + n) in byte order")


def test_pair_counts_and_merge_known_values(impl):
    counts = impl.get_pair_counts({(1, 2, 1, 2): 3, (2, 1): 1})
    expect(dict(counts) == {(1, 2): 6, (2, 1): 4},
           f"get_pair_counts({{(1, 2, 1, 2): 3, (2, 1): 1}}) gave {dict(counts)}, expected {{(1, 2): 6, (2, 1): 4}}",
           mistake="each adjacent pair counts once per occurrence, times its word's count")
    for ids, pair, expected in (([1, 1, 1], (1, 1), [9, 1]), ([5, 1, 2, 1, 2], (1, 2), [5, 9, 9]), ([1, 2], (2, 1), [1, 2])):
        got = impl.merge(ids, pair, 9)
        expect(list(got) == expected, f"merge({ids}, {pair}, 9) gave {list(got)}, expected {expected}")


def test_tie_break_is_deterministic(impl):
    """Every pair occurs once: the smallest pair wins each tie, so (1, 2) then (3, 4) then (5, 256)."""
    word_counts = {(5, 1, 2): 1, (3, 4): 1}
    expected = [(1, 2), (3, 4), (5, 256)]
    for name in ("train_merges_naive", "train_merges"):
        got = getattr(impl, name)(word_counts, 3)
        expect([tuple(p) for p in got] == expected, f"{name}({word_counts}, 3) gave {got}, expected {expected}",
               mistake="ties go to the smallest pair; merge k creates id 256 + k")


def test_incremental_equals_naive_on_random_text(impl, ref, rng):
    text = random_unicode(rng, 3000)
    word_counts = Counter(tuple(c.encode("utf-8")) for c in ref.pretokenize(text))
    expected = ref.train_merges_naive(word_counts, 80)
    for name in ("train_merges_naive", "train_merges"):
        got = [tuple(p) for p in getattr(impl, name)(dict(word_counts), 80)]
        if got != expected:
            k = next((k for k, (g, e) in enumerate(zip(got, expected)) if g != e), min(len(got), len(expected)))
            fail(f"{name}(word_counts, 80) on random text: {len(got)} merges; merge {k} is "
                 f"{got[k] if k < len(got) else None}, expected {expected[k] if k < len(expected) else None}",
                 mistake="after a merge, subtract the changed words' old pairs and add their new pairs")


@pytest.mark.times_reference
def test_training_is_incremental(impl, ref, monkeypatch):
    """train_merges must not recount every pair after each merge: it calls get_pair_counts at most once,
    and it is clearly faster than recounting."""
    from data.shakespeare import load_text

    text = load_text()[:60_000]
    word_counts = Counter(tuple(c.encode("utf-8")) for c in ref.pretokenize(text))
    calls = []
    original = impl.get_pair_counts
    monkeypatch.setattr(impl, "get_pair_counts", lambda *a, **k: calls.append(1) or original(*a, **k))
    start = time.process_time()
    impl.train_merges(word_counts, 60)
    incremental = time.process_time() - start
    monkeypatch.undo()
    expect(len(calls) <= 1, f"train_merges(word_counts, 60) called get_pair_counts {len(calls)} times; "
           "an incremental trainer counts once, then updates the counts of the words each merge touches")
    start = time.process_time()
    ref.train_merges_naive(word_counts, 60)
    naive = time.process_time() - start
    expect(incremental < naive / 2.5, f"train_merges took {incremental:.2f} s of CPU time against {naive:.2f} s for the "
           "reference's naive recount on 60,000 characters; the incremental trainer should be several times faster",
           mistake="keep where[pair] = the words holding it, and rewrite only those words after each merge")


def test_train_encode_decode(impl, ref, rng):
    from data.shakespeare import load_text

    corpus = load_text()
    start = int(rng.integers(0, len(corpus) - 30_000))
    text = corpus[start:start + 30_000]
    tok, expected = impl.BPETokenizer().train(text, 356), ref.BPETokenizer().train(text, 356)
    expect(tok is not None and hasattr(tok, "encode"), "BPETokenizer().train(text, vocab_size) must return the tokenizer (self)")
    expect(len(tok.vocab) == 356, f"after train(text, 356) the vocabulary has {len(tok.vocab)} entries, expected 356")
    expect(list(tok.merges) == list(expected.merges), "train(text, 356) learned different merges from the reference",
           mistake="count words after pre-tokenising; ties to the smallest pair")
    sample = corpus[(start + 40_000) % (len(corpus) - 5000):][:5000]
    ids = tok.encode(sample)
    expect(list(ids) == list(expected.encode(sample)), "encode(text) differs from the reference tokenizer trained on the same text: "
           + first_difference(ids, expected.encode(sample)), mistake="merge the lowest-rank (earliest learned) pair first")
    expect(len(ids) < 0.75 * len(sample.encode("utf-8")),
           f"100 merges compress only {len(sample.encode('utf-8'))} bytes to {len(ids)} ids")
    expect(tok.decode(ids) == sample, "decode(encode(text)) != text for a trained tokenizer")


def test_round_trip_any_unicode(impl, rng):
    tok = impl.BPETokenizer().train(random_unicode(rng, 2000) + " ".join(EDGE_CASES), 300)
    for text in EDGE_CASES + [random_unicode(rng)]:
        back = tok.decode(tok.encode(text))
        expect(back == text, f"decode(encode({text[:30]!r})) gave {back[:30]!r}",
               mistake="work on text.encode('utf-8') bytes (never drop or replace bytes) and decode the joined bytes once")


def test_decodes_any_bytes(impl):
    """decode takes any ids, not only those encode makes: a multi-byte character split across ids comes back
    whole, and a lone or truncated sequence becomes U+FFFD, as bytes.decode('utf-8', errors='replace') says."""
    tok = impl.BPETokenizer()          # untrained: id b is byte b
    for ids in ([0xC3, 0xA9], [0xE6, 0x97, 0xA5], [0xC3], [0xA9], [0xE6, 0x97], [0x61, 0xA9, 0x62, 0xF0, 0x9F, 0x98],
                [0xF0, 0x9F], [0x98, 0x80], []):
        expected = bytes(ids).decode("utf-8", errors="replace")
        got = tok.decode(ids)
        expect(got == expected, f"BPETokenizer().decode({[hex(i) for i in ids]}) gave {got!r}, expected {expected!r}",
               mistake="join the bytes of ALL the ids first, then decode once with errors='replace': a character may "
                       "be split across ids, and a lone byte is not valid UTF-8")


def test_merges_apply_in_rank_order(impl):
    """'abc' with merges [(b, c), (a, b)]: (b, c) has the lower rank, so it wins although (a, b) comes first."""
    a, b, c = ord("a"), ord("b"), ord("c")
    tok = impl.BPETokenizer({(b, c): 256, (a, b): 257}, {**{i: bytes([i]) for i in range(256)}, 256: b"bc", 257: b"ab"})
    expect(list(tok.encode("abc")) == [a, 256], f"encode('abc') with merges [(b, c), (a, b)] gave {list(tok.encode('abc'))}, expected [97, 256]",
           mistake="merge the adjacent pair of LOWEST rank first, not the leftmost or the latest")
    tok = impl.BPETokenizer({(a, b): 256, (b, c): 257}, {**{i: bytes([i]) for i in range(256)}, 256: b"ab", 257: b"bc"})
    expect(list(tok.encode("abc")) == [256, c], f"encode('abc') with merges [(a, b), (b, c)] gave {list(tok.encode('abc'))}, expected [256, 99]")


def test_gpt2_known_ids_and_edge_cases(impl):
    tok = gpt2_of(impl)
    expect(list(tok.encode("Hello world")) == [15496, 995], f"gpt2().encode('Hello world') gave {list(tok.encode('Hello world'))}, expected [15496, 995]")
    expect(len(tok.vocab) == 50257, f"gpt2() has {len(tok.vocab)} tokens, expected 50257")
    for text in EDGE_CASES:
        got, expected = list(tok.encode(text)), tiktoken_encode(text)
        expect(got == expected, f"gpt2().encode({text[:40]!r}) differs from tiktoken: {first_difference(got, expected)}",
               mistake="GPT-2's ids for bytes come from encoder.json via bytes_to_unicode; merges in vocab.bpe order")
        expect(tok.decode(got) == text, f"gpt2().decode(encode({text[:40]!r})) != the text")


def test_gpt2_equals_tiktoken_on_random_unicode(impl, rng):
    tok = gpt2_of(impl)
    for _ in range(5):
        text = random_unicode(rng)
        got, expected = list(tok.encode(text)), tiktoken_encode(text)
        expect(got == expected, f"gpt2().encode(random text {text[:30]!r}...) differs from tiktoken: {first_difference(got, expected)}")
        expect(tok.decode(got) == text, "gpt2().decode(encode(text)) != text on random Unicode")


def test_gpt2_equals_tiktoken_on_the_corpus(impl, rng):
    """A random 400,000-character slice (tests/test_bpe_gpt2.py checks the whole corpus)."""
    from data.shakespeare import load_text

    corpus = load_text()
    start = int(rng.integers(0, len(corpus) - 400_000))
    text = corpus[start:start + 400_000]
    got, expected = list(gpt2_of(impl).encode(text)), tiktoken_encode(text)
    expect(got == expected, f"gpt2().encode(corpus[{start}:{start + 400_000}]) differs from tiktoken: {first_difference(got, expected)}")


def compare_inputs(rng):
    text = random_unicode(rng, 200)
    word_counts = Counter(tuple(c.encode("utf-8")) for c in text.split(" "))
    return [("pretokenize(text)", "pretokenize", (text,), {}),
            ("merge([1, 2, 1, 2, 2], (1, 2), 9)", "merge", ([1, 2, 1, 2, 2], (1, 2), 9), {}),
            ("train_merges_naive(word_counts, 20)", "train_merges_naive", (word_counts, 20), {}),
            ("train_merges(word_counts, 20)", "train_merges", (word_counts, 20), {})]
