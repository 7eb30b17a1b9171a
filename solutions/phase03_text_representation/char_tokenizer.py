"""A character tokenizer: one id per distinct character of the training text (Tiny Shakespeare's 65)."""


class CharTokenizer:
    """Vocabulary = the sorted distinct characters of `text`; id i is the i-th character in that order.

    >>> tok = CharTokenizer("hello")
    >>> tok.chars, tok.encode("hole"), tok.decode([3, 2, 1])
    (['e', 'h', 'l', 'o'], [1, 3, 2, 0], 'olh')
    """

    def __init__(self, text: str):
        # BEGIN SOLUTION
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        # END SOLUTION

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """str -> list of ids. A character outside the vocabulary raises ValueError naming it and its position."""
        # BEGIN SOLUTION
        ids = []
        for position, c in enumerate(text):
            if c not in self.stoi:
                raise ValueError(f"character {c!r} at position {position} is not in the vocabulary "
                                 f"({self.vocab_size} characters seen in training)")
            ids.append(self.stoi[c])
        return ids
        # END SOLUTION

    def decode(self, ids) -> str:
        """list of ids -> str. An id outside 0..vocab_size-1 raises ValueError naming it."""
        # BEGIN SOLUTION
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < self.vocab_size:
                raise ValueError(f"id {i} is out of range; valid ids are 0..{self.vocab_size - 1}")
            out.append(self.chars[i])
        return "".join(out)
        # END SOLUTION
