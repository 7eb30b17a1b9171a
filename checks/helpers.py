"""The one comparison helper every check uses: names the quantity, says what came back and what was expected."""
from __future__ import annotations

import numpy as np


class CheckFailure(AssertionError):
    """A check's verdict, worded for the learner."""


def fail(message: str, mistake: str | None = None):
    raise CheckFailure(message + (f"\n  likely mistake: {mistake}" if mistake else ""))


def expect(condition, message: str, mistake: str | None = None):
    if not condition:
        fail(message, mistake)


def to_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, on any device, in any float type
        value = value.detach().cpu()
        value = value.float() if value.is_floating_point() else value
        return value.numpy()
    return np.asarray(value)


def _shape_text(a) -> str:
    return f"shape {tuple(a.shape)}" if a.ndim else "a scalar"


def assert_close(got, expected, what: str, *, rtol: float = 1e-5, atol: float = 1e-8,
                 mistake: str | None = None, check_dtype_kind: bool = True):
    """Fail unless `got` matches `expected` elementwise.

    what: the call or quantity, as the learner would write it, e.g. "softmax(x) for x of shape (4, 7)".
    mistake: the likely cause when the values differ ("is the max subtracted before exp?").
    The report shows one entry (the worst), never the whole reference output.
    """
    if got is None:
        fail(f"{what} returned None; expected {_shape_text(to_numpy(expected))} (is a `return` missing?)")
    try:
        g = to_numpy(got)
    except Exception:  # noqa: BLE001 - anything not array-like is a learner's mistake to name
        fail(f"{what} returned {type(got).__name__}, which is not array-like")
    e = to_numpy(expected)
    if g.shape != e.shape:
        fail(f"{what}: got {_shape_text(g)}, expected {_shape_text(e)}",
             mistake if mistake and "shape" in mistake else None)
    if check_dtype_kind and e.dtype.kind in "iub" and g.dtype.kind not in "iub":
        fail(f"{what}: got dtype {g.dtype}, expected integers ({e.dtype})")
    if check_dtype_kind and e.dtype.kind == "f" and g.dtype.kind not in "fiub":
        fail(f"{what}: got dtype {g.dtype}, expected floats")
    if e.dtype.kind in "iub" and g.dtype.kind in "iub" or e.dtype.kind not in "fciub":
        wrong = g != e
        if np.any(wrong):
            idx = np.unravel_index(np.argmax(wrong), e.shape) if e.ndim else ()
            fail(f"{what}: {int(wrong.sum())} of {e.size} entries differ; first at {list(map(int, idx))}: "
                 f"got {g[idx]!r}, expected {e[idx]!r}", mistake)
        return
    g, e = g.astype(np.complex128 if "c" in (g.dtype.kind, e.dtype.kind) else np.float64), e.astype(np.float64)
    g_nan, e_nan = np.isnan(g), np.isnan(e)
    if np.any(g_nan & ~e_nan):
        fail(f"{what}: got {int((g_nan & ~e_nan).sum())} NaN of {e.size} entries, expected none", mistake)
    g_inf, e_inf = np.isinf(g), np.isinf(e)
    if np.any(g_inf & ~e_inf):
        idx = np.unravel_index(np.argmax(g_inf & ~e_inf), e.shape) if e.ndim else ()
        fail(f"{what}: got {int((g_inf & ~e_inf).sum())} infinite entries (first at {list(map(int, idx))}), "
             f"expected finite values", mistake)
    same_special = (g_nan & e_nan) | (g_inf & e_inf & (g == e))
    error = np.where(same_special, 0.0, np.abs(g - e))
    bad = error > atol + rtol * np.abs(np.where(e_inf, 0.0, e))
    if np.any(bad):
        idx = np.unravel_index(np.argmax(np.where(bad, error, -1.0)), e.shape) if e.ndim else ()
        where = f" at {list(map(int, idx))}" if e.ndim else ""
        fail(f"{what}: {int(bad.sum())} of {e.size} entries off (rtol {rtol:g}, atol {atol:g}); "
             f"largest error {float(error[idx]):.3g}{where}: got {g[idx]:.6g}, expected {e[idx]:.6g}", mistake)
