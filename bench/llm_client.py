"""How request threads should call an LLM server: measured against a fast local server.

Three ways to make the same chat completion call from request threads, in one run:
  (a) persistent: one ``httpx.AsyncClient`` on the LoopThread, reached with run_coroutine_threadsafe;
  (b) per call:   a new ``httpx.AsyncClient`` for every call (same loop, same protocol code);
  (c) requests:   ``asyncio.to_thread(requests.post)`` on the loop (the pattern we replace).
Median latency and calls/s at concurrency 1 and 10, and the bridge's own overhead (a no-op
coroutine's round trip). The server is a minimal asyncio HTTP/1.1 server (keep-alive, one fixed
completion) in a child process, so that its work does not share our interpreter's lock.

Targets: (a) >= 10x faster than (b); (a)/(c) median latency <= 1.1; bridge overhead < 0.5 ms.

Run: python bench/llm_client.py [--calls 200]      (needs ``requests`` in this environment only)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from octoprint_aiagent.llm import prompting  # noqa: E402
from octoprint_aiagent.llm.backends import complete_json  # noqa: E402
from octoprint_aiagent.llm.config import LLMConfig  # noqa: E402
from octoprint_aiagent.llm.loop import LoopThread  # noqa: E402

ANSWER = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "model": "fake",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": '{"part": {"cube": {"size": 20}}}'}}],
}).encode()


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Minimal HTTP/1.1 keep-alive: read headers and body, answer the fixed completion."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve() -> None:
    server = await asyncio.start_server(_serve_connection, "127.0.0.1", 0)
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def start_server() -> tuple:
    """The server runs in a child process, so that its work does not share our interpreter lock."""
    proc = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http://"):
        proc.kill()
        raise SystemExit("the benchmark's server did not start")
    return proc, url


def strategies(config: LLMConfig, url: str):
    import httpx
    import requests

    messages, schema = prompting.messages("a 20mm cube"), prompting.answer_schema()

    async def persistent(client):
        return await complete_json(client, config, messages, schema)

    async def per_call(_shared_client):
        async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=5.0)) as client:
            return await complete_json(client, config, messages, schema)

    payload = {"model": config.model, "messages": messages, "stream": False,
               "response_format": {"type": "json_schema", "json_schema": {"name": "design_spec", "schema": schema, "strict": True}}}

    def blocking_post():
        resp = requests.post(url + "/v1/chat/completions", json=payload, timeout=60)
        resp.raise_for_status()
        return resp.json()["choices"][0]["message"]["content"]

    async def to_thread_requests(_shared_client):
        return await asyncio.to_thread(blocking_post)

    return {"(a) persistent": persistent, "(b) client per call": per_call, "(c) to_thread(requests)": to_thread_requests}


def measure(loop: LoopThread, coro_fn, concurrency: int, calls: int) -> dict:
    """Each of ``concurrency`` threads makes calls one after another; latencies per call."""
    per_thread = max(1, calls // concurrency)

    def worker(_):
        latencies = []
        for _ in range(per_thread):
            started = time.perf_counter()
            loop.run(coro_fn, timeout=60)
            latencies.append(time.perf_counter() - started)
        return latencies

    for _ in range(3):  # warm-up: connections, imports
        loop.run(coro_fn, timeout=60)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = [x for chunk in pool.map(worker, range(concurrency)) for x in chunk]
    wall = time.perf_counter() - started
    return {"median_ms": statistics.median(latencies) * 1000, "calls_per_s": len(latencies) / wall, "calls": len(latencies)}


def bridge_overhead_ms(loop: LoopThread, rounds: int = 2000) -> float:
    async def noop(_client):
        return None

    for _ in range(50):
        loop.run(noop)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        loop.submit(noop).result()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls per strategy and concurrency")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve())
        return 0
    if importlib.util.find_spec("requests") is None:
        raise SystemExit("this benchmark needs `requests` for its baseline: pip install requests (not a plugin dependency)")

    proc, url = start_server()
    loop = LoopThread()
    try:
        config = LLMConfig("openai", url, "fake", timeout_s=60.0)
        results = {}
        for concurrency in (1, 10):
            for name, coro_fn in strategies(config, url).items():
                calls = args.calls if "per call" not in name else max(20, args.calls // 4)
                results[(name, concurrency)] = measure(loop, coro_fn, concurrency, calls)
        overhead = bridge_overhead_ms(loop)
    finally:
        loop.stop()
        proc.kill()
        proc.wait()

    print(f"command: {' '.join([Path(sys.executable).name] + sys.argv)}")
    print(f"server: minimal asyncio OpenAI-compatible server on loopback ({url}), child process")
    # httpcore 1.0 tries `import sniffio` whenever it sets up a lock; anyio 4.x no longer pulls
    # sniffio in, and a failed import is retried from disk each time (about 30% more CPU per call).
    sniffio = "installed" if importlib.util.find_spec("sniffio") else "MISSING (httpcore retries a failed import on every call)"
    print(f"sniffio: {sniffio}\n")
    print(f"{'strategy':26} {'conc':>4} {'calls':>6} {'median ms':>10} {'calls/s':>9}")
    for (name, concurrency), r in results.items():
        print(f"{name:26} {concurrency:>4} {r['calls']:>6} {r['median_ms']:>10.2f} {r['calls_per_s']:>9.0f}")
    print()
    ok = True
    for concurrency in (1, 10):
        a = results[("(a) persistent", concurrency)]
        b = results[("(b) client per call", concurrency)]
        c = results[("(c) to_thread(requests)", concurrency)]
        speedup = b["median_ms"] / a["median_ms"]
        ratio = a["median_ms"] / c["median_ms"]
        ok &= speedup >= 10 and ratio <= 1.1
        print(f"concurrency {concurrency:>2}: (b)/(a) latency {speedup:5.1f}x (target >= 10)   "
              f"(a)/(c) latency {ratio:4.2f} (target <= 1.1)   "
              f"throughput (a)/(c) {a['calls_per_s'] / c['calls_per_s']:4.2f}")
    ok &= overhead < 0.5
    print(f"bridge overhead (run_coroutine_threadsafe round trip of a no-op) median {overhead:.3f} ms (target < 0.5)")
    print("all targets met" if ok else "some targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
