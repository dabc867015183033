"""Build time of helical threads: median of repeated builds, after one warm-up.

    /work/main/.venv/op111/bin/python bench/thread_speed.py [--repeat 15]

For M3x10, M8x30 and M24x60: the chamfered external thread, the chamfered internal thread
cutter, and a whole ISO 4032 nut (hex prism minus the cutter, one boolean). Times are wall clock
and include turning the mesh into a manifold3d solid (``num_tri`` forces manifold3d's lazy
evaluation). The budget is 500 ms for the M8x30 thread on the 2-core dev machine.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import manifold3d

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from octoprint_aiagent.cad.threads import external_thread, internal_thread_cutter  # noqa: E402
from octoprint_aiagent.model.standards import hex_nut, parse_metric  # noqa: E402

BUDGET_MS = 500.0
CASES = [("M3", 10.0), ("M8", 30.0), ("M24", 60.0)]


def timed(build: Callable[[], manifold3d.Manifold], repeat: int) -> tuple[float, float, int]:
    """Median and worst ms over ``repeat`` builds, and the triangle count."""
    build().num_tri()
    times, triangles = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        triangles = build().num_tri()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times), triangles


def nut(size: str) -> manifold3d.Manifold:
    spec = hex_nut(size)
    body = manifold3d.Manifold.extrude(manifold3d.CrossSection.circle(spec.e / 2, 6), spec.m)
    return body - internal_thread_cutter(spec.thread.major_diameter, spec.thread.pitch, spec.m, 0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print(f"command: {Path(sys.executable)} bench/thread_speed.py --repeat {args.repeat}")
    print(f"{'part':28s} {'triangles':>9s} {'median ms':>10s} {'max ms':>8s}")
    m8x30 = math.inf
    for size, length in CASES:
        thread = parse_metric(size)
        dims = (thread.major_diameter, thread.pitch, length, 0.2)
        rows = [
            (f"{size}x{length:g} external thread", partial(external_thread, *dims)),
            (f"{size}x{length:g} internal cutter", partial(internal_thread_cutter, *dims)),
            (f"{size} ISO 4032 nut", partial(nut, size)),
        ]
        for name, build in rows:
            median, worst, triangles = timed(build, args.repeat)
            print(f"{name:28s} {triangles:9d} {median:10.1f} {worst:8.1f}")
            if size == "M8" and "external" in name:
                m8x30 = median
    verdict = "within" if m8x30 <= BUDGET_MS else "OVER"
    print(f"M8x30 external thread: median {m8x30:.1f} ms, {verdict} the {BUDGET_MS:g} ms budget")
    return 0 if m8x30 <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
