"""Text outline build time: median of ``text_outline`` for "ANNA" at 8 mm and a 20-character line.

    /work/main/.venv/op111/bin/python bench/text_speed.py [--repeat 50]

The first call pays for reading the font (once per process) and is shown apart; thinnest_stroke
is shown cold (first measurement of each glyph) and warm (cached per glyph).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from octoprint_aiagent.cad.text import text_outline, thinnest_stroke  # noqa: E402

CASES = [("ANNA", 8.0), ("Calibration cube 20!", 8.0)]  # the second is 20 characters


def ms(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    print(f"command: {Path(sys.executable)} bench/text_speed.py --repeat {args.repeat}")
    print(f"first call, reading the font: {ms(lambda: text_outline('H', 8.0)):.1f} ms")
    print(f"{'text':24s} {'chars':>5s} {'verts':>6s} {'outline':>8s} {'max':>7s} {'stroke cold':>12s} {'warm':>6s}")
    for text, height in CASES:
        outline, stroke = partial(text_outline, text, height), partial(thinnest_stroke, text, height)
        runs = [ms(outline) for _ in range(args.repeat)]
        cold = ms(stroke)
        warm = statistics.median(ms(stroke) for _ in range(args.repeat))
        verts = text_outline(text, height).num_vert()
        print(f"{text!r:24s} {len(text):5d} {verts:6d} {statistics.median(runs):8.2f} {max(runs):7.2f} "
              f"{cold:12.1f} {warm:6.3f}")
    print(f"ms; outline = median text_outline at the given cap height, over {args.repeat} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
