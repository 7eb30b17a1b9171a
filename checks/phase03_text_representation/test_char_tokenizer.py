"""Checks for phase03_text_representation/char_tokenizer.py: vocabulary, encode, decode, unknown characters."""
import pytest

from checks.helpers import expect, fail


def test_known_vocabulary_and_ids(impl):
    tok = impl.CharTokenizer("hello world")
    expect(list(tok.chars) == [" ", "d", "e", "h", "l", "o", "r", "w"],
           f"CharTokenizer('hello world').chars is {list(tok.chars)!r}; expected the sorted distinct characters "
           "[' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']", mistake="sorted(set(text)): distinct and sorted")
    expect(tok.vocab_size == 8, f"vocab_size is {tok.vocab_size}, expected 8")
    expect(list(tok.encode("hold")) == [3, 5, 4, 1], f"encode('hold') gave {list(tok.encode('hold'))}, expected [3, 5, 4, 1]")
    expect(tok.decode([7, 5, 6, 4, 1]) == "world", f"decode([7, 5, 6, 4, 1]) gave {tok.decode([7, 5, 6, 4, 1])!r}, expected 'world'")


def test_round_trip_random_text(impl, rng):
    alphabet = list("abcXYZ ,.!\n") + ["é", "日", "😀"]
    text = "".join(rng.choice(alphabet, size=300))
    tok = impl.CharTokenizer(text)
    ids = tok.encode(text)
    expect(len(ids) == len(text), f"encode(text) gave {len(ids)} ids for {len(text)} characters; expected one id per character")
    expect(all(0 <= int(i) < tok.vocab_size for i in ids), "encode(text) returned ids outside 0..vocab_size-1")
    expect(tok.decode(ids) == text, "decode(encode(text)) != text on random text with non-ASCII characters",
           mistake="one id per Unicode character (code point), not per byte")


def test_unknown_character_raises_a_clear_error(impl):
    tok = impl.CharTokenizer("abc")
    try:
        tok.encode("abz")
    except ValueError as err:
        expect("'z'" in str(err) and "2" in str(err),
               f"encode('abz') raised ValueError({str(err)!r}); the message should name the character 'z' and its position 2")
    except Exception as err:  # noqa: BLE001
        if isinstance(err, NotImplementedError):
            raise
        fail(f"encode('abz') raised {type(err).__name__}: {err}; expected ValueError naming 'z' and position 2")
    else:
        fail("encode('abz') with 'z' not in the vocabulary returned normally; expected ValueError")


def test_unknown_id_raises(impl):
    tok = impl.CharTokenizer("abc")
    for bad in (3, -1):
        with pytest.raises(ValueError):
            tok.decode([0, bad])


def test_empty_and_one_character_texts(impl):
    """Fixed corner cases: the empty string, a one-character vocabulary."""
    tok = impl.CharTokenizer("abc")
    expect(list(tok.encode("")) == [], f"encode('') gave {list(tok.encode(''))}, expected []")
    expect(tok.decode([]) == "", f"decode([]) gave {tok.decode([])!r}, expected ''",
           mistake="an empty list of ids is valid (it decodes to ''): min() and max() of it raise")
    one = impl.CharTokenizer("aaaa")
    expect(one.vocab_size == 1 and list(one.encode("aa")) == [0, 0] and one.decode([0, 0, 0]) == "aaa",
           "CharTokenizer('aaaa') should have one id, 0 for 'a': encode('aa') = [0, 0], decode([0, 0, 0]) = 'aaa'")
