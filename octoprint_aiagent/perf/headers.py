"""Response headers that say what a request cost, computed from numbers already at hand.

Nothing here reads psutil: the CPU and memory figures come from the sampler's cached ``Sample``,
so adding the headers costs a clock read and three string formats on the request thread.
"""

from __future__ import annotations

import time
from typing import Optional

from .sampler import Sample


def timing_headers(started_at: float, sample: Optional[Sample], now: Optional[float] = None) -> dict[str, str]:
    """Headers for a response whose handling began at ``started_at`` (a ``time.perf_counter()`` value).

    ``sample`` is ``ResourceSampler.latest()``; it is None only before the sampler has started, and
    then the CPU and memory headers are left out rather than filled with made-up zeros.
    """
    elapsed = (time.perf_counter() if now is None else now) - started_at
    headers = {"X-Process-Time": f"{elapsed:.6f}"}
    if sample is not None:
        headers["X-Memory-Usage"] = f"{sample.rss_mb:.1f}"
        headers["X-CPU-Usage"] = f"{sample.cpu_percent:.1f}"
    return headers


def status_class(code: int) -> str:
    """``404 -> "4xx"``. Codes outside 100-599 are not HTTP statuses and are counted as "other"."""
    if 100 <= code <= 599:
        return f"{code // 100}xx"
    return "other"
