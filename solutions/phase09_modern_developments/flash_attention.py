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
    # BEGIN SOLUTION
    Tq, Tk, d = q.shape[-2], k.shape[-2], q.shape[-1]
    scale = 1.0 / np.sqrt(d)
    out = np.empty(q.shape[:-1] + v.shape[-1:], dtype=np.result_type(q, v))
    lse = np.empty(q.shape[:-1], dtype=out.dtype)
    for q0 in range(0, Tq, tile_q):
        q1 = min(q0 + tile_q, Tq)
        m = np.full(q.shape[:-2] + (q1 - q0,), -np.inf, dtype=out.dtype)
        l = np.zeros_like(m)
        acc = np.zeros(q.shape[:-2] + (q1 - q0, v.shape[-1]), dtype=out.dtype)
        for k0 in range(0, Tk, tile_k):
            if causal and k0 > q1 - 1 + Tk - Tq:
                break                                   # this tile and every later one lie in the future
            k1 = min(k0 + tile_k, Tk)
            s = q[..., q0:q1, :] @ np.swapaxes(k[..., k0:k1, :], -1, -2) * scale
            if causal:
                visible = np.arange(k0, k1)[None, :] <= np.arange(q0, q1)[:, None] + Tk - Tq
                s = np.where(visible, s, -np.inf)
            m_new = np.maximum(m, s.max(axis=-1))
            p = np.exp(s - m_new[..., None])
            correction = np.exp(m - m_new)
            l = l * correction + p.sum(axis=-1)
            acc = acc * correction[..., None] + p @ v[..., k0:k1, :]
            m = m_new
        out[..., q0:q1, :] = acc / l[..., None]
        lse[..., q0:q1] = m + np.log(l)
    return out, lse
    # END SOLUTION


def flash_attention_backward(dout: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray, out: np.ndarray,
                             lse: np.ndarray, causal: bool = False, tile_q: int = 64,
                             tile_k: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dL/dout (..., Tq, dv) -> (dq, dk, dv), shaped like q, k, v; memory linear in T like the forward.

    Per pair of tiles, recompute P = exp(s - lse) (exact probabilities: lse normalises each row), then
        dV += P^T dout,   dP = dout V^T,   dS = P * (dP - D),   dQ += dS K / sqrt(d),   dK += dS^T Q / sqrt(d)
    with D = rowsum(dout * out) (= rowsum(P * dP), the softmax's correction term, computed once).
    """
    # BEGIN SOLUTION
    Tq, Tk, d = q.shape[-2], k.shape[-2], q.shape[-1]
    scale = 1.0 / np.sqrt(d)
    dq, dk, dv = np.zeros_like(q), np.zeros_like(k), np.zeros_like(v)
    D = (dout * out).sum(axis=-1)                                        # (..., Tq)
    for q0 in range(0, Tq, tile_q):
        q1 = min(q0 + tile_q, Tq)
        for k0 in range(0, Tk, tile_k):
            if causal and k0 > q1 - 1 + Tk - Tq:
                break
            k1 = min(k0 + tile_k, Tk)
            s = q[..., q0:q1, :] @ np.swapaxes(k[..., k0:k1, :], -1, -2) * scale
            if causal:
                visible = np.arange(k0, k1)[None, :] <= np.arange(q0, q1)[:, None] + Tk - Tq
                s = np.where(visible, s, -np.inf)
            p = np.exp(s - lse[..., q0:q1, None])
            dv[..., k0:k1, :] += np.swapaxes(p, -1, -2) @ dout[..., q0:q1, :]
            dp = dout[..., q0:q1, :] @ np.swapaxes(v[..., k0:k1, :], -1, -2)
            ds = p * (dp - D[..., q0:q1, None])
            dq[..., q0:q1, :] += ds @ k[..., k0:k1, :] * scale
            dk[..., k0:k1, :] += np.swapaxes(ds, -1, -2) @ q[..., q0:q1, :] * scale
    return dq, dk, dv
    # END SOLUTION
