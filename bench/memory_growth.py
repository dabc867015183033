"""Does OctoPrint's memory grow with the plugin's use? RSS idle, after jobs, after metric-heavy requests.

    python bench/memory_growth.py [--jobs 50] [--requests 500] [--cycles 2]

Starts one OctoPrint (this interpreter's, with the plugin and the Virtual Printer) and reads the
resident memory of the OctoPrint process itself (the design worker, the slicers and the G-code
check run as child processes: their memory is not OctoPrint's):
  idle          after start-up and a quiet wait
  warmed up     after a warm-up of a few jobs and requests, which fill caches once
then, ``--cycles`` times: after ``--jobs`` jobs (built-in slicer) and after ``--requests``
metric-heavy requests (status, JSON metrics, Prometheus text, 404s on random paths: each a new
path, which must not become a new metric series). Bounded buffers mean no growth after warm-up:
the last line is the growth per cycle in MB and the ratio final / warmed up (target about 1.0).

With each reading it lists the native libraries of designing (manifold3d, numpy, embree) that
OctoPrint's process has mapped (``/proc/PID/maps``): designing runs in the design worker, so the
list must stay empty; the bench fails if it does not.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.octoprint_server import OctoPrintServer, mapped_files  # noqa: E402

PROMPTS = (
    "a 20mm calibration cube",
    "a cylinder 30 mm in diameter and 10 mm tall",
    "a washer 24mm outer diameter, 10 mm hole, 2mm thick",
    "a 12 tooth gear, 30mm outer diameter, 5mm thick",
    "a box 50 x 30 x 10 mm",
)
# Shared objects of the libraries designing uses, as named in /proc/PID/maps.
DESIGN_LIBRARIES = re.compile(r"^(manifold3d[^/]*\.so|_multiarray_umath[^/]*\.so|[^/]*embree[^/]*\.so)")
METRIC_REQUESTS = (
    "/plugin/aiagent/status",
    "/plugin/aiagent/performance/metrics",
    "/plugin/aiagent/performance/metrics?format=prometheus",
    None,  # a 404 on a path never seen before
)


def rss_mb(server: OctoPrintServer, settle_s: float = 3.0) -> float:
    time.sleep(settle_s)  # let the job store's writer and OctoPrint's file analysis finish
    return psutil.Process(server.process.pid).memory_info().rss / 2**20


def design_libraries_mapped(pid: int) -> list:
    """File names of designing's native libraries mapped into process ``pid``."""
    return sorted({m.group(1) for m in map(DESIGN_LIBRARIES.match, mapped_files(pid)) if m})


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
    rows, random_paths, mapped = [], 0, {}

    def reading(name: str, settle_s: float = 3.0) -> None:
        rows.append((name, rss_mb(server, settle_s)))
        mapped[name] = design_libraries_mapped(server.process.pid)

    try:
        server.connect_virtual_printer()
        server.set_plugin_settings(slicer="builtin", max_jobs_per_minute=10000, max_queued_jobs=100)
        reading("idle", args.idle)
        run_jobs(server, args.warmup_jobs)
        random_paths += metric_requests(server, args.requests)
        reading("warmed up")
        for cycle in range(1, args.cycles + 1):
            run_jobs(server, args.jobs)
            reading(f"cycle {cycle}: after {args.jobs} jobs")
            random_paths += metric_requests(server, args.requests)
            reading(f"cycle {cycle}: after {args.requests} requests")
        routes = len(server.get("/plugin/aiagent/performance/metrics").json()["http"]["routes"])
        workers = {pid: design_libraries_mapped(pid) for pid in server.design_worker_pids()}
        worker_mb = sum(psutil.Process(pid).memory_info().rss for pid in workers) / 2**20
    finally:
        server.stop()

    from octoprint import __version__

    print(f"OctoPrint {__version__}; RSS of the OctoPrint process; warm-up {args.warmup_jobs} jobs + {args.requests} requests")
    warm = rows[1][1]
    print(f"{'':36}{'RSS MB':>10}{'vs warmed up':>14}{'vs idle':>10}   design libraries mapped in OctoPrint")
    for name, mb in rows:
        print(f"{name:<36}{mb:>10.1f}{mb - warm:>+14.1f}{mb / rows[0][1]:>10.3f}   {', '.join(mapped[name]) or 'none'}")
    print(f"design worker processes at the end: {len(workers)}, {worker_mb:.1f} MB resident, mapping "
          f"{', '.join(sorted({lib for libs in workers.values() for lib in libs})) or 'none'}")
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
    in_octoprint = sorted({lib for libs in mapped.values() for lib in libs})
    if in_octoprint:
        print(f"FAIL: OctoPrint's own process mapped {', '.join(in_octoprint)}: designing ran in it")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
