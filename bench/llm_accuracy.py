"""How often a small local model understands the dev prompts, before and after grounding.

For each prompt of tests/data/dev_prompts.jsonl, SmolLM2-135M-Instruct on the real llama-server
is asked through our client with the spec schema. Its answer is then judged twice:
  before grounding: the answer as a spec (schema, kinds and bounds checked) built into a part,
                    whose sorted extents (and volume, where known) must match the expected ones;
  after grounding:  what ``Understander`` would return: the answer if ``ground_spec`` accepts it,
                    otherwise the offline parser's spec (noted as a fallback).
Grounding is judged by the wrong answers it let through (should be none) and the right ones it
rejected.

The schema is the plugin's own (``prompting.answer_schema()``: one ``anyOf`` branch per kind).

Run: python bench/llm_accuracy.py            (starts llama-server from the cache dir)
     python bench/llm_accuracy.py --url http://127.0.0.1:8080 --model NAME
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from octoprint_aiagent.language.grounding import ground_spec  # noqa: E402
from octoprint_aiagent.language.parser import parse_prompt  # noqa: E402
from octoprint_aiagent.llm import prompting  # noqa: E402
from octoprint_aiagent.llm.backends import complete_json  # noqa: E402
from octoprint_aiagent.llm.config import LLMConfig, LLMError  # noqa: E402
from octoprint_aiagent.llm.loop import LoopThread  # noqa: E402
from octoprint_aiagent.model.errors import AgentError  # noqa: E402
from octoprint_aiagent.model.spec import DesignSpec  # noqa: E402


def dims_right(spec: DesignSpec, case: dict) -> bool:
    from octoprint_aiagent.cad.shapes import build_part

    try:
        mesh = build_part(spec)
    except AgentError:
        return False
    extents = sorted(float(x) for x in mesh.extents)
    if any(abs(a - b) > case["tol_mm"] for a, b in zip(extents, sorted(case["extents"]))):
        return False
    volume = case.get("volume")
    return volume is None or abs(mesh.volume - volume) <= case["tol_volume"] * volume


def judge(case: dict, text: str, backend: str) -> dict:
    """One answer: raw validity and dimensions, grounding's verdict, and the final spec's dimensions."""
    prompt = case["prompt"]
    row = {"raw_valid": False, "raw_right": False, "grounding": "-", "final_right": False, "why": ""}
    try:
        raw = DesignSpec.from_dict(prompting.spec_data(prompting.parse_answer(text), prompt, "PLA", backend))
        row["raw_valid"] = True
        row["raw_right"] = dims_right(raw, case)
    except (prompting.AnswerError, AgentError) as exc:
        row["why"] = getattr(exc, "message", str(exc))
        raw = None
    final = None
    if raw is not None:
        try:
            final = ground_spec(prompt, raw)
            row["grounding"] = "accepted"
        except AgentError as exc:
            row["grounding"] = "rejected"
            row["why"] = exc.message
    if final is None:
        try:
            final = parse_prompt(prompt)
        except AgentError as exc:
            row["why"] += f"; offline: {exc.message}"
    row["final_right"] = final is not None and dims_right(final, case)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an OpenAI-compatible server already running (default: start llama-server)")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--prompts", default=str(ROOT / "tests" / "data" / "dev_prompts.jsonl"))
    args = parser.parse_args()
    schema = prompting.answer_schema()
    cases = [json.loads(line) for line in Path(args.prompts).read_text().splitlines() if line.strip()]

    server = None
    if args.url is None:
        from tests.llama_server import SMOL_MODEL, LlamaServer, missing

        reason = missing(SMOL_MODEL)
        if reason:
            raise SystemExit(reason)
        server = LlamaServer(SMOL_MODEL, args.model).start()
    url = args.url or server.url
    config = LLMConfig("openai", url, args.model, timeout_s=120)
    loop = LoopThread()
    rows, latencies = [], []
    try:
        for case in cases:
            messages = prompting.messages(case["prompt"])
            started = time.perf_counter()
            try:
                text = loop.run(lambda c, messages=messages: complete_json(c, config, messages, schema), timeout=180)
            except LLMError as exc:
                text = ""
                print(f"  LLM error for {case['prompt']!r}: {exc.message}")
            latencies.append(time.perf_counter() - started)
            row = judge(case, text, "openai")
            row.update(prompt=case["prompt"], answer=" ".join(text.split()))
            rows.append(row)
    finally:
        loop.stop()
        if server is not None:
            server.stop()

    yes = {True: "yes", False: "no"}
    print(f"{'prompt':60} {'raw ok':>6} {'grounding':>9} {'final':>5}  answer")
    for r in rows:
        print(f"{r['prompt'][:60]:60} {yes[r['raw_right']]:>6} {r['grounding']:>9} {yes[r['final_right']]:>5}  {r['answer'][:90]}")
    n = len(rows)
    accepted = [r for r in rows if r["grounding"] == "accepted"]
    rejected = [r for r in rows if r["grounding"] == "rejected"]
    invalid = [r for r in rows if not r["raw_valid"]]
    first_latency = latencies[0] if latencies else 0.0
    rest = sorted(latencies[1:]) or [0.0]
    print()
    print(f"command: python bench/llm_accuracy.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"model: {args.model} at {url}; {n} prompts; answer latency first {first_latency:.1f} s "
          f"(reads the system prompt), then median {rest[len(rest) // 2]:.2f} s")
    print(f"before grounding: dimensions right {sum(r['raw_right'] for r in rows)}/{n}; "
          f"valid specs {n - len(invalid)}/{n} (invalid: schema, kind parameters or bounds)")
    print(f"grounding: accepted {len(accepted)} (dimensions right {sum(r['raw_right'] for r in accepted)}, "
          f"wrong let through {sum(not r['raw_right'] for r in accepted)}), "
          f"rejected {len(rejected)} (of which right {sum(r['raw_right'] for r in rejected)})")
    print(f"fell back to the offline parser: {len(rejected) + len(invalid)}/{n}")
    print(f"after grounding (what the user gets): dimensions right {sum(r['final_right'] for r in rows)}/{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
