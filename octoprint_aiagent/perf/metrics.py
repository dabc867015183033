"""The plugin's one metrics registry: labelled counters and histograms whose memory is bounded.

Bounded in two ways, because label values can come from outside (a flood of unknown routes):
- each label of a metric keeps at most ``max_label_values`` distinct values; later new values are
  folded into "other", so ``route`` is capped while ``status_class`` keeps its meaning;
- each histogram series keeps fixed bucket counts plus the last ``window`` observations in a
  fixed-size ring (an ``array`` of doubles), from which p50/p95/p99 are exact (nearest rank).

``snapshot()`` groups the figures the Performance tab and the terminal monitor show; ``prometheus()``
writes every metric in the Prometheus text exposition format (version 0.0.4).
"""

from __future__ import annotations

import bisect
import math
import re
import threading
import time
from array import array
from collections.abc import Iterable, Sequence
from typing import Optional

from .headers import status_class

# Seconds: from a cached status answer (well under a millisecond) to a long slice (minutes).
DEFAULT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                   1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
QUANTILES = (50, 95, 99)
OTHER = "other"
PREFIX = "aiagent_"
MAX_VALUE_CHARS = 200  # a label value is a name, not a payload
SUCCESS_OUTCOME = "ok"  # llm_calls_total{outcome}: anything else counts as a failure

# The metrics the contract names, with their help text; snapshot() groups these and lists any
# other metric under "other", so that nothing recorded is dropped from view.
HELP = {
    "http_requests_total": "Responses of the plugin's API by route and status class.",
    "http_request_seconds": "Time to handle a request of the plugin's API.",
    "llm_calls_total": "Calls to the language model by backend and outcome.",
    "llm_latency_seconds": "Duration of a call to the language model.",
    "llm_connections_total": "HTTP connections used for language model calls, new or reused from the pool.",
    "spec_cache_total": "Lookups in the design spec cache by result.",
    "llm_deduplicated_total": "Requests answered by an identical call already in flight.",
    "stage_seconds": "Duration of a pipeline stage.",
}

_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
LabelKey = tuple[tuple[str, str], ...]


class _Histogram:
    __slots__ = ("buckets", "total", "count", "ring", "next")

    def __init__(self, n_bounds: int):
        self.buckets = [0] * (n_bounds + 1)  # not cumulative; the last one is +Inf
        self.total = 0.0
        self.count = 0
        self.ring = array("d")
        self.next = 0  # where the next observation goes once the ring is full

    def observe(self, value: float, bounds: Sequence[float], window: int) -> None:
        self.buckets[bisect.bisect_left(bounds, value)] += 1  # first bound >= value: "le" semantics
        self.total += value
        self.count += 1
        if len(self.ring) < window:
            self.ring.append(value)
        else:
            self.ring[self.next] = value
            self.next = (self.next + 1) % window


class _Family:
    """All series of one metric name, and the label values seen so far (for the cap)."""

    __slots__ = ("kind", "series", "seen")

    def __init__(self, kind: str):
        self.kind = kind
        self.series: dict[LabelKey, object] = {}
        self.seen: dict[str, set] = {}

    def key(self, labels: dict[str, str], max_values: int) -> LabelKey:
        items = []
        for label in sorted(labels):
            value = str(labels[label])[:MAX_VALUE_CHARS]
            seen = self.seen.get(label)
            if seen is None:
                if not _NAME.match(label) or label == "le":
                    raise ValueError(f"invalid label name {label!r}")
                seen = self.seen[label] = set()
            if value not in seen:
                if len(seen) >= max_values:
                    value = OTHER
                else:
                    seen.add(value)
            items.append((label, value))
        return tuple(items)


def percentile(sorted_values: Sequence[float], q: int) -> Optional[float]:
    """Nearest-rank percentile: the smallest value with at least q% of the values at or below it."""
    n = len(sorted_values)
    if n == 0:
        return None
    rank = max(1, -(-q * n // 100))  # ceil(q * n / 100) in integers, free of rounding
    return sorted_values[rank - 1]


class Metrics:
    def __init__(self, sampler=None, buckets: Sequence[float] = DEFAULT_BUCKETS,
                 window: int = 1024, max_label_values: int = 50):
        """``sampler``: a ResourceSampler (or anything with ``latest()``, ``history(since)`` and
        ``interval``) whose readings fill the "system" part; None leaves that part empty."""
        if list(buckets) != sorted(set(buckets)) or not buckets:
            raise ValueError("buckets must be distinct and increasing")
        self.sampler = sampler
        self.buckets = tuple(float(b) for b in buckets)
        self.window = window
        self.max_label_values = max_label_values
        self.started_at = time.time()
        self._families: dict[str, _Family] = {}
        self._lock = threading.Lock()

    # -- recording (any thread) ----------------------------------------------------------------

    def count(self, name: str, value: float = 1.0, **labels: str) -> None:
        with self._lock:
            self._count(name, value, labels)

    def observe(self, name: str, value: float, **labels: str) -> None:
        if not math.isfinite(value):
            raise ValueError(f"{name}: observed value must be finite, got {value!r}")
        with self._lock:
            self._observe(name, value, labels)

    def record_request(self, route: str, status: int, seconds: float) -> None:
        """One response of the plugin's API. ``route`` should be the route rule (e.g. "/jobs/<id>"),
        not the raw path, so that ids do not use up the label cap."""
        with self._lock:
            self._count("http_requests_total", 1.0, {"route": route, "status_class": status_class(status)})
            self._observe("http_request_seconds", seconds, {"route": route})

    def series_count(self, name: str) -> int:
        """How many label sets ``name`` holds (for tests and sanity checks of the cap)."""
        with self._lock:
            family = self._families.get(name)
            return len(family.series) if family else 0

    def _family(self, name: str, kind: str) -> _Family:
        family = self._families.get(name)
        if family is None:
            if not _NAME.match(name):
                raise ValueError(f"invalid metric name {name!r}")
            family = self._families[name] = _Family(kind)
        elif family.kind != kind:
            raise ValueError(f"{name} is a {family.kind}, not a {kind}")
        return family

    def _count(self, name: str, value: float, labels: dict[str, str]) -> None:
        if value < 0:
            raise ValueError(f"{name}: a counter only goes up, got {value!r}")
        family = self._family(name, "counter")
        key = family.key(labels, self.max_label_values)
        family.series[key] = family.series.get(key, 0.0) + value

    def _observe(self, name: str, value: float, labels: dict[str, str]) -> None:
        family = self._family(name, "histogram")
        key = family.key(labels, self.max_label_values)
        series = family.series.get(key)
        if series is None:
            series = family.series[key] = _Histogram(len(self.buckets))
        series.observe(value, self.buckets, self.window)

    def _copy(self, rings: bool = True) -> tuple[dict[str, dict[LabelKey, float]], dict[str, dict[LabelKey, tuple]]]:
        """Plain copies taken under the lock; sorting and formatting happen outside it."""
        counters: dict[str, dict[LabelKey, float]] = {}
        histograms: dict[str, dict[LabelKey, tuple]] = {}
        with self._lock:
            for name, family in self._families.items():
                if family.kind == "counter":
                    counters[name] = dict(family.series)
                else:
                    histograms[name] = {
                        key: (list(h.buckets), h.total, h.count, array("d", h.ring) if rings else None)
                        for key, h in family.series.items()
                    }
        return counters, histograms

    # -- snapshot (JSON) -----------------------------------------------------------------------

    def snapshot(self, since: Optional[float] = None) -> dict:
        """Everything as JSON-able data. ``since`` (a ``time.time()`` value) limits the system time
        series to newer samples, so a live chart can fetch only what it has not drawn yet."""
        counters, histograms = self._copy()
        stages = _by_labels(histograms.get("stage_seconds", {}))
        return {
            "at": time.time(),
            "started_at": self.started_at,
            "http": _http_group(counters.get("http_requests_total", {}), histograms.get("http_request_seconds", {})),
            "llm": _llm_group(counters, histograms.get("llm_latency_seconds", {})),
            "cache": _cache_group(counters),
            "stages": {labels.get("stage", OTHER): _summary([h]) for labels, h in stages},
            "system": self._system_group(since),
            "other": {
                "counters": {name: [{"labels": dict(k), "value": v} for k, v in series.items()]
                             for name, series in counters.items() if name not in HELP},
                "histograms": {name: [dict(labels=dict(k), **_summary([h])) for k, h in series.items()]
                               for name, series in histograms.items() if name not in HELP},
            },
        }

    def _system_group(self, since: Optional[float]) -> dict:
        if self.sampler is None:
            return {"latest": None, "interval_s": None, "at": [], "cpu_percent": [], "rss_mb": []}
        latest = self.sampler.latest()
        samples = self.sampler.history(since)
        return {
            "latest": latest.to_dict() if latest else None,
            "interval_s": self.sampler.interval,
            "at": [s.at for s in samples],
            "cpu_percent": [s.cpu_percent for s in samples],
            "rss_mb": [round(s.rss_mb, 2) for s in samples],
        }

    # -- Prometheus text format ----------------------------------------------------------------

    def prometheus(self) -> str:
        counters, histograms = self._copy(rings=False)
        lines: list[str] = []
        for name in sorted(set(counters) | set(histograms)):
            full = PREFIX + name
            lines.append(f"# HELP {full} {_escape_help(HELP.get(name, name.replace('_', ' ')))}")
            if name in counters:
                lines.append(f"# TYPE {full} counter")
                for key, value in sorted(counters[name].items()):
                    lines.append(f"{full}{_labels(key)} {_number(value)}")
                continue
            lines.append(f"# TYPE {full} histogram")
            for key, (buckets, total, count, _ring) in sorted(histograms[name].items()):
                cumulative = 0
                for bound, n in zip(self.buckets + (math.inf,), buckets):
                    cumulative += n
                    lines.append(f"{full}_bucket{_labels(key + (('le', _number(bound)),))} {cumulative}")
                lines.append(f"{full}_sum{_labels(key)} {_number(total)}")
                lines.append(f"{full}_count{_labels(key)} {count}")
        latest = self.sampler.latest() if self.sampler is not None else None
        if latest is not None:
            lines += [
                f"# HELP {PREFIX}process_cpu_percent CPU use of the OctoPrint process, percent of one core.",
                f"# TYPE {PREFIX}process_cpu_percent gauge",
                f"{PREFIX}process_cpu_percent {_number(latest.cpu_percent)}",
                f"# HELP {PREFIX}process_resident_memory_bytes Resident memory of the OctoPrint process.",
                f"# TYPE {PREFIX}process_resident_memory_bytes gauge",
                f"{PREFIX}process_resident_memory_bytes {_number(round(latest.rss_mb * 1024 * 1024))}",
            ]
        return "\n".join(lines) + "\n"


# -- grouping helpers ----------------------------------------------------------------------------

def _by_labels(series: dict[LabelKey, object]) -> Iterable[tuple[dict[str, str], object]]:
    return ((dict(key), value) for key, value in series.items())


def _summary(histograms: Sequence[tuple]) -> dict:
    """count, sum, mean and p50/p95/p99 of one or more copied histogram series, merged."""
    count = sum(h[2] for h in histograms)
    total = sum(h[1] for h in histograms)
    window = sorted(v for h in histograms for v in h[3])
    summary = {"count": count, "sum": total, "mean": total / count if count else None, "window": len(window)}
    for q in QUANTILES:
        summary[f"p{q}"] = percentile(window, q)
    return summary


def _http_group(requests: dict[LabelKey, float], latencies: dict[LabelKey, tuple]) -> dict:
    routes: dict[str, dict] = {}

    def route_entry(route: str) -> dict:
        return routes.setdefault(route, {"count": 0, "errors": {"4xx": 0, "5xx": 0}, "status_classes": {},
                                         "latency_s": _summary([])})

    for labels, value in _by_labels(requests):
        entry = route_entry(labels.get("route", OTHER))
        cls = labels.get("status_class", OTHER)
        entry["count"] += int(value)
        entry["status_classes"][cls] = entry["status_classes"].get(cls, 0) + int(value)
        if cls in entry["errors"]:
            entry["errors"][cls] += int(value)
    for labels, h in _by_labels(latencies):
        route_entry(labels.get("route", OTHER))["latency_s"] = _summary([h])
    return {
        "count": sum(e["count"] for e in routes.values()),
        "errors": {cls: sum(e["errors"][cls] for e in routes.values()) for cls in ("4xx", "5xx")},
        "latency_s": _summary(list(latencies.values())),
        "routes": routes,
    }


def _llm_group(counters: dict[str, dict[LabelKey, float]], latencies: dict[LabelKey, tuple]) -> dict:
    backends: dict[str, dict] = {}

    def backend_entry(backend: str) -> dict:
        return backends.setdefault(backend, {"calls": 0, "failures": 0, "outcomes": {}, "latency_s": _summary([])})

    for labels, value in _by_labels(counters.get("llm_calls_total", {})):
        entry = backend_entry(labels.get("backend", OTHER))
        outcome = labels.get("outcome", OTHER)
        entry["calls"] += int(value)
        entry["outcomes"][outcome] = entry["outcomes"].get(outcome, 0) + int(value)
        if outcome != SUCCESS_OUTCOME:
            entry["failures"] += int(value)
    for labels, h in _by_labels(latencies):
        backend_entry(labels.get("backend", OTHER))["latency_s"] = _summary([h])
    connections = {"new": 0, "reused": 0}
    for labels, value in _by_labels(counters.get("llm_connections_total", {})):
        kind = labels.get("kind", OTHER)
        connections[kind] = connections.get(kind, 0) + int(value)
    return {
        "calls": sum(e["calls"] for e in backends.values()),
        "failures": sum(e["failures"] for e in backends.values()),
        "latency_s": _summary(list(latencies.values())),
        "connections": connections,
        "backends": backends,
    }


def _cache_group(counters: dict[str, dict[LabelKey, float]]) -> dict:
    results: dict[str, int] = {}
    for labels, value in _by_labels(counters.get("spec_cache_total", {})):
        result = labels.get("result", OTHER)
        results[result] = results.get(result, 0) + int(value)
    hits, misses = results.get("hit", 0), results.get("miss", 0)
    return {
        "hits": hits,
        "misses": misses,
        "hit_rate": hits / (hits + misses) if hits + misses else None,
        "deduplicated": int(sum(counters.get("llm_deduplicated_total", {}).values())),
    }


# -- text format helpers -------------------------------------------------------------------------

def _number(value: float) -> str:
    if value == math.inf:
        return "+Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(key: LabelKey) -> str:
    if not key:
        return ""
    return "{" + ",".join(f'{label}="{_escape_value(value)}"' for label, value in key) + "}"
