"""Who may do what, on a real OctoPrint: every route behind its permission (the routes are read
from openapi.yaml, so a new route is checked without anyone remembering to), the LLM API key
never leaves the server, browser sessions need the CSRF token, plugin messages reach only users
who may design, and job creation is rate-limited per user."""

from __future__ import annotations

import json
import secrets
import time

import pytest

from ..fake_llm_server import Reply, openai_reply
from ..octoprint_server import ADMIN, VIEWER, Browser
from .helpers import FINAL, JOBS, SocketWatch, add_user, configure, jobs_db, load_spec, operations, private_server, submit

pytestmark = pytest.mark.octoprint

KEY = "sk-RELIABILITY-" + secrets.token_hex(12)
DESIGNER = "designer"  # may design, may not print
MAKER = "maker"  # OctoPrint's "users" group: may design and print, may not change settings
RATED = "rated"  # a "users" member who sends nothing but the rate-limit test's jobs
PERMISSIONS = {
    ADMIN: {"PLUGIN_AIAGENT_DESIGN", "PLUGIN_AIAGENT_PRINT", "SETTINGS"},
    MAKER: {"PLUGIN_AIAGENT_DESIGN", "PLUGIN_AIAGENT_PRINT"},
    DESIGNER: {"PLUGIN_AIAGENT_DESIGN"},
    VIEWER: set(),
    None: set(),  # anonymous
}
UNKNOWN_JOB = "ffffffffffff"
CLOSED_PORT_LLM = "http://127.0.0.1:9/v1"


@pytest.fixture(scope="module")
def server(tmp_path_factory, fake_llm):
    with private_server(tmp_path_factory.mktemp("security"), "security") as server:
        # STATUS too: OctoPrint sends socket messages only to users who may see the printer's status.
        add_user(server, DESIGNER, permissions=["PLUGIN_AIAGENT_DESIGN", "STATUS"])
        add_user(server, MAKER)
        add_user(server, RATED)
        configure(server, llm={"backend": "openai", "base_url": fake_llm.url, "model": "fake", "api_key": KEY, "timeout": 5})
        yield server


@pytest.fixture(scope="module")
def job(server):
    """A finished job that the refused requests below must leave exactly as it is."""
    done = server.wait_for_job(submit(server, prompt="a 10 mm cube")["id"], FINAL, timeout=120)
    assert done["state"] == "ready", done
    return done


def request_for(method: str, path: str, job_id: str):
    """A request a permitted user gets past the permission check with: its answer is not 403."""
    url = "/plugin/aiagent" + path.replace("{job_id}", job_id)
    if method != "POST":
        return method, url, None
    if path.endswith("/refine"):
        return method, url, {"prompt": "make it 2 mm taller"}
    if path == "/llm/test":
        return method, url, {"backend": "openai", "base_url": CLOSED_PORT_LLM, "model": "x", "timeout": 1}
    return method, url, {}


# -- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("user", [None, VIEWER], ids=["anonymous", "read-only viewer"])
def test_anonymous_and_read_only_users_get_403_everywhere(server, job, user):
    for route_method, path, _ in operations(load_spec()):
        method, url, body = request_for(route_method, path, job["id"])
        r = server.request(method, url, body=body, user=user)
        if user is None and method != "GET" and r.status == 400:
            # OctoPrint checks the CSRF token before the login: a request with neither stops there.
            assert "CSRF" in r.json()["error"], (method, url, r.body[:200])
            continue
        assert r.status == 403, (user, method, url, r.status, r.body[:200])
    # ...and nothing happened: the job is still there, as it was.
    after = server.get(f"{JOBS}/{job['id']}").json()
    assert after["state"] == job["state"] and after["files"] == job["files"]


@pytest.mark.parametrize("user", [DESIGNER, MAKER, ADMIN])
def test_each_route_needs_exactly_its_permission(server, user):
    """Against an unknown job id, so that a permitted request changes nothing (404, 422 or 200)."""
    for route_method, path, op in operations(load_spec()):
        method, url, body = request_for(route_method, path, UNKNOWN_JOB)
        if method == "POST" and path == "/jobs":
            body = {}  # past the permission check, refused as empty: 422, not a new job
        r = server.request(method, url, body=body, user=user)
        allowed = op["x-permission"] in PERMISSIONS[user]
        assert (r.status != 403) == allowed, (user, method, url, r.status, r.body[:200])
        assert r.status < 500


def test_asking_for_a_print_needs_the_print_permission(server):
    r = server.post(JOBS, {"prompt": "a 10 mm cube", "print": True}, user=DESIGNER)
    assert r.status == 403 and "Print designed parts" in r.json()["error"]


# -- the API key ------------------------------------------------------------------------------


def test_settings_never_return_the_api_key(server):
    for user in (ADMIN, MAKER, VIEWER):
        r = server.get("/api/settings", user=user)
        assert r.status == 200 and KEY not in r.body.decode()
        llm = r.json().get("plugins", {}).get("aiagent", {}).get("llm", {})
        assert not llm.get("api_key")
        if user != ADMIN:
            assert not llm.get("base_url")  # where the LLM lives is for admins only
    admin_llm = server.get("/api/settings").json()["plugins"]["aiagent"]["llm"]
    assert admin_llm["api_key_set"] is True  # admins see that a key is set, never the key


def everything_the_server_shows(server) -> str:
    shown = [server.get(f"{JOBS}?limit=200").body, server.get("/plugin/aiagent/status").body, server.get("/plugin/aiagent/performance/metrics").body]
    shown += [server.get("/plugin/aiagent/performance/metrics?format=prometheus").body, server.get("/api/settings").body]
    return b"".join(shown).decode("utf-8", "replace")


def stored(server) -> str:
    """The jobs database with its write-ahead log, and every log OctoPrint wrote."""
    paths = [p for p in jobs_db(server).parent.glob("jobs.sqlite3*")] + list((server.basedir / "logs").glob("*.log")) + [server.log_path]
    return b"".join(p.read_bytes() for p in paths if p.is_file()).decode("utf-8", "replace")


def test_the_api_key_is_used_but_never_shown_logged_or_stored(server, fake_llm):
    fake_llm.handler = lambda r: openai_reply('{"part": {"cube": {"size": 12}}}')
    used = server.wait_for_job(submit(server, prompt="a cube of 12 mm")["id"], FINAL, timeout=120)
    assert used["outputs"]["spec"]["backend"] == "openai"
    fake_llm.handler = lambda r: Reply(500, {"error": "model crashed"})
    failed = server.wait_for_job(submit(server, prompt="a cube of 13 mm")["id"], FINAL, timeout=120)
    assert failed["outputs"]["spec"]["backend"] == "offline"
    tested = server.post("/plugin/aiagent/llm/test", {"backend": "openai", "base_url": fake_llm.url, "model": "fake"})  # the stored key
    assert tested.status == 200 and KEY not in tested.body.decode()
    assert {h.headers.get("Authorization") for h in fake_llm.hits} == {f"Bearer {KEY}"}  # it was used, every time
    time.sleep(1.0)  # the job store writes in batches; logs are flushed per line
    assert KEY not in everything_the_server_shows(server)
    assert KEY not in stored(server)



def test_an_llm_error_quoting_the_key_does_not_leak_it(server, fake_llm):
    fake_llm.handler = lambda r: Reply(401, {"error": {"message": f"Incorrect API key provided: {KEY}.", "code": "invalid_api_key"}})
    job = server.wait_for_job(submit(server, prompt="a cube of 14 mm")["id"], FINAL, timeout=120)
    tested = server.post("/plugin/aiagent/llm/test", {"backend": "openai", "base_url": fake_llm.url, "model": "fake"})
    time.sleep(1.0)
    assert KEY not in json.dumps(job) and KEY not in tested.body.decode()
    assert KEY not in everything_the_server_shows(server) and KEY not in stored(server)


# -- browser sessions and CSRF -------------------------------------------------------------------


def test_browser_sessions_need_the_csrf_token(server, job):
    browser = Browser(server, MAKER)
    assert browser.call("GET", f"{JOBS}/{job['id']}")[0] == 200  # reading needs no token
    for token in (None, "forged", browser.csrf_token[:-4] + "AAAA"):
        status, body = browser.call("POST", JOBS, {"prompt": "a 10 mm cube"}, token=token)
        assert status == 400 and b"CSRF" in body, (token, status, body[:200])
        status, body = browser.call("DELETE", f"{JOBS}/{job['id']}", token=token)
        assert status == 400, (token, status)
    assert server.get(f"{JOBS}/{job['id']}").status == 200  # not deleted
    status, body = browser.call("POST", JOBS, {"prompt": "a 0 mm cube"}, csrf=True)
    assert status == 202, body[:300]


# -- socket messages -----------------------------------------------------------------------------



def test_plugin_messages_reach_only_users_who_may_design(server):
    watchers = {user: SocketWatch(server, user) for user in (ADMIN, DESIGNER, VIEWER, None)}
    try:
        job = submit(server, prompt="a cube of 15 mm")
        server.wait_for_job(job["id"], FINAL, timeout=120)
        server.wait_for(lambda: any(m.get("data", {}).get("job", {}).get("state") in FINAL for m in watchers[DESIGNER].plugin_messages), 10, "the last message")
        time.sleep(1.0)  # and give the others every chance to receive theirs
        for user, watch in watchers.items():
            mine = [m for m in watch.plugin_messages if m.get("plugin") == "aiagent"]
            if user in (ADMIN, DESIGNER):
                assert any(m["data"]["job"]["id"] == job["id"] for m in mine)
            else:
                assert watch.received > 0, f"{user} got no socket message at all: the test would prove nothing"
                assert mine == [], user
            # The job-state event carries no prompt or design, whoever gets it.
            for event in watch.events:
                if event.get("type") == "plugin_aiagent_job_state":
                    assert set(event["payload"]) <= {"id", "state", "stage"}
    finally:
        for watch in watchers.values():
            watch.close()


# -- rate limit ----------------------------------------------------------------------------------


def test_job_creation_is_rate_limited_per_user(server):
    configure(server, max_jobs_per_minute=3)
    try:
        cheap = {"prompt": "a 0 mm cube"}  # accepted, fails at once in understanding
        answers = [server.post(JOBS, cheap, user=RATED) for _ in range(5)]
        assert [r.status for r in answers] == [202, 202, 202, 429, 429]
        refused = answers[3]
        assert "at most 3 a minute" in refused.json()["error"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 61
        assert server.post(JOBS, cheap, user=DESIGNER).status == 202  # another user has a budget of their own
    finally:
        configure(server, max_jobs_per_minute=30)
