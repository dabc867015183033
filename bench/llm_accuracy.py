"""How well a local model designs in the part language, and what the design loop makes of it.

For each prompt of tests/data/compose_prompts.jsonl and dev_prompts.jsonl, the model behind an
OpenAI-compatible server (default: SmolLM2-135M-Instruct on the real llama-server, started from
the cache folder) is asked through our client with the plugin's answer schema and system prompt,
and the design loop (agent/design_loop.py) runs as in the plugin, measuring in this process:
  valid document: round 1's answer is a part document that passes validation (shape, limits, bounds);
  right part:     a document whose built part has the expected sorted extents (and volume, where
                  known) within the case's tolerances; before repair = round 1's, after = the one
                  the loop accepted (none if no round's part passed);
  rounds:         answers used; accepted: the loop ended with the LLM's part;
  user gets:      what the plugin returns: the LLM's part, else the offline parser's, else an error;
                  for the prompts that must be refused, right means refused.
Also the system prompt's size in tokens (the server's own count for the first call) and latency.

Run: python bench/llm_accuracy.py [--rounds 3] [--only compose|dev]      (starts llama-server)
     python bench/llm_accuracy.py --url http://127.0.0.1:8080 --model NAME
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from octoprint_aiagent.agent.design_loop import Goal, design  # noqa: E402
from octoprint_aiagent.agent.understand import inspect_in_process  # noqa: E402
from octoprint_aiagent.language.parser import parse_prompt  # noqa: E402
from octoprint_aiagent.llm import prompting  # noqa: E402
from octoprint_aiagent.llm.backends import complete_json  # noqa: E402
from octoprint_aiagent.llm.config import LLMConfig, LLMError  # noqa: E402
from octoprint_aiagent.llm.loop import LoopThread  # noqa: E402
from octoprint_aiagent.model.errors import AgentError  # noqa: E402
from octoprint_aiagent.model.printer import PrinterProfile  # noqa: E402
from octoprint_aiagent.model.progress import StageContext  # noqa: E402
from octoprint_aiagent.model.spec import DesignSpec  # noqa: E402


def right(part: dict, case: dict) -> bool:
    from octoprint_aiagent.cad.build import BuildContext, build_document

    try:
        solid = build_document(part, BuildContext())
    except AgentError:
        return False
    lo, hi = solid.bounding_box()[:3], solid.bounding_box()[3:]
    extents = sorted(h - low for low, h in zip(lo, hi))
    if any(abs(a - b) > case["tol_mm"] for a, b in zip(extents, sorted(case["extents"]))):
        return False
    return case.get("volume") is None or abs(solid.volume() - case["volume"]) <= case["tol_volume"] * case["volume"]


def first_document(text: str, prompt: str):
    """Round 1's answer as a validated part, or None."""
    try:
        answer = prompting.parse_answer(text)
        return DesignSpec.from_dict(prompting.spec_data(answer, prompt, "openai")).part
    except (prompting.AnswerError, AgentError):
        return None


def tokens_used(url: str, model: str, messages: list) -> int:
    """The server's own count of the prompt's tokens (system prompt, request, chat template)."""
    import httpx

    r = httpx.post(url.rstrip("/") + "/v1/chat/completions", timeout=600,
                   json={"model": model, "messages": messages, "max_tokens": 1})
    return r.json()["usage"]["prompt_tokens"]


def run_case(case: dict, loop: LoopThread, config: LLMConfig, rounds: int) -> dict:
    prompt = case["prompt"]
    schema, texts, latencies = prompting.answer_schema(), [], []

    def ask(messages: list, left: float) -> str:
        started = time.perf_counter()
        call = LLMConfig(config.backend, config.base_url, config.model, timeout_s=min(config.timeout_s, left), max_tokens=config.max_tokens)
        try:
            text = loop.run(lambda c: complete_json(c, call, messages, schema), timeout=call.timeout_s + 5)
        finally:
            latencies.append(time.perf_counter() - started)
        texts.append(text)
        return text

    started = time.perf_counter()
    goal = Goal(prompt, prompt, prompting.messages(prompt), "openai")
    row = {"prompt": prompt, "refuse": bool(case.get("expect_error")), "why": ""}
    try:
        outcome = design(goal, ask, inspect_in_process(PrinterProfile()), rounds, time.monotonic() + config.timeout_s, StageContext())
    except (LLMError, AgentError) as exc:
        outcome, row["why"] = None, exc.message
    row["seconds"] = time.perf_counter() - started
    row["latencies"] = latencies
    first = first_document(texts[0], prompt) if texts else None
    row["valid"] = first is not None
    row["right_before"] = first is not None and not row["refuse"] and right(first, case)
    accepted = outcome.spec if outcome is not None else None
    row["rounds"] = len(outcome.rounds) if outcome is not None else len(texts)
    row["accepted"] = accepted is not None
    row["right_after"] = accepted is not None and not row["refuse"] and right(accepted.part, case)
    row["findings"] = outcome.notes[-1] if outcome is not None and outcome.notes else row["why"]
    row["first_findings"] = outcome.notes[0] if outcome is not None and outcome.notes else row["why"]
    if accepted is not None:
        row["gets"], row["right_gets"] = "llm", row["right_after"]
    else:
        try:
            offline = parse_prompt(prompt)
            row["gets"], row["right_gets"] = "offline", not row["refuse"] and right(offline.part, case)
        except AgentError:
            row["gets"], row["right_gets"] = "error", row["refuse"]
    row["answer"] = " ".join(texts[-1].split())[:100] if texts else ""
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an OpenAI-compatible server already running (default: start llama-server)")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds for one prompt's whole loop")
    parser.add_argument("--only", choices=("compose", "dev"))
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop llama-server on the way out (the finally below)
    files = [f"{name}_prompts.jsonl" for name in ("compose", "dev") if args.only in (None, name)]
    cases = [(f, json.loads(line)) for f in files for line in (ROOT / "tests" / "data" / f).read_text().splitlines() if line.strip()]

    server = None
    if args.url is None:
        from tests.llama_server import SMOL_MODEL, LlamaServer, missing

        reason = missing(SMOL_MODEL)
        if reason:
            raise SystemExit(reason)
        server = LlamaServer(SMOL_MODEL, args.model).start()
    url = args.url or server.url
    config = LLMConfig("openai", url, args.model, timeout_s=args.timeout)
    loop = LoopThread()
    rows = []
    try:
        prompt_tokens = tokens_used(url, args.model, prompting.messages("a 20 mm cube"))
        for source, case in cases:
            row = run_case(case, loop, config, args.rounds)
            row["source"] = source.split("_")[0]
            rows.append(row)
            yes = {True: "yes", False: "no"}
            print(f"{row['prompt'][:58]:58} valid {yes[row['valid']]:3} right {yes[row['right_before']]:3}->{yes[row['right_after']]:3} "
                  f"rounds {row['rounds']} gets {row['gets']:7} {yes[row['right_gets']]:3} {row['seconds']:6.1f} s  {row['answer'][:60]}\n"
                  f"    first: {row['first_findings'][:300]}\n    last: {row['findings'][:300]}", flush=True)
    finally:
        loop.stop()
        if server is not None:
            server.stop()

    print()
    print(f"command: python bench/llm_accuracy.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"model: {args.model} at {url}; system prompt {len(prompting.system_prompt())} characters, "
          f"{prompt_tokens} tokens with a short request and the chat template (the server's count)")
    for source in sorted({r["source"] for r in rows}):
        part = [r for r in rows if r["source"] == source]
        n = len(part)
        latencies = [t for r in part for t in r["latencies"]]
        print(f"{source} ({n} prompts, {sum(r['refuse'] for r in part)} to refuse):")
        print(f"  valid document in round 1: {sum(r['valid'] for r in part)}/{n}")
        print(f"  right part: round 1 {sum(r['right_before'] for r in part)}/{n}, "
              f"after repair (accepted by the loop) {sum(r['right_after'] for r in part)}/{n}; "
              f"accepted {sum(r['accepted'] for r in part)}, of them wrong {sum(r['accepted'] and not r['right_after'] for r in part)}")
        print(f"  rounds used: mean {statistics.mean(r['rounds'] for r in part):.2f}, "
              f"{sum(r['rounds'] == args.rounds and not r['accepted'] for r in part)} ran out of rounds")
        print(f"  what the user gets: LLM part {sum(r['gets'] == 'llm' for r in part)}, offline {sum(r['gets'] == 'offline' for r in part)}, "
              f"error {sum(r['gets'] == 'error' for r in part)}; right {sum(r['right_gets'] for r in part)}/{n}")
        if latencies:
            print(f"  answer latency: first {part[0]['latencies'][0]:.1f} s, median {statistics.median(latencies):.1f} s, "
                  f"worst {max(latencies):.1f} s; per prompt median {statistics.median(r['seconds'] for r in part):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
