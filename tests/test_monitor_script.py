"""scripts/monitor_performance.py against a real HTTP server on loopback serving a real snapshot."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from octoprint_aiagent.perf.metrics import Metrics

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "monitor_performance.py"
METRICS_PATH = "/plugin/aiagent/performance/metrics"
KEY = "test-key-123"


def _snapshot() -> dict:
    m = Metrics()
    for seconds in (0.001, 0.002, 0.003, 0.004):
        m.record_request("/status", 200, seconds)
    m.record_request("/jobs", 422, 0.010)
    m.record_request("/jobs", 502, 0.020)
    m.count("llm_calls_total", backend="openai", outcome="ok")
    m.count("llm_calls_total", backend="openai", outcome="timeout")
    m.observe("llm_latency_seconds", 0.75, backend="openai")
    m.count("llm_connections_total", kind="new")
    m.count("llm_connections_total", 4, kind="reused")
    for result in ("hit", "hit", "hit", "miss"):
        m.count("spec_cache_total", result=result)
    m.observe("stage_seconds", 3.25, stage="slicing")
    snap = m.snapshot()
    snap["system"]["latest"] = {"cpu_percent": 12.34, "rss_mb": 105.26, "at": snap["at"]}
    return snap


class _Handler(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):
        if self.path == "/html" + METRICS_PATH:
            return self._send(200, b"<html>OctoPrint</html>", "text/html")
        if self.path != METRICS_PATH:
            return self._send(404, b"{}", "application/json")
        if self.headers.get("X-Api-Key") != KEY:
            return self._send(403, b'{"error": "forbidden"}', "application/json")
        self._send(200, self.body, "application/json")

    def _send(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server_url():
    handler = type("Handler", (_Handler,), {"body": json.dumps(_snapshot()).encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def _run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60, check=False)


def test_once_prints_the_summary(server_url):
    result = _run("--url", server_url, "--api-key", KEY, "--once")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\033[" not in out  # no screen clearing with --once
    assert "CPU 12.3 %" in out and "memory 105.3 MB" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith(("/", "total"))}
    assert rows["/status"] == ["4", "0", "0", "2.0", "4.0", "4.0"]  # count 4xx 5xx p50 p95 p99 (ms)
    assert rows["/jobs"][:3] == ["2", "1", "1"]
    assert rows["total"][:3] == ["6", "1", "1"]
    assert "calls 2  failures 1" in out and "p50 750.0 ms" in out and "new 1 / reused 4" in out
    assert "hit rate 75.0 %" in out
    slicing = [line.split() for line in out.splitlines() if line.startswith("slicing")]
    assert slicing == [["slicing", "1", "3.25", "3.25"]]


def test_wrong_key_is_a_one_line_error(server_url):
    result = _run("--url", server_url, "--api-key", "wrong", "--once")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "403" in result.stderr and "--api-key" in result.stderr


def test_unreachable_server_is_a_one_line_error():
    with socket.socket() as s:  # a port that was free a moment ago and has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = _run("--url", f"http://127.0.0.1:{port}", "--api-key", KEY, "--once")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot reach") and result.stderr.count("\n") == 1


def test_a_page_that_is_not_metrics_is_an_error(server_url):
    result = _run("--url", server_url + "/html", "--api-key", KEY, "--once")
    assert result.returncode == 1
    assert "did not answer with JSON" in result.stderr


def test_refreshing_mode_clears_the_screen_and_stops_on_ctrl_c(server_url):
    # Started with SIGINT ignored, as a background job of a non-interactive shell starts it (and
    # the whole test run, when it is started so): Ctrl-C must stop the monitor all the same.
    ignoring_sigint = ["sh", "-c", 'trap "" INT; exec "$@"', "sh"]
    proc = subprocess.Popen([*ignoring_sigint, sys.executable, str(SCRIPT), "--url", server_url, "--api-key", KEY, "--interval", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("\033[H\033[2J") and "aiagent performance" in first
        for line in proc.stdout:  # the first full summary ends with the stage table
            if line.startswith("slicing"):
                break
        proc.send_signal(signal.SIGINT)
        # read what it still writes while it stops: a full pipe would block its last flush
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 0, stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
