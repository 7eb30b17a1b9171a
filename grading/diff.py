"""The one comparison core: how an output differs from the expected one, in words a learner can act on.

`checks.helpers.assert_close` turns a mismatch into a failed check; `compare` prints it as a table row.
"""
from __future__ import annotations

import numpy as np


def to_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, on any device, in any float type
        value = value.detach().cpu()
        if value.is_floating_point() and value.element_size() < 4:  # bfloat16 and float16 have no NumPy twin here
            value = value.float()
        return value.resolve_conj().numpy() if value.is_complex() else value.numpy()
    return np.asarray(value)


def shape_text(a: np.ndarray) -> str:
    return f"shape {tuple(a.shape)}" if a.ndim else "a scalar"


def _got_expected(g, e) -> str:
    """'got 1.00000001, expected 1': as many digits as it takes to tell them apart (6, 10 or 17)."""
    for digits in (6, 10, 17):
        got, expected = f"{g:.{digits}g}", f"{e:.{digits}g}"
        if got != expected:
            break
    return f"got {got}, expected {expected}"


def _index(flat_mask_or_score: np.ndarray, shape) -> tuple:
    return np.unravel_index(np.argmax(flat_mask_or_score), shape) if len(shape) else ()


def _where(idx) -> str:
    return f" at {list(map(int, idx))}" if idx else ""


def mismatch(got, expected, *, rtol: float = 1e-5, atol: float = 1e-8, check_dtype_kind: bool = True,
             first: bool = False) -> str | None:
    """None when `got` matches `expected` elementwise; otherwise one sentence: the shape or dtype that differs,
    the NaN or infinite entries, or how many entries are off, the largest error and where it is, and (always
    with first=True, else when it is elsewhere) the first entry in reading order that is off."""
    if got is None:
        return f"returned None; expected {shape_text(to_numpy(expected))} (is a `return` missing?)"
    try:
        g = to_numpy(got)
    except Exception:  # noqa: BLE001 - anything not array-like is the mistake to name
        return f"returned {type(got).__name__}, which is not array-like"
    e = to_numpy(expected)
    if g.shape != e.shape:
        return f"got {shape_text(g)}, expected {shape_text(e)}"
    if check_dtype_kind and e.dtype.kind in "iub" and g.dtype.kind not in "iub":
        return f"got dtype {g.dtype}, expected integers ({e.dtype})"
    if check_dtype_kind and e.dtype.kind == "f" and g.dtype.kind not in "fiub":
        return f"got dtype {g.dtype}, expected floats"
    if e.dtype.kind in "iub" and g.dtype.kind in "iub" or e.dtype.kind not in "fciub" or g.dtype.kind not in "fciub":
        wrong = np.asarray(g != e)
        if not np.any(wrong):
            return None
        idx = _index(wrong, e.shape)
        return (f"{int(wrong.sum())} of {e.size} entries differ; first{_where(idx) or ''}: "
                f"got {g[idx]!r}, expected {e[idx]!r}")
    kind = np.complex128 if "c" in (g.dtype.kind, e.dtype.kind) else np.float64
    g, e = g.astype(kind), e.astype(kind)
    g_nan, e_nan = np.isnan(g), np.isnan(e)
    if np.any(g_nan & ~e_nan):
        idx = _index(g_nan & ~e_nan, e.shape)
        return f"got {int((g_nan & ~e_nan).sum())} NaN of {e.size} entries (first{_where(idx)}), expected none"
    if np.any(e_nan & ~g_nan):
        idx = _index(e_nan & ~g_nan, e.shape)
        return f"expected NaN at {int((e_nan & ~g_nan).sum())} entries (first{_where(idx)}), got numbers"
    g_inf, e_inf = np.isinf(g), np.isinf(e)
    if np.any(g_inf & ~e_inf):
        idx = _index(g_inf & ~e_inf, e.shape)
        return (f"got {int((g_inf & ~e_inf).sum())} infinite entries (first{_where(idx)}), "
                f"expected finite values")
    same_special = (g_nan & e_nan) | (g_inf & e_inf & (g == e))
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf where both are the same infinity
        error = np.where(same_special, 0.0, np.abs(g - e))
    bad = error > atol + rtol * np.where(e_inf, 0.0, np.abs(e))
    if not np.any(bad):
        return None
    idx = _index(np.where(bad, error, -1.0), e.shape)
    text = (f"{int(bad.sum())} of {e.size} entries off (rtol {rtol:g}, atol {atol:g}); "
            f"largest error {float(error[idx]):.3g}{_where(idx)}: {_got_expected(g[idx], e[idx])}")
    first_idx = _index(bad, e.shape)
    if first_idx and (first or first_idx != idx):
        text += f"; first divergence{_where(first_idx)}: {_got_expected(g[first_idx], e[first_idx])}"
    return text


def largest_error(got, expected) -> float:
    """The largest absolute difference, for a 'matches' line; 0 for empty arrays."""
    g, e = to_numpy(got).astype(np.float64), to_numpy(expected).astype(np.float64)
    error = np.abs(g - e)
    return float(np.nanmax(error)) if error.size else 0.0
