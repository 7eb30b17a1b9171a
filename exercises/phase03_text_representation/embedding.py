"""An embedding table: a lookup of rows, and its gradient, a scatter-add (repeated ids accumulate)."""
import numpy as np


def embedding_forward(weight: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """weight (V, D), integer ids of any shape S -> (*S, D): row ids[...] of weight.

    The same as one_hot(ids) @ weight, without building the (*S, V) one-hot matrix.
    """
    raise NotImplementedError("embedding_forward is not written yet (exercise 'embedding_lookup'; hints: make hint ex=embedding_lookup)")


def embedding_backward(dout: np.ndarray, ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """Gradient of the loss with respect to weight: dout (*S, D), ids (*S,) -> dweight (vocab_size, D).

    Row v of dweight is the sum of dout over every position where ids == v; rows of unused ids are zero.
    Beware `dweight[ids] += dout`: with repeated ids NumPy keeps only one of the additions.
    """
    raise NotImplementedError("embedding_backward is not written yet (exercise 'embedding_lookup'; hints: make hint ex=embedding_lookup)")
