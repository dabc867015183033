#!/usr/bin/env python3
"""Terminal monitor for the aiagent plugin of a running OctoPrint.

    python scripts/monitor_performance.py --url http://127.0.0.1:5000 --api-key KEY [--interval 2] [--once]

Polls GET {url}/plugin/aiagent/performance/metrics (header X-Api-Key) and prints a summary:
process CPU and memory, requests per route, LLM calls, cache hit rate and stage timings.
Standard library only, so it runs on any machine that can reach the printer.
Exit status: 0 (stopped with Ctrl-C, or --once printed), 1 (unreachable, refused or not metrics).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
import urllib.error
import urllib.request
from typing import Optional

METRICS_PATH = "/plugin/aiagent/performance/metrics"
CLEAR_SCREEN = "\033[H\033[2J"


class MonitorError(Exception):
    """Why the metrics could not be read, as one line for the terminal."""


def fetch_metrics(url: str, api_key: str, timeout: float) -> dict:
    endpoint = url.rstrip("/") + METRICS_PATH
    request = urllib.request.Request(endpoint, headers={"X-Api-Key": api_key, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as e:
        if e.code in (401, 403):
            raise MonitorError(f"{endpoint} answered {e.code} {e.reason}: check --api-key "
                               "(its user needs the aiagent plugin's permissions)") from None
        raise MonitorError(f"{endpoint} answered {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise MonitorError(f"cannot reach {endpoint}: {reason}") from None
    try:
        metrics = json.loads(body)
    except ValueError:
        raise MonitorError(f"{endpoint} did not answer with JSON (is the aiagent plugin installed?)") from None
    if not isinstance(metrics, dict) or "http" not in metrics:
        raise MonitorError(f"{endpoint} answered JSON that is not aiagent metrics")
    return metrics


def _ms(seconds: Optional[float]) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def _s(seconds: Optional[float]) -> str:
    return "-" if seconds is None else f"{seconds:.2f}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def render(metrics: dict, url: str) -> str:
    at = metrics.get("at", time.time())
    lines: list[str] = [
        f"aiagent performance  {url}  {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(at))}"
        f"  (up {_duration(at - metrics.get('started_at', at))})",
    ]

    latest = (metrics.get("system") or {}).get("latest")
    if latest:
        lines.append(f"CPU {latest['cpu_percent']:.1f} %   memory {latest['rss_mb']:.1f} MB")
    else:
        lines.append("CPU -   memory -   (no resource sample yet)")

    http = metrics["http"]
    lines += ["", f"{'Requests':<32}{'count':>8}{'4xx':>7}{'5xx':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"]
    routes = sorted(http.get("routes", {}).items(), key=lambda item: -item[1]["count"])
    for route, entry in routes + [("total", http)]:
        latency = entry.get("latency_s") or {}
        lines.append(f"{route[:31]:<32}{entry['count']:>8}{entry['errors']['4xx']:>7}{entry['errors']['5xx']:>7}"
                     f"{_ms(latency.get('p50')):>10}{_ms(latency.get('p95')):>10}{_ms(latency.get('p99')):>10}")

    llm = metrics.get("llm") or {}
    if llm:
        latency = llm.get("latency_s") or {}
        connections = llm.get("connections") or {}
        lines += ["", f"LLM    calls {llm.get('calls', 0)}  failures {llm.get('failures', 0)}"
                      f"  p50 {_ms(latency.get('p50'))} ms  p95 {_ms(latency.get('p95'))} ms"
                      f"  connections new {connections.get('new', 0)} / reused {connections.get('reused', 0)}"]

    cache = metrics.get("cache") or {}
    if cache:
        rate = cache.get("hit_rate")
        lines.append(f"Cache  hits {cache.get('hits', 0)}  misses {cache.get('misses', 0)}"
                     f"  hit rate {'-' if rate is None else f'{rate * 100:.1f} %'}"
                     f"  deduplicated {cache.get('deduplicated', 0)}")

    stages = metrics.get("stages") or {}
    lines += ["", f"{'Stages':<32}{'count':>8}{'p50 s':>10}{'p95 s':>10}"]
    if not stages:
        lines.append("(no job has run yet)")
    for stage, summary in sorted(stages.items()):
        lines.append(f"{stage[:31]:<32}{summary['count']:>8}{_s(summary.get('p50')):>10}{_s(summary.get('p95')):>10}")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Watch the aiagent plugin's performance metrics.")
    parser.add_argument("--url", required=True, help="OctoPrint base URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--api-key", required=True, help="an OctoPrint user's API key")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls (default 2)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for an answer (default 5)")
    parser.add_argument("--once", action="store_true", help="print one summary and exit")
    args = parser.parse_args(argv)
    if args.interval <= 0:
        parser.error("--interval must be positive")

    if not args.once:
        # Ctrl-C is how the refreshing monitor stops. Python keeps a SIGINT that its parent ignored
        # (a background job of a non-interactive shell, some runners and IDEs start programs so),
        # and then neither Ctrl-C nor `kill -INT` would stop it.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        while True:
            summary = render(fetch_metrics(args.url, args.api_key, args.timeout), args.url)
            if args.once:
                print(summary)
                return 0
            sys.stdout.write(CLEAR_SCREEN + summary + "\n")
            sys.stdout.flush()
            time.sleep(args.interval)
    except MonitorError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
