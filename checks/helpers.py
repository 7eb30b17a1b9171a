"""The one comparison helper every check uses: names the quantity, says what came back and what was expected.

The comparison itself (shape, dtype, NaN/inf counts, the worst entry and where it is) lives in grading/diff.py,
shared with `make compare`."""
from __future__ import annotations

from grading.diff import mismatch, to_numpy  # noqa: F401 - to_numpy is part of this module's interface


class CheckFailure(AssertionError):
    """A check's verdict, worded for the learner."""


def fail(message: str, mistake: str | None = None):
    raise CheckFailure(message + (f"\n  likely mistake: {mistake}" if mistake else ""))


def expect(condition, message: str, mistake: str | None = None):
    if not condition:
        fail(message, mistake)


def assert_close(got, expected, what: str, *, rtol: float = 1e-5, atol: float = 1e-8,
                 mistake: str | None = None, check_dtype_kind: bool = True):
    """Fail unless `got` matches `expected` elementwise.

    what: the call or quantity, as the learner would write it, e.g. "softmax(x) for x of shape (4, 7)".
    mistake: the likely cause when the values differ ("is the max subtracted before exp?").
    The report shows one entry (the worst), never the whole reference output.
    """
    problem = mismatch(got, expected, rtol=rtol, atol=atol, check_dtype_kind=check_dtype_kind)
    if problem is None:
        return
    if problem.startswith("got shape") or problem.startswith("got a scalar"):
        mistake = mistake if mistake and "shape" in mistake else None  # a value hint would mislead about a shape
    elif problem.startswith(("returned", "got dtype")):
        mistake = None
    fail(f"{what} {problem}" if problem.startswith("returned") else f"{what}: {problem}", mistake)
