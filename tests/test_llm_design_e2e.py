"""The LLM designs, end to end in a real OctoPrint with the Virtual Printer: a scripted
OpenAI-compatible server on loopback answers with part documents. A request the offline parser
cannot read, answered with a right document, becomes a checked, sliced part once its assumptions
are confirmed; answered wrongly three times, the job fails listing what was wrong each time."""

from __future__ import annotations

import json

import pytest

from .conftest import running_octoprint
from .fake_llm_server import FakeLLMServer, openai_reply
from .octoprint_page import log_in, open_aiagent_tab
from .test_design_loop import HOOK, hook

pytestmark = pytest.mark.octoprint

JOBS = "/plugin/aiagent/jobs"
CHAT = "/v1/chat/completions"
FINAL = ("ready", "done", "failed", "cancelled")


@pytest.fixture(scope="module")
def llm():
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture(scope="module")
def octoprint(tmp_path_factory, llm):
    # The bundled File Check plugin's wizard would cover the tab once files exist; not ours to test.
    quiet = {"plugins": {"_disabled": ["announcements", "tracking", "errortracking", "file_check"]}}
    for server in running_octoprint(tmp_path_factory, config=quiet):
        server.set_plugin_settings(llm={"backend": "openai", "base_url": llm.url, "model": "fake", "timeout": 60, "rounds": 3},
                                   confirm_assumptions=True)
        yield server


def answers(llm, *documents):
    """The model answers these, one per call; the last one repeats."""
    start = len(llm.posts(CHAT))

    def handler(request):
        n = len(llm.posts(CHAT)) - start
        return openai_reply(json.dumps(documents[min(n, len(documents)) - 1]))

    llm.handler = handler
    return start


def submit(octoprint, prompt: str) -> str:
    r = octoprint.post(JOBS, {"prompt": prompt, "quality": "draft"})
    assert r.status == 202, r.body
    return r.json()["id"]


def test_a_request_outside_the_offline_parser_becomes_a_checked_sliced_part(octoprint, llm):
    answers(llm, hook(25))
    job_id = submit(octoprint, HOOK)
    waiting = octoprint.wait_for_job(job_id, ("awaiting_assumptions",) + FINAL, timeout=180)
    assert waiting["state"] == "awaiting_assumptions", waiting
    spec = waiting["outputs"]["spec"]
    assert spec["backend"] == "openai" and spec["notes"][-1] == "LLM round 1: the part matches the request (30.0 x 35.0 x 60.0 mm)"
    assumed = {a["field"]: a for a in spec["assumptions"]}
    assert assumed["union[0].box.height"]["reason"] == "not stated in the request; chosen by the LLM (plate height)"
    assert ("rail 25 mm", 25.0) in {(r["said"], r["value"]) for r in spec["roles"]}
    assert "stl" in waiting["files"] and "gcode" not in waiting["files"]  # the preview; nothing sliced

    r = octoprint.post(f"{JOBS}/{job_id}/confirm", {"values": {"union[0].box.height": 70}})
    assert r.status == 202 and r.json()["state"] == "queued", r.body
    ready = octoprint.wait_for_job(job_id, FINAL, timeout=300)
    assert ready["state"] == "ready", ready
    spec = ready["outputs"]["spec"]
    assert spec["part"]["union"][0]["box"]["height"] == 70.0
    assert spec["notes"][-1] == "assumptions confirmed; set by the user: union[0].box.height 70"
    assert ready["outputs"]["report"]["ok"] is True and ready["outputs"]["gcode"]["ok"] is True
    assert octoprint.get(f"{JOBS}/{job_id}/gcode").status == 200


def test_a_request_answered_wrongly_three_times_fails_with_the_findings_listed(octoprint, llm):
    start = answers(llm, hook(18))
    # Worded anew: a part the LLM designed is cached for its request.
    failed = octoprint.wait_for_job(submit(octoprint, "a holder for my towel rail, which is 25 mm across"), FINAL, timeout=180)
    assert failed["state"] == "failed" and failed["error"]["stage"] == "understanding", failed
    assert len(llm.posts(CHAT)) - start == 3
    message = failed["error"]["message"]
    for n in (1, 2, 3):
        assert f"LLM round {n}: the request says 25 mm ('25 mm across'), but no size of the part is 25 mm" in message
    assert "the part measures 30.0 x 28.0 x 60.0 mm" in message and "offline parser did not understand" in message
    assert failed["files"] == {}


def test_confirm_says_what_it_cannot_take(octoprint, llm):
    answers(llm, hook(25))
    job_id = submit(octoprint, HOOK)
    assert octoprint.wait_for_job(job_id, ("awaiting_assumptions",) + FINAL, timeout=180)["state"] == "awaiting_assumptions"
    r = octoprint.post(f"{JOBS}/{job_id}/confirm", {"values": {"union[9].box.height": 70}})
    assert r.status == 422 and "is not an assumption of this job" in r.json()["error"]
    r = octoprint.post(f"{JOBS}/{job_id}/confirm", {"values": ["height", 70]})
    assert r.status == 400
    r = octoprint.post(f"{JOBS}/{job_id}/cancel")
    assert r.status == 202 and r.json()["state"] == "cancelled"
    r = octoprint.post(f"{JOBS}/{job_id}/confirm", {})
    assert r.status == 409 and "only a job waiting for its assumptions" in r.json()["error"]


def test_refine_through_the_llm_edits_the_part(octoprint, llm):
    octoprint.set_plugin_settings(confirm_assumptions=False)
    try:
        answers(llm, {"part": {"cube": {"size": 30}}})
        first = octoprint.wait_for_job(submit(octoprint, "a 30 mm cube"), FINAL, timeout=180)
        assert first["state"] == "ready", first
        answers(llm, {"part": {"cube": {"size": 30}, "features": [{"hole": {"diameter": 8}}]}})
        r = octoprint.post(f"{JOBS}/{first['id']}/refine", {"prompt": "add an 8 mm hole through the middle"})
        assert r.status == 202, r.body
        refined = octoprint.wait_for_job(r.json()["id"], FINAL, timeout=180)
        assert refined["state"] == "ready" and refined["parent"] == first["id"], refined
        spec = refined["outputs"]["spec"]
        assert spec["backend"] == "openai" and spec["part"]["features"][0]["hole"]["diameter"] == 8.0
        assert "changed by the LLM ('add an 8 mm hole through the middle')" in spec["notes"]
        assert '"cube":{"size":30.0}' in llm.posts(CHAT)[-1].json["messages"][-1]["content"]
    finally:
        octoprint.set_plugin_settings(confirm_assumptions=True)


@pytest.mark.browser
def test_the_tab_shows_the_assumptions_and_confirms_them(octoprint, llm):
    """In Chromium: the assumptions are listed, highlighted and editable; confirming slices the part."""
    from playwright.sync_api import sync_playwright

    answers(llm, hook(25))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.set_default_timeout(120_000)
            log_in(page, octoprint, "admin")
            open_aiagent_tab(page)
            page.fill("[data-test-id=aiagent-prompt]", HOOK)
            with page.expect_response(lambda r: r.url.endswith("/plugin/aiagent/jobs") and r.request.method == "POST") as response:
                page.press("[data-test-id=aiagent-prompt]", "Enter")
            job_id = response.value.json()["id"]
            row = page.locator('[data-test-id="aiagent-assumption-union[0].box.height"]')
            row.wait_for(state="visible")
            assert "plate height" in row.inner_text() and "assumed" in row.inner_text()
            row.locator("input").fill("65")
            with page.expect_response(lambda r: r.url.endswith(f"/jobs/{job_id}/confirm")) as confirmed:
                page.click("[data-test-id=aiagent-confirm]")
            assert confirmed.value.status == 202
            ready = octoprint.wait_for_job(job_id, FINAL, timeout=300)
            assert ready["state"] == "ready" and ready["outputs"]["spec"]["part"]["union"][0]["box"]["height"] == 65.0
            page.locator("[data-test-id=aiagent-assumptions]").wait_for(state="hidden")
        finally:
            browser.close()
