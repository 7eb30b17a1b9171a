"""FlashAttention's algorithm (Dao et al., 2022) in NumPy: exact attention, tile by tile, never the T x T matrix.

Plain attention writes the (Tq, Tk) score and probability matrices to memory: quadratic in the sequence
length. Tiled attention walks over key tiles with a running (online) softmax per query row (Milakov &
Gimelshein, 2018): keep the running maximum m, the running sum l of exp(s - m) and the running output acc;
for each new tile of scores s,
    m_new = max(m, max_j s_j)
    l     = l exp(m - m_new) + sum_j exp(s_j - m_new)           (the old sum was relative to the old max)
    acc   = acc exp(m - m_new) + sum_j exp(s_j - m_new) v_j
and at the end out = acc / l. Memory: O(T d) for out, m and l, plus one tile of scores. The backward pass
recomputes each tile's probabilities from the saved logsumexp, lse = m + log l, instead of storing them.

Causal masking: query i (one of the last Tq of Tk positions) sees keys j <= i + Tk - Tq. Key tiles wholly in
a query tile's future are skipped, which halves the work.
"""
from __future__ import annotations

import numpy as np


def flash_attention_forward(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool = False, tile_q: int = 64,
                            tile_k: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv) -> (out (..., Tq, dv), lse (..., Tq)).

    out = softmax(q k^T / sqrt(d)) v, computed over query tiles of tile_q rows and key tiles of tile_k
    columns (the last tile of each may be shorter), with the online softmax above; lse is the logsumexp of
    each row of scaled (and masked) scores, for the backward pass. With causal=True, Tk >= Tq.
    """
    raise NotImplementedError("flash_attention_forward is not written yet (exercise 'flash_attention'; hints: make hint ex=flash_attention)")


def flash_attention_backward(dout: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray, out: np.ndarray,
                             lse: np.ndarray, causal: bool = False, tile_q: int = 64,
                             tile_k: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dL/dout (..., Tq, dv) -> (dq, dk, dv), shaped like q, k, v; memory linear in T like the forward.

    Per pair of tiles, recompute P = exp(s - lse) (exact probabilities: lse normalises each row), then
        dV += P^T dout,   dP = dout V^T,   dS = P * (dP - D),   dQ += dS K / sqrt(d),   dK += dS^T Q / sqrt(d)
    with D = rowsum(dout * out) (= rowsum(P * dP), the softmax's correction term, computed once).
    """
    raise NotImplementedError("flash_attention_backward is not written yet (exercise 'flash_attention'; hints: make hint ex=flash_attention)")
