"""Does OctoPrint's memory grow with the plugin's use? RSS idle, after jobs, after metric-heavy requests.

    python bench/memory_growth.py [--jobs 50] [--requests 500] [--cycles 2]

Starts one OctoPrint (this interpreter's, with the plugin and the Virtual Printer) and reads the
resident memory of the OctoPrint process itself (slicers run as child processes and come and go):
  idle          after start-up and a quiet wait
  warmed up     after a warm-up of a few jobs and requests: first use imports trimesh, numpy,
                manifold3d and fills caches, which is a one-time cost, not growth
then, ``--cycles`` times: after ``--jobs`` jobs (built-in slicer) and after ``--requests``
metric-heavy requests (status, JSON metrics, Prometheus text, 404s on random paths: each a new
path, which must not become a new metric series). Bounded buffers mean no growth after warm-up:
the last line is the growth per cycle in MB and the ratio final / warmed up (target about 1.0).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.octoprint_server import OctoPrintServer  # noqa: E402

PROMPTS = (
    "a 20mm calibration cube",
    "a cylinder 30 mm in diameter and 10 mm tall",
    "a washer 24mm outer diameter, 10 mm hole, 2mm thick",
    "a 12 tooth gear, 30mm outer diameter, 5mm thick",
    "a box 50 x 30 x 10 mm",
)
METRIC_REQUESTS = (
    "/plugin/aiagent/status",
    "/plugin/aiagent/performance/metrics",
    "/plugin/aiagent/performance/metrics?format=prometheus",
    None,  # a 404 on a path never seen before
)


def rss_mb(server: OctoPrintServer, settle_s: float = 3.0) -> float:
    time.sleep(settle_s)  # let the job store's writer and OctoPrint's file analysis finish
    return psutil.Process(server.process.pid).memory_info().rss / 2**20


def run_jobs(server: OctoPrintServer, n: int, outstanding: int = 2) -> int:
    """Runs ``n`` jobs, at most ``outstanding`` at a time; returns how many reached "ready"."""
    submitted, pending, ready = 0, [], 0
    while submitted < n or pending:
        while submitted < n and len(pending) < outstanding:
            r = server.post("/plugin/aiagent/jobs", {"prompt": PROMPTS[submitted % len(PROMPTS)]})
            if r.status != 202:
                raise RuntimeError(f"POST /jobs answered {r.status}: {r.body[:300]!r}")
            pending.append(r.json()["id"])
            submitted += 1
        time.sleep(0.2)
        for job_id in list(pending):
            job = server.get(f"/plugin/aiagent/jobs/{job_id}").json()
            if job["state"] in ("ready", "failed", "cancelled"):
                pending.remove(job_id)
                if job["state"] != "ready":
                    raise RuntimeError(f"job {job_id} ended {job['state']}: {job.get('error')}")
                ready += 1
    return ready


def metric_requests(server: OctoPrintServer, n: int) -> int:
    """Makes ``n`` requests; returns how many were 404s on new random paths."""
    random_paths = 0
    for i in range(n):
        known = METRIC_REQUESTS[i % len(METRIC_REQUESTS)]
        path, expected = (known, 200) if known else (f"/plugin/aiagent/{uuid.uuid4().hex}", 404)
        random_paths += known is None
        r = server.get(path)
        if r.status != expected:
            raise RuntimeError(f"GET {path} answered {r.status}, expected {expected}")
    return random_paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--cycles", type=int, default=2, help="rounds of jobs + requests after the warm-up")
    parser.add_argument("--warmup-jobs", type=int, default=10)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds idle before the first reading")
    args = parser.parse_args()
    print("$", shlex.join([sys.executable] + sys.argv))

    server = OctoPrintServer.create(Path(tempfile.mkdtemp(prefix="aiagent-bench-memory-"))).start()
    rows, random_paths = [], 0
    try:
        server.connect_virtual_printer()
        server.set_plugin_settings(slicer="builtin", max_jobs_per_minute=10000, max_queued_jobs=100)
        rows.append(("idle", rss_mb(server, args.idle)))
        run_jobs(server, args.warmup_jobs)
        random_paths += metric_requests(server, args.requests)
        rows.append(("warmed up", rss_mb(server)))
        for cycle in range(1, args.cycles + 1):
            run_jobs(server, args.jobs)
            rows.append((f"cycle {cycle}: after {args.jobs} jobs", rss_mb(server)))
            random_paths += metric_requests(server, args.requests)
            rows.append((f"cycle {cycle}: after {args.requests} requests", rss_mb(server)))
        routes = len(server.get("/plugin/aiagent/performance/metrics").json()["http"]["routes"])
    finally:
        server.stop()

    from octoprint import __version__

    print(f"OctoPrint {__version__}; RSS of the OctoPrint process; warm-up {args.warmup_jobs} jobs + {args.requests} requests")
    warm = rows[1][1]
    print(f"{'':36}{'RSS MB':>10}{'vs warmed up':>14}")
    for name, mb in rows:
        print(f"{name:<36}{mb:>10.1f}{mb - warm:>+14.1f}")
    final = rows[-1][1]
    per_cycle = (final - warm) / args.cycles
    job_mb = [rows[i][1] - rows[i - 1][1] for i in range(2, len(rows), 2)]
    request_mb = [rows[i][1] - rows[i - 1][1] for i in range(3, len(rows), 2)]
    print(f"per job: {sum(job_mb) / len(job_mb) / args.jobs * 1024:+.0f} KB (each job stays in the job history, at most "
          f"1000, and adds two files to OctoPrint's storage); per request: {sum(request_mb) / len(request_mb) / args.requests * 1024:+.2f} KB")
    print(f"routes in the metrics after {random_paths} requests to random paths: {routes}")
    print(f"growth after warm-up: {final - warm:+.1f} MB in {args.cycles} cycles ({per_cycle:+.1f} MB per cycle of "
          f"{args.jobs} jobs + {args.requests} requests); ratio final / warmed up {final / warm:.3f}; "
          f"ratio final / idle {final / rows[0][1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
