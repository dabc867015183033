"""Per-request cost of the timing headers, against an empty function measured in the same run.

    python bench/header_overhead.py [--n 100000] [--repeat 5]

Each variant is timed over N calls, REPEAT times, and the fastest run is kept (the machine is
shared; the minimum is the least disturbed). Rows:
  empty baseline            a call to a function that returns an empty dict
  headers                   perf_counter() at the start + sampler.latest() + timing_headers()
  headers + record_request  the above + Metrics.record_request(): all the middleware does
  psutil per request        what the headers would cost if each request asked psutil itself
                            (non-blocking calls on a kept Process; N/10 calls)
Target (issue 7): header middleware under 50 microseconds per request.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from octoprint_aiagent.perf.headers import timing_headers  # noqa: E402
from octoprint_aiagent.perf.metrics import Metrics  # noqa: E402
from octoprint_aiagent.perf.sampler import ResourceSampler  # noqa: E402


def per_call_us(fn, n: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import psutil

    sampler = ResourceSampler(interval=1.0)
    sampler.start()
    metrics = Metrics(sampler=sampler)
    process = psutil.Process()
    process.cpu_percent(None)

    def empty():
        return {}

    def headers():
        started = time.perf_counter()
        return timing_headers(started, sampler.latest())

    def headers_and_record():
        started = time.perf_counter()
        result = timing_headers(started, sampler.latest())
        metrics.record_request("/status", 200, time.perf_counter() - started)
        return result

    def psutil_per_request():
        started = time.perf_counter()
        return {"X-Process-Time": f"{time.perf_counter() - started:.6f}",
                "X-Memory-Usage": f"{process.memory_info().rss / 1048576:.1f}",
                "X-CPU-Usage": f"{process.cpu_percent(None):.1f}"}

    try:
        rows = [
            ("empty baseline", per_call_us(empty, args.n, args.repeat)),
            ("headers", per_call_us(headers, args.n, args.repeat)),
            ("headers + record_request", per_call_us(headers_and_record, args.n, args.repeat)),
            ("psutil per request", per_call_us(psutil_per_request, max(1, args.n // 10), args.repeat)),
        ]
    finally:
        sampler.stop()

    baseline = rows[0][1]
    print(f"{'variant':<26}{'us/call':>10}{'x baseline':>12}{'net us':>10}   (n={args.n}, best of {args.repeat})")
    for name, us in rows:
        print(f"{name:<26}{us:>10.3f}{us / baseline:>12.1f}{us - baseline:>10.3f}")
    middleware = rows[2][1] - baseline
    print(f"middleware net cost {middleware:.2f} us per request: "
          f"{'meets' if middleware < 50 else 'MISSES'} the 50 us target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
