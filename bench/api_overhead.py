"""What the plugin's API costs next to OctoPrint's own: GET /plugin/aiagent/status vs GET /api/version.

    python bench/api_overhead.py [--requests 1000] [--concurrency 10] [--rounds 5]

Starts one OctoPrint (this interpreter's, with the plugin and the Virtual Printer connected) and
loads both routes on that same server with ApacheBench (``ab -n N -c C``, Debian's apache2-utils),
in alternating rounds (the order flips each round) after a warm-up. Two plugin routes run
alongside as references: a light one (what any plugin request costs), and ``/status`` as the tab
polls it, with ``If-None-Match`` (a 304 without a body). Prints requests/s and the p50/p95 latency
of each route (medians over the rounds) and the throughput ratio plugin / OctoPrint (target
>= 0.9). On a shared machine throughput follows whatever else runs, so each round also reads the
CPU time the OctoPrint process spent (psutil, all its threads) and prints CPU ms per request: the
ratio of those is what the plugin's route costs OctoPrint, whatever the neighbours do. Then runs
bench/header_overhead.py for the per-request cost of the timing-header middleware itself
(target < 50 us).
"""

from __future__ import annotations

import argparse
import csv
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.octoprint_server import OctoPrintServer  # noqa: E402

ROUTES = {"OctoPrint /api/version": "/api/version", "plugin /plugin/aiagent/status": "/plugin/aiagent/status"}
# For reference: a light route of the plugin (an empty job list on this fresh server), which
# separates what every plugin request costs (blueprint, permission, headers, metrics) from what
# /status itself computes.
REFERENCE = {"plugin /jobs?limit=1 (reference)": "/plugin/aiagent/jobs?limit=1"}
# /status as the tab polls it: If-None-Match with the ETag of the last answer (filled in at start).
CONDITIONAL = "plugin /status If-None-Match (304)"
TARGET_RATIO = 0.9


@dataclass
class AbResult:
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    cpu_ms: float  # CPU time of the OctoPrint process per request (0 when not measured)


def run_ab(url: str, api_key: str, requests: int, concurrency: int, server: Optional[psutil.Process] = None,
           headers: tuple = (), expect_304: bool = False) -> AbResult:
    cpu = (lambda: sum(server.cpu_times()[:2])) if server else (lambda: 0.0)  # noqa: E731  (user + system)
    with tempfile.NamedTemporaryFile(suffix=".csv") as percentiles:
        cmd = ["ab", "-q", "-n", str(requests), "-c", str(concurrency), "-H", f"X-Api-Key: {api_key}", "-e", percentiles.name, url]
        for header in headers:
            cmd[-1:-1] = ["-H", header]
        cpu_before = cpu()
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True).stdout
        cpu_ms = (cpu() - cpu_before) / requests * 1000
        with open(percentiles.name, newline="") as f:
            served_within = {int(float(row[0])): float(row[1]) for row in list(csv.reader(f))[1:]}
    # ab counts a body whose length differs from the first one as "failed"; a JSON answer with
    # live figures may change length, so only connection, receive and exception failures count.
    failures = re.search(r"\(Connect: (\d+), Receive: (\d+), Length: \d+, Exceptions: (\d+)\)", out)
    non_2xx = re.search(r"^Non-2xx responses:\s+(\d+)", out, re.MULTILINE)
    # A 304 is what the conditional requests expect, and all ab can tell is "not 2xx".
    wrong_status = (int(non_2xx.group(1)) if non_2xx else 0) != (requests if expect_304 else 0)
    if wrong_status or (failures and any(int(n) for n in failures.groups())):
        raise RuntimeError(f"ab saw failures on {url}:\n{out}")
    rps = float(re.search(r"^Requests per second:\s+([\d.]+)", out, re.MULTILINE).group(1))
    return AbResult(rps, served_within[50], served_within[95], cpu_ms)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=200, help="requests per route before the rounds")
    args = parser.parse_args()
    if shutil.which("ab") is None:
        parser.error("ab not found: install apache2-utils")
    print("$", shlex.join([sys.executable] + sys.argv))

    server = OctoPrintServer.create(Path(tempfile.mkdtemp(prefix="aiagent-bench-api-"))).start()
    key = server.api_keys["admin"]
    routes = {**ROUTES, **REFERENCE, CONDITIONAL: ROUTES["plugin /plugin/aiagent/status"]}
    results = {name: [] for name in routes}
    octoprint_process = psutil.Process(server.process.pid)
    try:
        server.connect_virtual_printer()
        etag = server.get(routes[CONDITIONAL]).headers["ETag"]
        options = {name: {} for name in routes}
        options[CONDITIONAL] = {"headers": (f"If-None-Match: {etag}",), "expect_304": True}
        for name, path in routes.items():
            run_ab(server.url + path, key, args.warmup, args.concurrency, **options[name])
        for round_no in range(args.rounds):
            order = list(routes.items()) if round_no % 2 == 0 else list(reversed(routes.items()))
            for name, path in order:
                results[name].append(run_ab(server.url + path, key, args.requests, args.concurrency, octoprint_process, **options[name]))
    finally:
        server.stop()

    from octoprint import __version__

    print(f"OctoPrint {__version__}, ab -n {args.requests} -c {args.concurrency}, {args.rounds} alternating rounds "
          f"after {args.warmup} warm-up requests each; medians over rounds")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in psutil.getloadavg())} ({psutil.cpu_count()} cores)")
    print(f"{'route':<38}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'CPU ms':>9}   req/s per round")
    medians = {}
    for name, rounds in results.items():
        medians[name] = AbResult(*(statistics.median(getattr(r, f) for r in rounds) for f in AbResult.__dataclass_fields__))
        m = medians[name]
        per_round = " ".join(f"{r.requests_per_s:.0f}" for r in rounds)
        print(f"{name:<38}{m.requests_per_s:>9.1f}{m.p50_ms:>9.1f}{m.p95_ms:>9.1f}{m.cpu_ms:>9.2f}   {per_round}")
    octoprint, plugin = (medians[name] for name in ROUTES)
    ratio = plugin.requests_per_s / octoprint.requests_per_s
    print(f"throughput ratio plugin / OctoPrint: {ratio:.3f} "
          f"({'meets' if ratio >= TARGET_RATIO else 'MISSES'} the >= {TARGET_RATIO} target)")
    # Per round, since both routes of a round met the same neighbours; then the median.
    round_ratios = [p.requests_per_s / o.requests_per_s for p, o in zip(*(results[name] for name in reversed(ROUTES)))]
    cpu_ratios = [o.cpu_ms / p.cpu_ms for p, o in zip(*(results[name] for name in reversed(ROUTES)))]
    print(f"per round: throughput ratio {' '.join(f'{r:.2f}' for r in round_ratios)} (median {statistics.median(round_ratios):.3f}); "
          f"CPU ratio OctoPrint / plugin {' '.join(f'{r:.2f}' for r in cpu_ratios)} (median {statistics.median(cpu_ratios):.3f})")
    print(f"p50 ratio {plugin.p50_ms / octoprint.p50_ms:.3f}, p95 ratio {plugin.p95_ms / octoprint.p95_ms:.3f}")
    for name in (*REFERENCE, CONDITIONAL):
        m = medians[name]
        print(f"reference: {name} / OctoPrint: throughput {m.requests_per_s / octoprint.requests_per_s:.3f}, "
              f"CPU per request {octoprint.cpu_ms / m.cpu_ms:.3f}")

    print()
    print("Header middleware alone (bench/header_overhead.py):")
    sys.stdout.flush()
    header = subprocess.run([sys.executable, str(ROOT / "bench" / "header_overhead.py"), "--n", "20000", "--repeat", "3"], timeout=600, check=False)
    return header.returncode


if __name__ == "__main__":
    sys.exit(main())
