"""What counts as a number in untrusted JSON: the one test every reader of requests, specs, part
documents and LLM answers applies.

JSON gives Python bools where a number was expected (``True`` is an ``int``), and Python's own
``json`` accepts NaN and Infinity; neither is a size.
"""

from __future__ import annotations

import math


def is_number(value) -> bool:
    """A finite int or float, not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_whole(value) -> bool:
    """A number with no fractional part (3 and 3.0, not 3.5)."""
    return is_number(value) and float(value).is_integer()
