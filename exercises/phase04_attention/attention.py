"""Scaled dot-product attention (Vaswani et al. 2017) and the causal mask, forward and backward.

out = softmax(q k^T / sqrt(d) + mask) v. The 1/sqrt(d) keeps the scores' spread near 1 whatever the width d:
for q, k with unit-variance entries, q . k is a sum of d products, so its standard deviation is sqrt(d).
"""
import numpy as np

from ..phase00_math.probability import softmax


def causal_mask(T: int) -> np.ndarray:
    """(T, T) boolean: True where query i may attend to key j, i.e. j <= i (on and below the diagonal)."""
    raise NotImplementedError("causal_mask is not written yet (exercise 'scaled_dot_product_attention'; hints: make hint ex=scaled_dot_product_attention)")


def scaled_dot_product_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None):
    """q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv); mask boolean, broadcastable to (..., Tq, Tk), True = may attend.

    Returns (out (..., Tq, dv), weights (..., Tq, Tk)); each row of weights sums to 1 over the keys, with
    exactly 0 on masked keys. Every query must be allowed at least one key.
    """
    raise NotImplementedError("scaled_dot_product_attention is not written yet (exercise 'scaled_dot_product_attention'; hints: make hint ex=scaled_dot_product_attention)")


def scaled_dot_product_attention_backward(dout: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray,
                                          weights: np.ndarray):
    """Gradients of the loss with respect to q, k, v, given dout = dL/dout (..., Tq, dv) and the forward's weights.

    Softmax backward, row by row: dS = W * (dW - sum_j dW_j W_j). Masked entries have W = 0, so they get no
    gradient and the mask itself is not needed. Returns (dq, dk, dv) shaped like q, k, v.
    """
    raise NotImplementedError("scaled_dot_product_attention_backward is not written yet (exercise 'scaled_dot_product_attention'; hints: make hint ex=scaled_dot_product_attention)")
