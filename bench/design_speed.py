"""Design time per dev prompt: build_part + prepare_for_print, after imports and one warm-up.

    /tmp/venvs/op111/bin/python bench/design_speed.py [--repeat 15]

Specs are the hand-written ones of tests/test_cad_shapes.py (the parser's time is not included).
The baseline is the 20 mm calibration cube measured in the same run, so ratios compare across
machines and loads; the budget is 50 ms per prompt on the 2-core dev machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from octoprint_aiagent.cad.build import build_part  # noqa: E402
from octoprint_aiagent.cad.printability import prepare_for_print  # noqa: E402
from octoprint_aiagent.model.printer import PrinterProfile  # noqa: E402
from tests.conftest import dev_prompts  # noqa: E402
from tests.test_cad_shapes import dev_spec  # noqa: E402

BUDGET_MS = 50.0
BASELINE = "a 20mm calibration cube"


def measure(prompt: str, printer: PrinterProfile, repeat: int) -> tuple[list[float], list[float], int]:
    """Per run: build ms, build + prepare ms; and the face count."""
    spec = dev_spec(prompt)
    build, total = [], []
    faces = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        mesh = build_part(spec)
        t1 = time.perf_counter()
        prepare_for_print(mesh, printer, spec.quantity)
        t2 = time.perf_counter()
        build.append((t1 - t0) * 1000)
        total.append((t2 - t0) * 1000)
        faces = len(mesh.faces)
    return build, total, faces


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    printer = PrinterProfile()
    prompts = [case["prompt"] for case in dev_prompts()]
    for prompt in prompts:  # warm-up: first calls pay for lazy imports and caches
        measure(prompt, printer, 1)

    rows = []
    for prompt in prompts:
        build, total, faces = measure(prompt, printer, args.repeat)
        rows.append((prompt, faces, statistics.median(build), statistics.median(total), max(total)))
    baseline = next(r[3] for r in rows if r[0] == BASELINE)

    print(f"command: {Path(sys.executable)} bench/design_speed.py --repeat {args.repeat}")
    print(f"{'prompt':66s} {'faces':>6s} {'build':>7s} {'total':>7s} {'max':>7s} {'x cube':>7s}")
    for prompt, faces, build, total, worst in rows:
        print(f"{prompt[:66]:66s} {faces:6d} {build:7.2f} {total:7.2f} {worst:7.2f} {total / baseline:7.2f}")
    medians = [r[3] for r in rows]
    slowest = max(rows, key=lambda r: r[3])
    print(f"median over prompts {statistics.median(medians):.2f} ms; slowest prompt median {slowest[3]:.2f} ms "
          f"({slowest[0]!r}); worst single run {max(r[4] for r in rows):.2f} ms; baseline cube {baseline:.2f} ms")
    verdict = "within" if slowest[3] <= BUDGET_MS else "OVER"
    print(f"{verdict} the {BUDGET_MS:g} ms budget per prompt (medians, ms; build = build_part, total = + prepare_for_print)")
    return 0 if slowest[3] <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
