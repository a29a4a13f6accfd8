"""Numbers in paths, query strings and headers, bounded before they are converted.

``int()`` of thousands of digits is slow and, past 4,300, an exception; nothing
the sandbox numbers (journal calls, articles, positions) comes near 18 digits.
So a text is looked at first: ASCII digits only (``str.isdigit`` would take
``"²"``), and how many.
"""

from __future__ import annotations

MAX_DIGITS = 18
"""The most digits a number the sandbox hands out can have (below 2**63)."""


class MalformedNumber(ValueError):
    """A value that should be a whole number is not one (answered 400)."""


def number_in(text: str, name: str = "the number") -> int | None:
    """``text`` as a whole number ≥ 0; None when it has too many digits to name
    anything (answered 404 in a path); ``MalformedNumber`` when it is not digits."""
    if not text or not text.isascii() or not text.isdigit():
        raise MalformedNumber(f"{name} must be a whole number (ASCII digits)")
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= MAX_DIGITS else None
