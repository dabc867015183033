"""The plugin inside a real OctoPrint: loaded, protected, answering JSON."""

from __future__ import annotations

import pytest

from .octoprint_server import VIEWER

pytestmark = pytest.mark.octoprint


def test_plugin_is_loaded_and_listed(octoprint):
    r = octoprint.get("/api/plugin/pluginmanager/plugins")
    if r.status == 200:
        plugins = {p["key"]: p for p in r.json()["plugins"]}
        assert plugins["aiagent"]["enabled"] is True
    log = octoprint.octoprint_log()
    assert "AI Agent" in log and "aiagent" in log


def test_status_with_api_key(octoprint):
    r = octoprint.get("/plugin/aiagent/status")
    assert r.status == 200, r.body
    assert r.headers["Content-Type"].startswith("application/json")
    status = r.json()
    assert status["version"]
    assert status["understanding"]["backend"] == "offline"
    assert status["slicers"]["found"]["builtin"]
    assert status["printer"]["operational"] is True
    assert status["printer_profile"]["bed_x"] > 0


def test_status_answers_its_etag_with_304_until_the_printer_changes(octoprint):
    first = octoprint.get("/plugin/aiagent/status")
    etag = first.headers["ETag"]
    again = octoprint.get("/plugin/aiagent/status", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b"" and again.headers["ETag"] == etag
    octoprint.disconnect_printer()
    try:
        # The disconnection event makes the plugin read the printer again on the next request.
        def changed():
            r = octoprint.get("/plugin/aiagent/status", headers={"If-None-Match": etag})
            return r if r.status == 200 else None

        r = octoprint.wait_for(changed, 5, "a new /status answer")
        assert r.headers["ETag"] != etag and r.json()["printer"]["connected"] is False
    finally:
        octoprint.connect_virtual_printer()
    octoprint.wait_for(lambda: octoprint.get("/plugin/aiagent/status").json()["printer"]["operational"], 5, "/status to see the printer back")


def test_status_refused_without_key(octoprint):
    r = octoprint.get("/plugin/aiagent/status", user=None)
    assert r.status == 403
    assert float(r.headers["X-Process-Time"]) >= 0  # the timing headers are on refusals too


def test_timing_headers_on_every_response(octoprint):
    for path, status in (("/plugin/aiagent/status", 200), ("/plugin/aiagent/nope", 404)):
        r = octoprint.get(path)
        assert r.status == status
        assert 0 <= float(r.headers["X-Process-Time"]) < 5
        assert 20 < float(r.headers["X-Memory-Usage"]) < 4000  # MB of OctoPrint's resident memory
        assert float(r.headers["X-CPU-Usage"]) >= 0


def test_status_refused_for_read_only_user(octoprint):
    r = octoprint.get("/plugin/aiagent/status", user=VIEWER)
    assert r.status == 403
    assert "permission" in r.json()["error"]


def test_unknown_route_is_json_404(octoprint):
    r = octoprint.get("/plugin/aiagent/no/such/thing")
    assert r.status == 404
    assert "no such endpoint" in r.json()["error"]


def test_wrong_method_and_bad_query_are_json(octoprint):
    r = octoprint.request("DELETE", "/plugin/aiagent/status")
    assert r.status in (404, 405)
    assert "error" in r.json()
    r = octoprint.get("/plugin/aiagent/jobs?limit=many")
    assert r.status == 422
    assert "limit" in r.json()["error"]


def test_tab_and_settings_templates_are_rendered(octoprint):
    # The index page needs a browser session; the plugin's template registration shows in the
    # settings API (our restricted settings) and in the plugin's static assets being served.
    r = octoprint.get("/plugin/aiagent/static/js/aiagent.js", user=None)
    assert r.status == 200
    r = octoprint.get("/api/settings")
    assert r.status == 200
    settings = r.json()["plugins"]["aiagent"]
    assert settings["llm"]["backend"] == "offline"
