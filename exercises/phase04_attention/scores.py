"""Attention scores before the transformer: Bahdanau's additive score and Luong's dot, general and concat.

A score says how well a query (the decoder's state) matches each key (an encoder state); softmax turns the
scores into weights, and the context is the weighted sum of the values (here, the encoder states again).
Shapes: query (B, Hq), keys (B, T, Hk), scores (B, T).
"""
import numpy as np

from ..phase00_math.probability import softmax


def additive_scores(query: np.ndarray, keys: np.ndarray, W_q: np.ndarray, W_k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Bahdanau et al. (2015): score_t = v . tanh(query W_q + key_t W_k). W_q (Hq, A), W_k (Hk, A), v (A,) -> (B, T)."""
    raise NotImplementedError("additive_scores is not written yet (exercise 'attention_scores'; hints: make hint ex=attention_scores)")


def dot_scores(query: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Luong et al. (2015) "dot": score_t = query . key_t (needs Hq = Hk). -> (B, T)"""
    raise NotImplementedError("dot_scores is not written yet (exercise 'attention_scores'; hints: make hint ex=attention_scores)")


def general_scores(query: np.ndarray, keys: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Luong "general": score_t = query W key_t^T, W (Hq, Hk): a learned bilinear match. -> (B, T)"""
    raise NotImplementedError("general_scores is not written yet (exercise 'attention_scores'; hints: make hint ex=attention_scores)")


def concat_scores(query: np.ndarray, keys: np.ndarray, W: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Luong "concat": score_t = v . tanh([query; key_t] W), W (Hq + Hk, A), v (A,). -> (B, T)

    The same function as the additive score with W = [W_q; W_k] stacked along the first axis.
    """
    raise NotImplementedError("concat_scores is not written yet (exercise 'attention_scores'; hints: make hint ex=attention_scores)")


def attend(scores: np.ndarray, values: np.ndarray, mask: np.ndarray | None = None):
    """scores (B, T), values (B, T, Dv), mask (B, T) boolean (True = a real position, False = padding).

    Returns (context (B, Dv), weights (B, T)): weights = softmax of the scores over T (0 where masked),
    context = sum_t weights_t values_t.
    """
    raise NotImplementedError("attend is not written yet (exercise 'attention_scores'; hints: make hint ex=attention_scores)")
