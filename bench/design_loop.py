"""The design loop's own cost per round, without the LLM: what checking one answer takes.

For every composed prompt that makes a part (tests/data/compose_prompts.jsonl), the parser's
document stands in for the LLM's answer, as JSON text. One round of the loop then costs:
  read:    parse_answer + DesignSpec.from_dict (shape, G-code, node limits, bounds) + grounding
  inspect: build + measure (extents, volume, bodies, holes in sections) + printability report,
           in this process (the command line), and through the plugin's design worker process
           (the same work plus the pipe and the JSON both ways)
``check_answer`` is timed as the loop calls it (read + inspect + the findings).

    python bench/design_loop.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from octoprint_aiagent.agent.design_loop import Goal, check_answer  # noqa: E402
from octoprint_aiagent.agent.design_worker import DesignWorker  # noqa: E402
from octoprint_aiagent.agent.pipeline import inspector_in  # noqa: E402
from octoprint_aiagent.agent.understand import inspect_in_process  # noqa: E402
from octoprint_aiagent.language.grounding import ground  # noqa: E402
from octoprint_aiagent.language.parser import parse_prompt  # noqa: E402
from octoprint_aiagent.llm import prompting  # noqa: E402
from octoprint_aiagent.model.printer import PrinterProfile  # noqa: E402
from octoprint_aiagent.model.progress import StageContext  # noqa: E402
from octoprint_aiagent.model.spec import DesignSpec  # noqa: E402


def cases() -> list[tuple[str, str]]:
    out = []
    for line in (ROOT / "tests" / "data" / "compose_prompts.jsonl").read_text().splitlines():
        case = json.loads(line) if line.strip() else {"expect_error": True}
        if not case.get("expect_error"):  # the three that must be refused make no part to measure
            out.append((case["prompt"], json.dumps({"part": parse_prompt(case["prompt"]).part})))
    return out


def ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:8.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    printer, ctx = PrinterProfile(), StageContext()
    local = inspect_in_process(printer)
    worker = DesignWorker()
    in_worker = inspector_in(worker, lambda: printer, lambda: 0.2, lambda: 120.0)
    rows = []
    try:
        for prompt, text in cases():
            goal = Goal(prompt, prompt, prompting.messages(prompt), "openai")
            check_answer(goal, text, local, ctx)  # warm-up: imports and caches
            in_worker(DesignSpec.from_dict({"part": json.loads(text)["part"]}), ctx)
            read, inspect, piped, whole = [], [], [], []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                answer = prompting.parse_answer(text)
                spec = ground(prompt, DesignSpec.from_dict(prompting.spec_data(answer, prompt, "openai")), answer.assumptions).spec
                t1 = time.perf_counter()
                local(spec, ctx)
                t2 = time.perf_counter()
                in_worker(spec, ctx)
                t3 = time.perf_counter()
                _, findings, _ = check_answer(goal, text, local, ctx)
                t4 = time.perf_counter()
                assert findings == [], (prompt, findings)
                read.append(t1 - t0)
                inspect.append(t2 - t1)
                piped.append(t3 - t2)
                whole.append(t4 - t3)
            rows.append((prompt, read, inspect, piped, whole))
    finally:
        worker.close()

    print(f"{'prompt':70} {'read ms':>8} {'inspect':>8} {'worker':>8} {'round':>8}")
    for prompt, read, inspect, piped, whole in rows:
        print(f"{prompt[:70]:70} {ms(read)} {ms(inspect)} {ms(piped)} {ms(whole)}")
    print()
    print(f"command: python bench/design_loop.py --repeat {args.repeat}; {len(rows)} composed prompts, median of each")
    for name, column in (("read (parse, validate, ground)", 1), ("inspect in process", 2), ("inspect in the design worker", 3),
                         ("one round (check_answer, in process)", 4)):
        medians = sorted(statistics.median(r[column]) * 1000 for r in rows)
        print(f"{name:40} median {statistics.median(medians):8.2f} ms   worst {medians[-1]:8.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
