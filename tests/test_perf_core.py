"""The performance core: metrics registry, resource sampler and timing headers, without OctoPrint."""

from __future__ import annotations

import json
import math
import random
import sys
import threading
import time

import numpy as np
import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from octoprint_aiagent.perf.headers import status_class, timing_headers
from octoprint_aiagent.perf.metrics import OTHER, Metrics, percentile
from octoprint_aiagent.perf.sampler import ResourceSampler, Sample

# -- registry counts what it is told ---------------------------------------------------------------

def test_snapshot_groups_count_what_was_recorded():
    m = Metrics()
    for status in (200, 200, 201, 404, 422, 500, 502):
        m.record_request("/jobs", status, 0.01)
    m.record_request("/status", 200, 0.002)
    m.count("llm_calls_total", backend="openai", outcome="ok")
    m.count("llm_calls_total", backend="openai", outcome="ok")
    m.count("llm_calls_total", backend="openai", outcome="timeout")
    m.count("llm_calls_total", backend="ollama", outcome="http_error")
    m.observe("llm_latency_seconds", 0.8, backend="openai")
    m.count("llm_connections_total", kind="new")
    m.count("llm_connections_total", 3, kind="reused")
    for result in ("hit", "hit", "hit", "miss"):
        m.count("spec_cache_total", result=result)
    m.count("llm_deduplicated_total")
    m.observe("stage_seconds", 2.0, stage="slicing")
    m.observe("stage_seconds", 0.1, stage="designing")
    m.count("jobs_started_total", source="api")

    snap = json.loads(json.dumps(m.snapshot()))  # JSON-able, and compared after a round trip

    jobs = snap["http"]["routes"]["/jobs"]
    assert jobs["count"] == 7
    assert jobs["errors"] == {"4xx": 2, "5xx": 2}
    assert jobs["status_classes"] == {"2xx": 3, "4xx": 2, "5xx": 2}
    assert jobs["latency_s"]["count"] == 7
    assert snap["http"]["routes"]["/status"]["count"] == 1
    assert snap["http"]["count"] == 8
    assert snap["http"]["errors"] == {"4xx": 2, "5xx": 2}

    llm = snap["llm"]
    assert (llm["calls"], llm["failures"]) == (4, 2)
    assert llm["backends"]["openai"]["outcomes"] == {"ok": 2, "timeout": 1}
    assert llm["backends"]["ollama"]["failures"] == 1
    assert llm["backends"]["openai"]["latency_s"]["p50"] == 0.8
    assert llm["connections"] == {"new": 1, "reused": 3}

    assert snap["cache"] == {"hits": 3, "misses": 1, "hit_rate": 0.75, "deduplicated": 1}
    assert snap["stages"]["slicing"]["p95"] == 2.0
    assert snap["stages"]["designing"]["count"] == 1
    assert snap["other"]["counters"]["jobs_started_total"] == [{"labels": {"source": "api"}, "value": 1.0}]
    assert snap["system"]["latest"] is None  # no sampler given


def test_empty_registry_has_no_made_up_figures():
    snap = Metrics().snapshot()
    assert snap["http"]["count"] == 0
    assert snap["http"]["latency_s"]["p50"] is None
    assert snap["cache"]["hit_rate"] is None


def test_concurrent_recording_loses_nothing():
    m = Metrics(max_label_values=10_000)

    def work():  # every thread creates the same new series at about the same time, then reuses one
        for i in range(2000):
            m.record_request(f"/new/{i}", 200, 0.001)
        for _ in range(3000):
            m.record_request("/status", 200, 0.001)
            m.count("spec_cache_total", result="hit")

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that a missing lock would lose updates
    try:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    snap = m.snapshot()
    assert snap["http"]["routes"]["/status"]["count"] == 12000
    assert snap["cache"]["hits"] == 12000
    assert snap["http"]["count"] == 20000
    assert snap["http"]["latency_s"]["count"] == 20000


@pytest.mark.parametrize("call", [
    lambda m: m.count("bad-name"),
    lambda m: m.count("ok_total", **{"bad-label": "x"}),
    lambda m: m.observe("h_seconds", 1.0, le="1"),
    lambda m: m.observe("h_seconds", float("nan")),
    lambda m: m.count("ok_total", -1),
])
def test_invalid_use_is_refused(call):
    with pytest.raises(ValueError):
        call(Metrics())


def test_a_name_is_either_counter_or_histogram():
    m = Metrics()
    m.count("stage_seconds")
    with pytest.raises(ValueError):
        m.observe("stage_seconds", 1.0)


# -- percentiles ---------------------------------------------------------------------------------

def test_percentiles_on_known_data():
    m = Metrics()
    values = list(range(1, 101))
    random.Random(7).shuffle(values)
    for v in values:
        m.observe("stage_seconds", float(v), stage="slicing")
    s = m.snapshot()["stages"]["slicing"]
    assert (s["p50"], s["p95"], s["p99"]) == (50.0, 95.0, 99.0)
    assert s["sum"] == 5050.0
    assert s["mean"] == 50.5


def test_percentiles_cover_the_last_window_only():
    m = Metrics(window=100)
    for v in range(1, 1001):
        m.observe("stage_seconds", float(v), stage="s")
    s = m.snapshot()["stages"]["s"]
    assert s["count"] == 1000 and s["sum"] == 500500.0  # totals cover everything
    assert s["window"] == 100
    assert (s["p50"], s["p99"]) == (950.0, 999.0)  # ranks within 901..1000


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e4), min_size=1, max_size=300), st.sampled_from([50, 95, 99]))
def test_percentile_is_nearest_rank(values, q):
    expected = np.percentile(np.array(values), q, method="inverted_cdf")
    assert percentile(sorted(values), q) == expected


# -- bounded memory ------------------------------------------------------------------------------

def test_many_observations_keep_the_ring_bounded():
    m = Metrics(window=256)
    for i in range(100_000):
        m.record_request("/status", 200, (i % 1000) / 1e5)
    route = m.snapshot()["http"]["routes"]["/status"]
    assert route["count"] == 100_000
    assert route["latency_s"]["count"] == 100_000
    assert route["latency_s"]["window"] == 256
    assert m.series_count("http_request_seconds") == 1


def test_a_flood_of_routes_folds_into_other():
    cap = 20
    m = Metrics(max_label_values=cap)
    for i in range(10_000):
        m.record_request(f"/unknown/{i}", 404 if i % 2 else 500, 0.001)
    routes = m.snapshot()["http"]["routes"]
    assert len(routes) == cap + 1
    other = routes[OTHER]
    assert other["count"] == 10_000 - cap
    assert other["errors"] == {"4xx": (10_000 - cap) // 2, "5xx": (10_000 - cap) // 2}  # status class kept
    assert m.series_count("http_request_seconds") == cap + 1
    assert m.series_count("http_requests_total") <= (cap + 1) * 2
    assert sum(r["count"] for r in routes.values()) == 10_000


def test_long_label_values_are_truncated():
    m = Metrics()
    m.record_request("/" + "x" * 10_000, 200, 0.001)
    (route,) = m.snapshot()["http"]["routes"]
    assert len(route) <= 200


# -- Prometheus text format ----------------------------------------------------------------------

def _families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_prometheus_text_parses_and_matches_the_registry():
    m = Metrics()
    weird = 'a"b\\c\nd'
    for seconds in (0.0004, 0.003, 0.003, 0.2, 700.0):
        m.record_request("/status", 200, seconds)
    m.record_request(weird, 500, 0.01)
    m.count("spec_cache_total", result="hit")
    text = m.prometheus()

    assert text.endswith("\n")
    for line in text.splitlines():  # every sample's metric was declared with HELP and TYPE first
        if not line.startswith("#"):
            base = line.split("{")[0].split(" ")[0]
            declared = [b for b in (base, base.rsplit("_", 1)[0]) if f"# TYPE {b} " in text]
            assert declared, line
            assert text.index(f"# HELP {declared[0]} ") < text.index(f"# TYPE {declared[0]} ") < text.index(line)

    families = _families(text)
    hist = families["aiagent_http_request_seconds"]
    assert hist.type == "histogram"
    status = [s for s in hist.samples if s.labels.get("route") == "/status"]
    buckets = [(float(s.labels["le"]), s.value) for s in status if s.name.endswith("_bucket")]
    counts = [c for _, c in buckets]
    assert counts == sorted(counts)  # cumulative
    assert buckets[-1] == (math.inf, 5.0)
    assert dict(buckets)[0.0005] == 1.0 and dict(buckets)[0.005] == 3.0 and dict(buckets)[600.0] == 4.0
    (count,) = [s.value for s in status if s.name.endswith("_count")]
    (total,) = [s.value for s in status if s.name.endswith("_sum")]
    assert count == 5 and total == pytest.approx(700.2064)

    requests = families["aiagent_http_requests"]  # the parser drops the counter's _total suffix
    assert requests.type == "counter"
    by_route = {(s.labels["route"], s.labels["status_class"]): s.value for s in requests.samples}
    assert by_route == {("/status", "2xx"): 5.0, (weird, "5xx"): 1.0}  # escaping round-trips
    assert families["aiagent_spec_cache"].samples[0].value == 1.0


def test_prometheus_includes_process_gauges_from_the_sampler():
    sampler = ResourceSampler(interval=0.05)
    sampler.start()
    try:
        families = _families(Metrics(sampler=sampler).prometheus())
    finally:
        sampler.stop()
    assert families["aiagent_process_cpu_percent"].type == "gauge"
    rss = families["aiagent_process_resident_memory_bytes"].samples[0].value
    assert rss > 1e6


# -- sampler -------------------------------------------------------------------------------------

class CountingProcess:
    """A real psutil.Process that counts calls and remembers the thread that created it."""

    def __init__(self):
        self.process = psutil.Process()
        self.calls = 0
        self.thread = threading.current_thread()

    def cpu_percent(self, interval=None):
        self.calls += 1
        return self.process.cpu_percent(interval)

    def memory_info(self):
        self.calls += 1
        return self.process.memory_info()


def _counting_sampler(**kwargs):
    made = []

    def factory():
        made.append(CountingProcess())
        return made[-1]

    return ResourceSampler(process_factory=factory, **kwargs), made


def _wait_for(condition, deadline_s=20.0):
    """Deadline to avoid hanging forever, not a speed assertion."""
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


def test_latest_reads_a_cache_and_never_calls_psutil():
    sampler, made = _counting_sampler(interval=3600.0)  # one reading after start, then a long wait
    assert sampler.latest() is None
    sampler.start()
    try:
        (process,) = made
        assert process.thread is not threading.current_thread()  # owned by the sampler thread
        calls = process.calls
        assert calls == 3  # baseline cpu_percent (discarded), then cpu_percent + memory_info
        readings = {id(sampler.latest()) for _ in range(10_000)}
        assert process.calls == calls
        assert len(readings) == 1
        assert sampler.latest().rss_mb > 1.0
    finally:
        sampler.stop()


def test_sampler_sees_cpu_of_a_busy_thread():
    sampler = ResourceSampler(interval=0.2)
    done = threading.Event()

    def spin():
        while not done.is_set():
            sum(range(1000))

    busy = threading.Thread(target=spin, daemon=True)
    busy.start()
    sampler.start()
    try:
        assert _wait_for(lambda: sampler.latest().cpu_percent > 0.0)
    finally:
        done.set()
        busy.join()
        sampler.stop()


def test_history_is_a_bounded_ring_and_stop_joins():
    sampler, made = _counting_sampler(interval=0.01, history_s=0.05)
    sampler.start()
    try:
        assert _wait_for(lambda: made[0].calls >= 2 * 12)  # more readings than the ring holds
    finally:
        sampler.stop()
    assert not sampler.running
    calls = made[0].calls
    time.sleep(0.1)
    assert made[0].calls == calls  # the thread is gone, nothing samples any more
    assert len(made) == 1
    history = sampler.history()
    assert len(history) == 5
    assert [s.at for s in history] == sorted(s.at for s in history)
    assert history[-1] is sampler.latest()
    assert sampler.history(since=history[2].at) == history[3:]


def test_metrics_snapshot_carries_the_sampler_series():
    sampler = ResourceSampler(interval=0.02)
    sampler.start()
    try:
        assert _wait_for(lambda: len(sampler.history()) >= 3)
        system = Metrics(sampler=sampler).snapshot()["system"]
        assert system["interval_s"] == 0.02
        assert system["latest"]["rss_mb"] > 1.0
        assert len(system["at"]) == len(system["cpu_percent"]) == len(system["rss_mb"]) >= 3
        newer = Metrics(sampler=sampler).snapshot(since=system["at"][-1])["system"]["at"]
        assert all(t > system["at"][-1] for t in newer)
    finally:
        sampler.stop()


# -- headers -------------------------------------------------------------------------------------

def test_timing_headers_format():
    sample = Sample(cpu_percent=7.26, rss_mb=123.456, at=0.0)
    assert timing_headers(10.0, sample, now=10.000412) == {
        "X-Process-Time": "0.000412",
        "X-Memory-Usage": "123.5",
        "X-CPU-Usage": "7.3",
    }
    assert timing_headers(10.0, None, now=11.5) == {"X-Process-Time": "1.500000"}


def test_timing_headers_measure_from_perf_counter():
    started = time.perf_counter()
    elapsed = float(timing_headers(started, None)["X-Process-Time"])
    assert 0.0 <= elapsed < 60.0


@pytest.mark.parametrize("code, expected", [(200, "2xx"), (204, "2xx"), (301, "3xx"), (403, "4xx"),
                                            (422, "4xx"), (500, "5xx"), (502, "5xx"), (99, "other"), (600, "other")])
def test_status_class(code, expected):
    assert status_class(code) == expected
