"""Writing is not graded for its prose; its numbers are checked. Every number a post quotes must be one of
the learner's results (a loss, a score, a count, a speed) rounded the way the post shows it, or a number the
post declares as given (a year, a figure from a paper). `make blog` runs this over every post it builds.
"""
from __future__ import annotations

import math
import re

CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)   # fenced blocks, then inline code
NUMBER = re.compile(r"(?<![\w.])(?<!\w-)(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?(?!\w|\.\d)")


def numbers_in(text: str) -> list[str]:
    """The numbers a text quotes, as written, in order, outside code (``` fenced blocks ``` and `inline code`).

    A number is digits, optionally grouped in threes by commas (124,439,808), with an optional decimal part
    (2.0228) and an optional percent sign (94.6%); it is not part of a word or a name: "GPT-2", "phase04", "x2",
    "1e-5" and "2.4x" quote none. Use NUMBER on the text with CODE removed (replaced by a space)."""
    # BEGIN SOLUTION
    return NUMBER.findall(CODE.sub(" ", text))
    # END SOLUTION


def agrees(shown: str, value: float) -> bool:
    """Whether a quoted number is `value` rounded as shown: "2.02" agrees with 2.0228 (2 decimals), "124,439,808"
    with 124439808, "94.6%" with 0.9462 (a percentage is 100 x value, to the decimals shown). Compare the shown
    number with round(value, decimals) (or round(100 * value, decimals)) to within 1e-9 of its size."""
    # BEGIN SOLUTION
    percent = shown.endswith("%")
    digits = shown.rstrip("%").replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    expected = round(100 * value if percent else value, decimals)
    return math.isclose(float(digits), expected, rel_tol=1e-9, abs_tol=1e-9)
    # END SOLUTION


def unsupported(text: str, facts: dict, given=()) -> list[str]:
    """The numbers of numbers_in(text), as written and in order, that agree with no value of `facts` (a dict of
    name -> number; entries that are not int or float, and booleans, are ignored) and with no number in
    `given`. Whole numbers below 100 written without decimals or % are exempt (phase 4, 12 layers, 3 heads)."""
    # BEGIN SOLUTION
    values = [v for v in facts.values() if isinstance(v, (int, float)) and not isinstance(v, bool)
              and math.isfinite(v)] + [float(g) for g in given]
    return [shown for shown in numbers_in(text)
            if not (shown.isdigit() and int(shown) < 100) and not any(agrees(shown, v) for v in values)]
    # END SOLUTION
