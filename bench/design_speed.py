"""Design time per request, from the sentence to the placed, checked mesh, after imports and one warm-up.

    .venv/op111/bin/python bench/design_speed.py [--repeat 7]

Three sets, each request through the offline parser, the builder (``build_part``) and
``prepare_for_print``, as the design worker runs them:

- single: the dev prompts (one object each, tests/data/dev_prompts.jsonl), the baseline;
- composed: the parts of tests/data/compose_prompts.jsonl (features, composition, standard parts);
- standard: an M8x30 bolt, an M8 nut, a name tag and an enclosure with a lid.

Ratios are against the single set's median measured in the same run, so they compare across
machines and loads. Budgets on the 2-core dev machine: composed median under 100 ms and worst
under 1 s; each standard part under 1 s. Exits 1 when a budget is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from octoprint_aiagent.cad.build import BuildContext, build_part  # noqa: E402
from octoprint_aiagent.cad.printability import prepare_for_print  # noqa: E402
from octoprint_aiagent.language.parser import parse_prompt  # noqa: E402
from octoprint_aiagent.model.printer import PrinterProfile  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
STANDARD = [
    "an M8x30 hex bolt",
    "an M8 hex nut",
    "a name tag 60 x 20 x 2 mm with ANNA in raised 1 mm letters",
    "an enclosure 80 x 60 x 30 mm with a lid and 2 mm walls",
]
COMPOSED_MEDIAN_MS, COMPOSED_WORST_MS, STANDARD_WORST_MS = 100.0, 1000.0, 1000.0


def prompts(name: str) -> list[str]:
    rows = [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]
    return [r["prompt"] for r in rows if not r.get("expect_error")]


def design_ms(prompt: str, printer: PrinterProfile) -> tuple[float, float, int]:
    """(parse ms, parse + build + prepare ms, faces) of one design."""
    t0 = time.perf_counter()
    spec = parse_prompt(prompt)
    t1 = time.perf_counter()
    mesh, _ = prepare_for_print(build_part(spec, BuildContext(nozzle=printer.nozzle)), printer, spec.quantity)
    t2 = time.perf_counter()
    return (t1 - t0) * 1000, (t2 - t0) * 1000, len(mesh.faces)


def measure(prompts_: list[str], printer: PrinterProfile, repeat: int) -> list[tuple]:
    """Per prompt: (prompt, faces, parse median, total median, total worst)."""
    rows = []
    for prompt in prompts_:
        runs = [design_ms(prompt, printer) for _ in range(repeat)]
        totals = [r[1] for r in runs]
        rows.append((prompt, runs[-1][2], statistics.median(r[0] for r in runs), statistics.median(totals), max(totals)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    printer = PrinterProfile()
    sets = {"single": prompts("dev_prompts.jsonl"), "composed": prompts("compose_prompts.jsonl"), "standard": STANDARD}
    for each in sets.values():  # warm-up: first calls pay for lazy imports, fonts and caches
        measure(each, printer, 1)
    results = {name: measure(each, printer, args.repeat) for name, each in sets.items()}
    baseline = statistics.median(r[3] for r in results["single"])

    print(f"command: {Path(sys.executable)} bench/design_speed.py --repeat {args.repeat}")
    print(f"{'set':9s} {'request':66s} {'faces':>7s} {'parse':>7s} {'total':>8s} {'worst':>8s} {'ratio':>6s}")
    for name, rows in results.items():
        for prompt, faces, parse, total, worst in rows:
            print(f"{name:9s} {prompt[:66]:66s} {faces:7d} {parse:7.2f} {total:8.2f} {worst:8.2f} {total / baseline:6.2f}")
    print("\nms, medians of the runs; ratio = total / the single set's median")
    summary = {}
    for name, rows in results.items():
        median = statistics.median(r[3] for r in rows)
        worst = max(rows, key=lambda r: r[4])
        summary[name] = (median, worst[4])
        print(f"{name:9s} median {median:8.2f} ms (x{median / baseline:.2f})   worst {worst[4]:8.2f} ms "
              f"(x{worst[4] / baseline:.2f}, {worst[0][:50]!r})")
    met = (summary["composed"][0] < COMPOSED_MEDIAN_MS and summary["composed"][1] < COMPOSED_WORST_MS
           and summary["standard"][1] < STANDARD_WORST_MS)
    print(("within" if met else "OVER") + f" the budgets: composed median < {COMPOSED_MEDIAN_MS:g} ms and worst < "
          f"{COMPOSED_WORST_MS:g} ms; each standard part < {STANDARD_WORST_MS:g} ms")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
