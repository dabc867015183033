"""Performance headers, the metrics endpoint and the terminal monitor on a real OctoPrint.

The registry's arithmetic is tested without OctoPrint in test_perf_core.py; here the questions are
whether the plugin, inside OctoPrint, puts the headers on every kind of response, counts what
really happened, and never makes a request wait for a CPU reading.
"""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .octoprint_server import VIEWER

pytestmark = pytest.mark.octoprint

PLUGIN = "/plugin/aiagent"
METRICS = f"{PLUGIN}/performance/metrics"
MONITOR = Path(__file__).resolve().parents[1] / "scripts" / "monitor_performance.py"
STAGES = ("understanding", "designing", "checking", "slicing")


def snapshot(octoprint, query: str = "") -> dict:
    r = octoprint.get(METRICS + query)
    assert r.status == 200, (r.status, r.body)
    return r.json()


def route_entry(snap: dict, rule: str) -> dict:
    """A route's counters; a route never requested has none yet, which is zero."""
    empty = {"count": 0, "errors": {"4xx": 0, "5xx": 0}, "status_classes": {}}
    return snap["http"]["routes"].get(PLUGIN + rule, empty)


def server_rss_mb(octoprint) -> float:
    return psutil.Process(octoprint.process.pid).memory_info().rss / 2**20


def near_server_rss(octoprint, read_mb) -> bool:
    """``read_mb()`` (a figure from the server) is OctoPrint's own resident memory. The sampler
    reads it once a second, so right after a jump (a job's first imports) it lags for a moment:
    ask again for a few seconds before deciding. A figure of another process never converges."""

    def close():
        figure, actual = read_mb(), server_rss_mb(octoprint)
        return abs(figure - actual) < max(30.0, 0.2 * actual)

    try:
        return octoprint.wait_for(close, 5, "the reported memory to match the process", interval=0.5)
    except AssertionError:
        return False


# -- headers ---------------------------------------------------------------------------------------

HEADER_CASES = [
    # (method, path, user, body, status)
    ("GET", "/status", "admin", None, 200),
    ("GET", "/performance/metrics", "admin", None, 200),
    ("GET", "/jobs?limit=many", "admin", None, 422),
    ("POST", "/jobs", "admin", {"prompt": "a cube", "colour": "red"}, 422),
    ("GET", "/jobs/no-such-job", "admin", None, 404),
    ("GET", "/no/such/endpoint", "admin", None, 404),
    ("GET", "/status", None, None, 403),
    ("GET", "/performance/metrics", None, None, 403),
    ("GET", "/status", VIEWER, None, 403),
    ("GET", "/performance/metrics", VIEWER, None, 403),
    ("POST", "/jobs", VIEWER, {"prompt": "a 10 mm cube"}, 403),
]


@pytest.mark.parametrize("method,path,user,body,status", HEADER_CASES,
                         ids=[f"{m} {p} {u or 'anonymous'} {s}" for m, p, u, _, s in HEADER_CASES])
def test_timing_headers_on_success_errors_and_refusals(octoprint, method, path, user, body, status):
    r = octoprint.request(method, PLUGIN + path, body=body, user=user)
    assert r.status == status, r.body
    if status != 200:
        assert r.headers["Content-Type"].startswith("application/json")
        assert r.json()["error"]

    process_time = float(r.headers["X-Process-Time"])
    assert math.isfinite(process_time) and 0 <= process_time < 5
    memory = float(r.headers["X-Memory-Usage"])
    assert 20 < memory < 4000
    assert near_server_rss(octoprint, lambda: float(octoprint.request(method, PLUGIN + path, body=body, user=user).headers["X-Memory-Usage"]))
    cpu = float(r.headers["X-CPU-Usage"])
    assert 0 <= cpu <= 100 * psutil.cpu_count() * 1.1  # percent of one core, so up to cores x 100


def test_header_figures_match_the_sampler_in_the_metrics(octoprint):
    r = octoprint.get(METRICS)
    latest = r.json()["system"]["latest"]
    # The sampler publishes once a second; a newer reading may have arrived between the two reads.
    assert abs(float(r.headers["X-Memory-Usage"]) - latest["rss_mb"]) < 20
    assert latest["cpu_percent"] >= 0


# -- counting what happened ------------------------------------------------------------------------

def test_requests_to_a_route_raise_its_count_by_exactly_n(octoprint):
    n = 7
    before = snapshot(octoprint)
    for _ in range(n):
        assert octoprint.get(f"{PLUGIN}/status").status == 200
    after = snapshot(octoprint)

    status_before, status_after = route_entry(before, "/status"), route_entry(after, "/status")
    assert status_after["count"] - status_before["count"] == n
    assert status_after["status_classes"].get("2xx", 0) - status_before["status_classes"].get("2xx", 0) == n
    assert status_after["errors"] == status_before["errors"]
    assert status_after["latency_s"]["count"] - status_before.get("latency_s", {}).get("count", 0) == n
    # The first snapshot request was counted by the time the second one answered.
    assert route_entry(after, "/performance/metrics")["count"] - route_entry(before, "/performance/metrics")["count"] == 1
    assert after["http"]["count"] - before["http"]["count"] == n + 1


def test_errors_are_counted_by_status_class(octoprint):
    before = snapshot(octoprint)
    for i in range(3):
        assert octoprint.get(f"{PLUGIN}/missing/{i}").status == 404
    assert octoprint.get(f"{PLUGIN}/status", user=VIEWER).status == 403
    assert octoprint.get(f"{PLUGIN}/status", user=None).status == 403
    assert octoprint.get(f"{PLUGIN}/jobs?offset=-1").status == 422
    after = snapshot(octoprint)

    assert after["http"]["errors"]["4xx"] - before["http"]["errors"]["4xx"] == 6
    assert after["http"]["errors"]["5xx"] == before["http"]["errors"]["5xx"]
    # Unknown paths are counted under the catch-all rule, not one series per path.
    assert route_entry(after, "/<path:anything>")["errors"]["4xx"] - route_entry(before, "/<path:anything>")["errors"]["4xx"] == 3
    assert route_entry(after, "/status")["errors"]["4xx"] - route_entry(before, "/status")["errors"]["4xx"] == 2
    assert route_entry(after, "/jobs")["errors"]["4xx"] - route_entry(before, "/jobs")["errors"]["4xx"] == 1
    assert not any("missing/" in rule for rule in after["http"]["routes"])


def test_a_jobs_stage_timings_appear_under_stages(octoprint):
    before = snapshot(octoprint)["stages"]
    r = octoprint.post(f"{PLUGIN}/jobs", {"prompt": "a 10 mm cube"})
    assert r.status == 202, r.body
    job = octoprint.wait_for_job(r.json()["id"], ("ready", "failed", "cancelled"))
    assert job["state"] == "ready", job
    after = snapshot(octoprint)["stages"]

    timings = job["outputs"]["timings"]
    assert set(timings) == set(STAGES)
    for stage in STAGES:
        old = before.get(stage, {"count": 0, "sum": 0.0})
        assert after[stage]["count"] - old["count"] == 1
        # The job rounds its timings to 0.1 ms; the registry keeps the unrounded seconds.
        assert after[stage]["sum"] - old["sum"] == pytest.approx(timings[stage], abs=2e-4)
        assert after[stage]["p50"] is not None and after[stage]["p50"] <= after[stage]["p99"]


# -- Prometheus text format ------------------------------------------------------------------------

def test_prometheus_format_parses_and_agrees_with_the_json(octoprint):
    for _ in range(3):
        octoprint.get(f"{PLUGIN}/status")
    octoprint.get(f"{PLUGIN}/missing/prometheus")
    r = octoprint.get(METRICS + "?format=prometheus")
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    assert "version=0.0.4" in r.headers["Content-Type"]
    assert float(r.headers["X-Process-Time"]) >= 0
    snap = snapshot(octoprint)

    families = {f.name: f for f in text_string_to_metric_families(r.body.decode("utf-8"))}
    # The parser strips "_total" from counter family names.
    requests = families["aiagent_http_requests"]
    assert requests.type == "counter"
    counts = {(s.labels["route"], s.labels["status_class"]): s.value for s in requests.samples if s.name.endswith("_total")}
    assert counts[(PLUGIN + "/status", "2xx")] == route_entry(snap, "/status")["status_classes"]["2xx"]
    assert counts[(PLUGIN + "/<path:anything>", "4xx")] == route_entry(snap, "/<path:anything>")["errors"]["4xx"]

    latency = families["aiagent_http_request_seconds"]
    assert latency.type == "histogram"
    status_samples = [s for s in latency.samples if s.labels.get("route") == PLUGIN + "/status"]
    buckets = [s for s in status_samples if s.name.endswith("_bucket")]
    count = next(s.value for s in status_samples if s.name.endswith("_count"))
    assert [s.value for s in buckets] == sorted(s.value for s in buckets)  # cumulative
    assert buckets[-1].labels["le"] == "+Inf" and buckets[-1].value == count
    assert count == route_entry(snap, "/status")["latency_s"]["count"]

    assert families["aiagent_process_resident_memory_bytes"].type == "gauge"

    def gauge_mb():
        text = octoprint.get(METRICS + "?format=prometheus").body.decode("utf-8")
        family = next(f for f in text_string_to_metric_families(text) if f.name == "aiagent_process_resident_memory_bytes")
        return family.samples[0].value / 2**20

    assert near_server_rss(octoprint, gauge_mb)
    assert families["aiagent_process_cpu_percent"].samples[0].value >= 0


# -- CPU and memory time series --------------------------------------------------------------------

def test_time_series_has_one_sample_per_interval_and_is_bounded(octoprint):
    system = snapshot(octoprint)["system"]
    at, cpu, rss = system["at"], system["cpu_percent"], system["rss_mb"]
    assert len(at) == len(cpu) == len(rss) >= 1
    assert at == sorted(at)
    interval = system["interval_s"]
    assert interval > 0
    # One reading per interval since the sampler started, never more (a list that grows per
    # request would fail this), and never more than an hour's worth.
    uptime = at[-1] - at[0]
    assert len(at) <= uptime / interval + 2
    assert len(at) <= math.ceil(3600 / interval)
    assert all(c >= 0 for c in cpu) and all(20 < m < 4000 for m in rss)


def test_since_returns_only_newer_samples(octoprint):
    octoprint.wait_for(lambda: len(snapshot(octoprint)["system"]["at"]) >= 3, 10, "three samples")
    full = snapshot(octoprint)["system"]
    since = full["at"][-3]
    newer = snapshot(octoprint, f"?since={since!r}")["system"]
    assert newer["at"] and all(t > since for t in newer["at"])
    assert newer["at"][:2] == full["at"][-2:]  # nothing newer than `since` left out
    assert len(newer["at"]) == len(newer["cpu_percent"]) == len(newer["rss_mb"])
    assert newer["latest"] is not None  # the latest reading is always given

    future = snapshot(octoprint, f"?since={full['at'][-1] + 3600!r}")["system"]
    assert future["at"] == [] and future["cpu_percent"] == [] and future["rss_mb"] == []

    r = octoprint.get(METRICS + "?since=yesterday")
    assert r.status == 422
    assert "since" in r.json()["error"]


# -- nothing waits for a CPU reading ---------------------------------------------------------------

def test_requests_do_not_wait_for_cpu_sampling(octoprint):
    """The system this replaces measured CPU on the request thread with a 100 ms interval, so every
    request took at least 0.1 s. This is a bound on behaviour, not a speed target: a median an
    order of magnitude below that floor cannot come from a blocking 100 ms measurement."""
    times = []
    for _ in range(50):
        r = octoprint.get(f"{PLUGIN}/status")
        assert r.status == 200
        times.append(float(r.headers["X-Process-Time"]))
    assert statistics.median(times) < 0.05, sorted(times)
    assert sum(t < 0.1 for t in times) >= 45, sorted(times)


# -- terminal monitor ------------------------------------------------------------------------------

def run_monitor(octoprint, user: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(MONITOR), "--url", octoprint.url, "--api-key", octoprint.api_keys[user], "--once"],
                          capture_output=True, text=True, timeout=60, check=False)


def monitor_memory_mb(output: str) -> float:
    return float(output.splitlines()[1].split("memory")[1].split()[0])  # "CPU 1.0 %   memory 105.3 MB"


def test_monitor_once_prints_the_servers_summary(octoprint):
    for _ in range(2):
        octoprint.get(f"{PLUGIN}/status")
    count = route_entry(snapshot(octoprint), "/status")["count"]
    result = run_monitor(octoprint, "admin")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"aiagent performance  {octoprint.url}")
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith(("/", "total"))}
    assert int(rows[PLUGIN + "/status"][0]) == count
    assert int(rows["total"][0]) >= count
    assert "Stages" in out
    assert near_server_rss(octoprint, lambda: monitor_memory_mb(run_monitor(octoprint, "admin").stdout))


def test_monitor_with_a_refused_key_exits_1(octoprint):
    result = run_monitor(octoprint, VIEWER)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "403" in result.stderr
