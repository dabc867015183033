"""Bad input against a real OctoPrint: every request is answered with a 4xx and a sentence, or
becomes a job that fails at the stage that can tell, with a sentence; never a 5xx, never a hang,
never a command to the printer (the terminal is watched over OctoPrint's own socket)."""

from __future__ import annotations

import json
import socket

import pytest

from ..octoprint_server import ADMIN
from .helpers import FINAL, JOBS, add_user, printer_flags, settle, submit, uploads

pytestmark = pytest.mark.octoprint

USER = "reliability-input"  # its own rate-limit budget, so the rest of the session keeps admin's
SECOND = "reliability-input-2"  # ...and a second one, so neither nears 30 jobs a minute
TIMEOUT = 20.0  # "never a hang": every answer comes within this, or urllib raises


@pytest.fixture(scope="module")
def server(octoprint):
    if not printer_flags(octoprint).get("operational"):
        octoprint.connect_virtual_printer()
    add_user(octoprint, USER)
    add_user(octoprint, SECOND)
    yield octoprint
    settle(octoprint, USER)
    settle(octoprint, SECOND)


@pytest.fixture(autouse=True)
def printer_untouched(server, terminal):
    """After each test: no command reached the printer, no print started."""
    job_before = server.get("/api/job").json().get("job", {}).get("file", {}).get("path")
    yield
    assert terminal.commands() == set()
    assert not printer_flags(server).get("printing")
    assert server.get("/api/job").json().get("job", {}).get("file", {}).get("path") == job_before


def post_raw(server, body: bytes, content_type: str = "application/json", user: str = USER):
    return server.request("POST", JOBS, body=body, user=user, headers={"Content-Type": content_type}, timeout=TIMEOUT)


def assert_clear_4xx(response, status: int, words: str):
    assert response.status == status, (response.status, response.body[:300])
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error, str) and words in error, error


def part_nested(depth: int) -> bytes:
    # Built as text: Python's own encoder refuses this depth, which is the point.
    node = '{"union":[' * depth + '{"cube":{"size":1}}' + "]}" * depth
    return ('{"part":' + node + "}").encode()


# -- refused at the door -----------------------------------------------------------------------

HUNDRED_KB_PROMPT = ("a 20 mm cube, " * 8000)[:100_000]

REFUSED = [
    ("empty body", b"", "must be JSON"),
    ("whitespace body", b" \n\t ", "must be JSON"),
    ("not JSON", b"a 20mm cube", "must be JSON"),
    ("non-UTF-8 bytes", b'{"prompt": "a 20 mm cube \xff\xfe\xc0"}', "must be JSON"),
    ("JSON null", b"null", "must be JSON"),
    ("JSON array", b'["a 20mm cube"]', "must be a JSON object"),
    ("JSON string", b'"a 20mm cube"', "must be a JSON object"),
    ("empty prompt", {"prompt": ""}, "exactly one of"),
    ("whitespace prompt", {"prompt": " \t\n\u3000\u00a0"}, "exactly one of"),
    ("100 kB prompt", {"prompt": HUNDRED_KB_PROMPT}, "100000 characters; the limit is 2000"),
    ("prompt is a number", {"prompt": 20}, "'prompt' must be a string"),
    ("prompt is an object", {"prompt": {"text": "a cube"}}, "'prompt' must be a string"),
    ("spec is a string", {"spec": "a 20 mm cube"}, "'spec' must be a JSON object"),
    ("part is a list", {"part": [{"cube": {"size": 1}}]}, "'part' must be a JSON object"),
    ("csg, the retired field", {"csg": {"cube": {"size": 1}}}, "unknown fields: csg"),
    ("material is a number", {"prompt": "a 20 mm cube", "material": 5}, "'material' must be a string"),
    ("quality is a list", {"prompt": "a 20 mm cube", "quality": ["fine"]}, "'quality' must be a string"),
    ("infill is text", {"prompt": "a 20 mm cube", "infill_percent": "20"}, "'infill_percent' must be a whole number"),
    ("infill is fractional", {"prompt": "a 20 mm cube", "infill_percent": 20.5}, "'infill_percent' must be a whole number"),
    ("infill is a boolean", {"prompt": "a 20 mm cube", "infill_percent": True}, "'infill_percent' must be a whole number"),
    ("infill 101", {"prompt": "a 20 mm cube", "infill_percent": 101}, "from 0 to 100"),
    ("infill negative", {"prompt": "a 20 mm cube", "infill_percent": -1}, "from 0 to 100"),
    ("unknown material", {"prompt": "a 10 mm cube", "material": "UNOBTAINIUM"}, "unknown material 'UNOBTAINIUM'"),
    ("unknown quality", {"prompt": "a 10 mm cube", "quality": "ultra"}, "unknown quality 'ultra'"),
    ("print is text", {"prompt": "a 20 mm cube", "print": "yes"}, "'print' must be true or false"),
    ("unknown field", {"prompt": "a 20 mm cube", "start_gcode": "G28 Z-100"}, "unknown fields: start_gcode"),
    ("prompt and spec", {"prompt": "a 20 mm cube", "spec": {"part": {"cube": {"size": 20}}}}, "exactly one of"),
    ("spec and part", {"spec": {"part": {"cube": {"size": 20}}}, "part": {"cube": {"size": 20}}}, "exactly one of"),
    ("NaN in a spec", b'{"spec": {"part": {"cube": {"size": NaN}}}}', "NaN is not a number JSON allows"),
    ("-Infinity in a spec", b'{"spec": {"part": {"cube": {"size": -Infinity}}}}', "-Infinity is not a number"),
    ("1e400 in a spec", b'{"spec": {"part": {"cube": {"size": 1e400}}}}', "1e400 is not a number"),
    ("NaN in a part", b'{"part": {"box": {"length": NaN, "width": 1, "height": 1}}}', "NaN is not a number"),
    ("part nested 1,000 deep", part_nested(1000), "nested too deeply"),
    ("part nested 3,000 deep", part_nested(3000), "nested too deeply"),  # 66 kB: under the body limit
    # A spec or part document is checked at the door: a bad one never becomes a job.
    ("spec size 0", {"spec": {"part": {"cube": {"size": 0}}}}, "part.cube.size is 0 mm; it must be from 0.1 to 1000 mm"),
    ("spec size negative", {"spec": {"part": {"cube": {"size": -5}}}}, "part.cube.size is -5 mm; it must be from 0.1 to 1000 mm"),
    ("spec size 1e9", {"spec": {"part": {"cube": {"size": 1e9}}}}, "part.cube.size is 1e+09 mm; it must be from 0.1 to 1000 mm"),
    ("spec size '5 km'", {"spec": {"part": {"cube": {"size": "5 km"}}}}, "part.cube.size must be a number, not '5 km'"),
    ("spec size true", {"spec": {"part": {"cube": {"size": True}}}}, "part.cube.size must be a number, not True"),
    ("spec quantity 10,000", {"spec": {"part": {"cube": {"size": 10}}, "quantity": 10000}}, "quantity must be a whole number from 1 to 100"),
    ("spec unknown kind", {"spec": {"part": {"<script>alert(1)</script>": {}}}}, "part names no solid types; give exactly one of box,"),
    ("spec unknown field", {"spec": {"part": {"cube": {"size": 10}}, "gcode": "G28"}}, "unknown spec fields: gcode"),
    ("spec in the retired form", {"spec": {"kind": "cube", "params": {"size": 10}}}, "unknown spec fields: params"),
    ("part with 3,000 nodes", {"part": {"union": [{"cube": {"size": 1}}] * 3000}}, "the document has more than 500 nodes"),
    ("part nested 40 deep", json.loads(part_nested(40)), "nests deeper than 32 levels"),
    ("part box 1e9 mm", {"part": {"box": {"length": 1e9, "width": 1, "height": 1}}}, "part.box.length is 1e+09 mm; it must be from 0.1 to 1000 mm"),
    ("part unknown parameter", {"part": {"cube": {"size": 10, "gcode": "G28"}}}, "part.cube has no parameter 'gcode'"),
    ("spec unknown material", {"spec": {"part": {"cube": {"size": 10}}, "material": "UNOBTAINIUM"}}, "unknown material 'UNOBTAINIUM'"),
]


@pytest.mark.parametrize("body, words", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_with_422_and_a_sentence(server, body, words):
    before = uploads(server)
    r = post_raw(server, body if isinstance(body, bytes) else json.dumps(body).encode())
    assert_clear_4xx(r, 422, words)
    assert uploads(server) == before


def test_wrong_content_type_is_refused(server):
    r = post_raw(server, b'{"prompt": "a 20 mm cube"}', content_type="text/plain")
    assert_clear_4xx(r, 422, "Content-Type: application/json")


def test_part_with_100000_nodes_is_refused_by_octoprints_body_limit(server):
    """2 MB of part document: OctoPrint refuses bodies over its ``server.maxSize`` (100 kB) before any
    plugin sees them. Its answer is a bare 400 (no JSON: it is Tornado's), then it closes."""
    nodes = ",".join(['{"cube":{"size":1}}'] * 100_000)
    body = ('{"part":{"union":[' + nodes + "]}}").encode()
    head = (
        f"POST {JOBS} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: {server.api_keys[USER]}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    before = uploads(server)
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(head)
        try:
            sock.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused on the Content-Length: it stopped reading
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert uploads(server) == before


# -- accepted, then failed at the stage that can tell -----------------------------------------

FAILS = [
    # (id, body, stage, words in the error message)
    ("prompt 0 mm", {"prompt": "a 0 mm cube"}, "understanding", "part.cube.size is 0 mm; it must be from 0.1 to 1000 mm"),
    ("prompt 5 km", {"prompt": "a 5 km cube"}, "understanding", "part.cube.size is 5e+06 mm; it must be from 0.1 to 1000 mm"),
    ("prompt 1,000,000,000 mm", {"prompt": "a 1000000000 mm cube"}, "understanding", "part.cube.size is 1e+09 mm; it must be from 0.1 to 1000 mm"),
    ("prompt NaN mm", {"prompt": "a NaN mm cube"}, "understanding", "edge length"),
    ("prompt larger than the bed", {"prompt": "a 500 mm cube"}, "checking", "does not fit"),
    ("prompt 10,000 copies", {"prompt": "10000 copies of a 10 mm cube"}, "understanding", "quantity must be a whole number from 1 to 100"),
    ("prompt in Chinese", {"prompt": "一个二十毫米的立方体"}, "understanding", "did not understand"),
    ("prompt in Arabic", {"prompt": "مكعب عشرون مم"}, "understanding", "did not understand"),
    ("prompt of emoji", {"prompt": "🧊🧊🧊 📏"}, "understanding", "has no words"),
    ("spec larger than the bed", {"spec": {"part": {"cube": {"size": 500}}}}, "checking", "does not fit"),
]


@pytest.mark.parametrize("body, stage, words", [c[1:] for c in FAILS], ids=[c[0] for c in FAILS])
def test_job_fails_at_the_right_stage_with_a_sentence(server, body, stage, words):
    job = submit(server, USER, **body)
    final = server.wait_for_job(job["id"], FINAL, timeout=60)
    assert final["state"] == "failed", final
    assert words in final["error"]["message"], final["error"]
    assert final["error"]["stage"] == stage, final["error"]
    assert "gcode" not in final["files"]
    if "prompt" in body:
        assert final["request"]["prompt"] == body["prompt"]  # stored as sent, whatever the script


def test_control_characters_do_not_derail_understanding(server):
    prompt = "a 20 mm cube\u0000\u0007\u001b\u202e\r\n\t"
    final = server.wait_for_job(submit(server, SECOND, prompt=prompt)["id"], FINAL, timeout=120)
    assert final["state"] == "ready", final
    assert final["outputs"]["spec"]["part"] == {"cube": {"size": 20.0}}
    assert final["request"]["prompt"] == prompt


def test_a_path_in_the_prompt_never_names_a_file(server):
    final = server.wait_for_job(submit(server, SECOND, prompt="../../../../etc/passwd a 10 mm cube")["id"], FINAL, timeout=120)
    assert final["state"] == "ready", final
    job_id = final["id"]
    assert final["files"] == {"stl": f"aiagent/part-{job_id}.stl", "gcode": f"aiagent/part-{job_id}.gcode"}
    assert {f"aiagent/part-{job_id}.stl", f"aiagent/part-{job_id}.gcode"} <= uploads(server)



@pytest.mark.parametrize("prompt", ["a 1e9 mm cube", "a cube with sides of -20 mm"])
def test_prompt_numbers_the_parser_cannot_read_are_refused(server, prompt):
    final = server.wait_for_job(submit(server, SECOND, prompt=prompt)["id"], FINAL, timeout=120)
    assert final["state"] == "failed", final["outputs"].get("spec")


# -- ids, paths, query strings ------------------------------------------------------------------

ROUTES = [("GET", ""), ("DELETE", ""), ("POST", "/cancel"), ("POST", "/print"), ("POST", "/refine"), ("GET", "/model.stl"), ("GET", "/gcode")]
BAD_IDS = ["ffffffffffff", "..%2F..%2Fconfig.yaml", "%2E%2E", "..%5C..%5Cusers.yaml", "x" * 300, "%00", "%E2%80%AE%F0%9F%A7%8A", "aiagent%2Fpart-1.gcode"]


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_unknown_and_hostile_job_ids_are_404(server, bad_id):
    before = uploads(server)
    for method, suffix in ROUTES:
        body = {"prompt": "make it taller"} if suffix in ("/refine",) else ({} if method == "POST" else None)
        r = server.request(method, f"{JOBS}/{bad_id}{suffix}", body=body, user=ADMIN, timeout=TIMEOUT)
        assert r.status == 404, (method, suffix, r.status, r.body[:300])
        assert "no job" in r.json()["error"] or "no such endpoint" in r.json()["error"]
    assert uploads(server) == before
    assert (server.basedir / "config.yaml").is_file() and (server.basedir / "users.yaml").is_file()


@pytest.mark.parametrize(
    "query, words",
    [
        ("limit=0", "'limit' must be from 1 to 200"),
        ("limit=abc", "'limit' must be a whole number"),
        ("limit=1e3", "'limit' must be a whole number"),
        ("offset=-1", "'offset' must be from 0"),
        ("offset=99999999999999999999", "'offset' must be from 0"),
    ],
)
def test_bad_paging_is_422(server, query, words):
    assert_clear_4xx(server.get(f"{JOBS}?{query}", user=USER, timeout=TIMEOUT), 422, words)


def test_bad_metrics_query_is_422(server):
    r = server.get("/plugin/aiagent/performance/metrics?since=yesterday", user=USER, timeout=TIMEOUT)
    assert_clear_4xx(r, 422, "'since' must be a UNIX time")


@pytest.fixture(scope="module")
def ready_job(server):
    job = submit(server, SECOND, prompt="a cylinder 20 mm wide and 10 mm tall")
    final = server.wait_for_job(job["id"], FINAL, timeout=120)
    assert final["state"] == "ready", final
    return final


@pytest.mark.parametrize(
    "body",
    [{}, {"prompt": ""}, {"prompt": "   "}, {"prompt": 10}, {"prompt": ["taller"]}, {"prompt": "make it taller", "gcode": "G28"}],
    ids=["empty", "empty prompt", "whitespace prompt", "number", "list", "unknown field"],
)
def test_bad_refine_bodies_are_400(server, ready_job, body):
    r = server.post(f"{JOBS}/{ready_job['id']}/refine", body, user=SECOND, timeout=TIMEOUT)
    assert_clear_4xx(r, 400, "send {")


@pytest.mark.parametrize("instruction", ["make it 5 km taller", "make it 1000000 mm wider", "make it -50 mm shorter"])
def test_refine_to_impossible_sizes_is_a_clear_4xx_or_failed_job(server, ready_job, instruction):
    r = server.post(f"{JOBS}/{ready_job['id']}/refine", {"prompt": instruction}, user=SECOND, timeout=TIMEOUT)
    assert r.status < 500, r.body[:300]
    if r.status == 202:
        final = server.wait_for_job(r.json()["id"], FINAL, timeout=60)
        assert final["state"] == "failed" and final["error"]["message"], final
    else:
        assert 400 <= r.status < 500 and r.json()["error"]


def test_nothing_was_sent_to_the_printer_during_the_module(server, terminal):
    """The last word: the whole module's terminal traffic, after the socket caught up."""
    terminal.prove_it_sees(server)  # and so anything sent before this is in by now
    assert terminal.commands() == set()
    jobs = [j for j in server.get(f"{JOBS}?limit=200").json()["jobs"] if j["user"] in (USER, SECOND)]
    assert jobs and not any(j["state"] in ("printing", "done") or j["print_requested"] for j in jobs)
