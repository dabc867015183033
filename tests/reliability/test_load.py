"""Load on a real OctoPrint while its Virtual Printer prints: 50 design requests at once and 1000
status requests at concurrency 10. No 5xx; what the queue cannot take is answered 429 with
Retry-After; every accepted job ends in the history (none lost); the server's memory stays
bounded; the print finishes. The figures are printed (run with -s) for the README table."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from .helpers import FINAL, JOBS, all_jobs, configure, db_check, printer_flags, private_server, submit

pytestmark = pytest.mark.octoprint

DESIGNS = 50
STATUS_REQUESTS = 1000
STATUS_CONCURRENCY = 10
MAX_QUEUED = 20  # the plugin's default max_queued_jobs
MEMORY_GROWTH_LIMIT_MB = 150


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with private_server(tmp_path_factory.mktemp("load"), "load") as server:
        configure(server, max_queued_jobs=MAX_QUEUED, max_jobs_per_minute=1000)
        yield server


def rss_mb(server) -> float:
    return psutil.Process(server.process.pid).memory_info().rss / 2**20


def test_fifty_designs_and_a_thousand_status_requests_while_printing(server):
    # Warm up (the first job imports the geometry libraries), then start a print to run under the load.
    warm = server.wait_for_job(submit(server, prompt="a 20 mm cube")["id"], FINAL, timeout=120)
    assert warm["state"] == "ready", warm
    rss_before = rss_mb(server)
    assert server.post(f"{JOBS}/{warm['id']}/print").status == 200
    server.wait_for(lambda: printer_flags(server).get("printing"), 30, "the print to start")
    load_started = time.monotonic()

    # 50 design requests, released together.
    barrier = threading.Barrier(DESIGNS)

    def design(i: int):
        barrier.wait()
        return server.post(JOBS, {"prompt": f"a {10 + i % 20} mm cube", "quality": "draft"}, timeout=60)

    with ThreadPoolExecutor(DESIGNS) as pool:
        designs = list(pool.map(design, range(DESIGNS)))
    accepted = [r.json()["id"] for r in designs if r.status == 202]
    refused = [r for r in designs if r.status == 429]
    assert all(r.status < 500 for r in designs), sorted({r.status for r in designs})
    assert len(accepted) + len(refused) == DESIGNS, sorted({r.status for r in designs})
    assert 1 <= len(accepted) <= MAX_QUEUED and refused
    for r in refused:
        assert int(r.headers["Retry-After"]) > 0 and "already waiting" in r.json()["error"]

    # 1000 status requests at concurrency 10, over the plugin's three read routes.
    paths = ["/plugin/aiagent/status", f"{JOBS}?limit=20"] + [f"{JOBS}/{job_id}" for job_id in accepted[:8]]

    def status(i: int):
        started = time.perf_counter()
        r = server.get(paths[i % len(paths)], timeout=60)
        return r.status, time.perf_counter() - started

    status_started = time.monotonic()
    with ThreadPoolExecutor(STATUS_CONCURRENCY) as pool:
        answers = list(pool.map(status, range(STATUS_REQUESTS)))
    status_seconds = time.monotonic() - status_started
    codes = [code for code, _ in answers]
    assert codes.count(200) == STATUS_REQUESTS, {c: codes.count(c) for c in set(codes)}
    latencies = sorted(seconds for _, seconds in answers)
    printing_during_status = printer_flags(server).get("printing")

    # Every accepted job ends, and is in the history and the database: none lost.
    for job_id in accepted:
        server.wait_for_job(job_id, FINAL, timeout=240)
    history = all_jobs(server)
    assert set(accepted) <= set(history)
    assert all(history[job_id]["state"] == "ready" for job_id in accepted), {history[j]["state"] for j in accepted}
    verdict, stored = db_check(server)
    assert verdict == "ok" and set(accepted) <= set(stored)
    load_seconds = time.monotonic() - load_started

    # The print under the load finishes.
    done = server.wait_for_job(warm["id"], ("done", "failed", "cancelled"), timeout=300)
    assert done["state"] == "done", done
    rss_after = rss_mb(server)
    assert rss_after - rss_before < MEMORY_GROWTH_LIMIT_MB

    print(
        f"\nload: {DESIGNS} design requests at once -> {len(accepted)} accepted (202), {len(refused)} refused (429 + Retry-After), 0 5xx; "
        f"{STATUS_REQUESTS} status requests at concurrency {STATUS_CONCURRENCY} in {status_seconds:.1f} s "
        f"({STATUS_REQUESTS / status_seconds:.0f}/s), all 200, p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[int(0.95 * len(latencies))] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms; "
        f"printing during the status burst: {printing_during_status}; all {len(accepted)} jobs ready after {load_seconds:.0f} s, 0 lost; "
        f"print done; server RSS {rss_before:.0f} MB before, {rss_after:.0f} MB after"
    )
