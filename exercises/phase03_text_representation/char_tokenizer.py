"""A character tokenizer: one id per distinct character of the training text (Tiny Shakespeare's 65)."""


class CharTokenizer:
    """Vocabulary = the sorted distinct characters of `text`; id i is the i-th character in that order.

    >>> tok = CharTokenizer("hello")
    >>> tok.chars, tok.encode("hole"), tok.decode([3, 2, 1])
    (['e', 'h', 'l', 'o'], [1, 3, 2, 0], 'olh')
    """

    def __init__(self, text: str):
        raise NotImplementedError("__init__ is not written yet (exercise 'char_tokenizer'; hints: make hint ex=char_tokenizer)")

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """str -> list of ids. A character outside the vocabulary raises ValueError naming it and its position."""
        raise NotImplementedError("encode is not written yet (exercise 'char_tokenizer'; hints: make hint ex=char_tokenizer)")

    def decode(self, ids) -> str:
        """list of ids -> str. An id outside 0..vocab_size-1 raises ValueError naming it."""
        raise NotImplementedError("decode is not written yet (exercise 'char_tokenizer'; hints: make hint ex=char_tokenizer)")
