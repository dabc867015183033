"""Property-based fuzzing of the whole API, from ``openapi.yaml``: no request gets a 5xx.

Requests are drawn from the description: operations, path ids (real, unknown and hostile),
query values in and out of their ranges, bodies that follow the schema, bodies that break it
(wrong types, extra fields, non-finite numbers) and bytes that are not JSON. Every answer must
be below 500, and every error a JSON object with a sentence. The first test keeps the
description honest: every route of the blueprint is in it, so a new route is fuzzed (and
permission-checked by test_security) without anyone remembering to add it.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..octoprint_server import ADMIN
from .helpers import FINAL, add_user, load_spec, operations, settle, submit

FUZZER = "reliability-fuzzer"  # may design, may not print: the fuzz never moves the printer
UNREACHABLE_LLM = "http://127.0.0.1:9/v1"  # the discard port: refused at once


def blueprint_routes() -> set:
    """(METHOD, path) of every route the plugin's blueprint serves, from Flask itself."""
    import logging

    import flask

    from octoprint_aiagent.api import create_blueprint

    class Plugin:
        _identifier = "aiagent"
        _logger = logging.getLogger("test")

    app = flask.Flask("routes")
    app.register_blueprint(create_blueprint(Plugin()), url_prefix="/plugin/aiagent")
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/plugin/aiagent") or "anything" in rule.arguments or rule.rule == "/plugin/aiagent/":
            continue  # the catch-all that answers 404 in JSON
        path = rule.rule[len("/plugin/aiagent"):].replace("<", "{").replace(">", "}")
        routes |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_openapi_describes_every_route_and_only_those():
    described = {(method, path) for method, path, _ in operations(load_spec())}
    assert described == blueprint_routes()


def test_every_operation_names_its_permission():
    for method, path, op in operations(load_spec()):
        assert op.get("x-permission") in ("PLUGIN_AIAGENT_DESIGN", "PLUGIN_AIAGENT_PRINT", "SETTINGS"), (method, path)
        assert "403" in op["responses"], (method, path)


# -- strategies from the description ------------------------------------------------------------

JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40))
ANY_JSON = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
RAW_BODIES = st.sampled_from([
    b"", b"   ", b"null", b"[]", b"{", b'{"prompt": NaN}', b'{"spec": {"part": {"cube": {"size": Infinity}}}}',
    b'{"prompt": "a \xff\xfe cube"}', b"\x00\x01\x02", b'{"prompt": "a 20 mm cube"}' * 2,
])  # fmt: skip
HOSTILE_IDS = st.sampled_from(["..", "../..", "../../config.yaml", "..%2F..%2Fusers.yaml", "%00", "ffffffffffff", "x" * 200, " ", "%", "?", "#"])


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        node = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def from_schema(spec: dict, schema: dict, depth: int = 0):
    """Values that follow ``schema`` most of the time, and anything JSON some of the time."""
    schema = resolve(spec, schema)
    kind = schema.get("type")
    typed = None
    if "enum" in schema:
        typed = st.sampled_from(schema["enum"])
    elif kind == "string":
        examples = [schema["example"]] if "example" in schema else []
        typed = st.one_of(st.sampled_from(examples), st.text(max_size=80)) if examples else st.text(max_size=80)
    elif kind == "integer":
        low, high = schema.get("minimum", -(10**6)), schema.get("maximum", 10**6)
        typed = st.one_of(st.integers(low, high), st.sampled_from([low - 1, high + 1, -(2**63), 2**64]))
    elif kind == "number":
        typed = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0, -1, 1e9, 1e308, 5e-324]))
    elif kind == "boolean":
        typed = st.booleans()
    elif kind == "array":
        typed = st.lists(from_schema(spec, schema.get("items", {}), depth + 1) if depth < 3 else JSON_LEAVES, max_size=4)
    elif kind == "object" and depth < 4:
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        fixed = st.fixed_dictionaries({}, optional={name: from_schema(spec, sub, depth + 1) for name, sub in props.items()})
        if isinstance(extra, dict):  # a map, e.g. the confirm route's values
            fixed = st.dictionaries(st.sampled_from(["size", "diameter", "height", "length", "width", "teeth", "x"]), from_schema(spec, extra, depth + 1), max_size=4)
        elif "example" in schema:
            fixed = st.one_of(st.just(schema["example"]), fixed)
        unknown = st.dictionaries(st.text(min_size=1, max_size=12), JSON_LEAVES, max_size=2)
        typed = st.one_of(fixed, st.builds(lambda a, b: {**b, **a}, fixed, unknown))
    if typed is None:
        return ANY_JSON
    return st.one_of(typed, typed, typed, ANY_JSON)


@st.composite
def api_requests(draw, spec: dict, job_ids: list):
    method, path, op = draw(st.sampled_from(operations(spec)))
    for ref in op["parameters"]:
        param = resolve(spec, ref)
        if param["in"] == "path":
            value = draw(st.one_of(st.sampled_from(job_ids), HOSTILE_IDS, st.text(min_size=1, max_size=30)))
            quoted = value if draw(st.booleans()) and value in ("..", "../..") else urllib.parse.quote(value, safe="")
            path = path.replace("{" + param["name"] + "}", quoted)
    query = {}
    for ref in op["parameters"]:
        param = resolve(spec, ref)
        if param["in"] == "query" and draw(st.booleans()):
            value = draw(st.one_of(from_schema(spec, param["schema"]), st.text(max_size=20)))
            query[param["name"]] = value if isinstance(value, str) else json.dumps(value)
    body, content_type = None, None
    if "requestBody" in op or method == "POST":
        schema = (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema", {"type": "object"})
        choice = draw(st.integers(0, 9))
        if choice < 7:
            body = json.dumps(draw(from_schema(spec, schema))).encode()
        elif choice < 9:
            body = draw(RAW_BODIES)
        else:
            body = draw(st.binary(max_size=200))
        content_type = draw(st.sampled_from(["application/json"] * 5 + ["text/plain", "application/x-www-form-urlencoded"]))
        if path == "/llm/test":
            body = _no_real_llm(body)
    user = ADMIN if op["x-permission"] == "SETTINGS" else FUZZER
    url = "/plugin/aiagent" + path + ("?" + urllib.parse.urlencode(query) if query else "")
    return method, url, body, content_type, user


def _no_real_llm(body: bytes) -> bytes:
    """Whatever URL the draw made up, the LLM test may only knock on a closed door."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if isinstance(data, dict) and isinstance(data.get("base_url"), str) and data["base_url"].startswith(("http://", "https://")):
        data["base_url"] = UNREACHABLE_LLM
    return json.dumps(data).encode()


# -- the fuzz ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_target(octoprint):
    add_user(octoprint, FUZZER, permissions=["PLUGIN_AIAGENT_DESIGN"])
    job = submit(octoprint, FUZZER, prompt="a 10 mm cube")
    octoprint.wait_for_job(job["id"], FINAL, timeout=120)
    yield octoprint, [job["id"]]
    settle(octoprint, FUZZER)


SEEN = {"requests": 0, "statuses": {}}


@pytest.mark.octoprint
def test_no_request_gets_a_5xx(fuzz_target):
    server, job_ids = fuzz_target
    spec = load_spec()

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], database=None)
    @given(api_requests(spec, tuple(job_ids)))  # fixed: a pool that grows would make the draws irreproducible
    def check(request):
        method, url, body, content_type, user = request
        headers = {"Content-Type": content_type} if content_type else {}
        r = server.request(method, url, body=body, user=user, headers=headers, timeout=30)
        SEEN["requests"] += 1
        SEEN["statuses"][r.status] = SEEN["statuses"].get(r.status, 0) + 1
        assert r.status < 500, (method, url, body[:200] if body else body, r.status, r.body[:500])
        if r.status >= 400 and url.startswith("/plugin/aiagent"):
            error = r.json()["error"]
            assert isinstance(error, str) and error, r.body[:300]
        if r.status == 429:
            assert int(r.headers["Retry-After"]) > 0  # the queue and the per-user limit say when

    check()
    print(f"fuzz: {SEEN['requests']} requests, statuses {dict(sorted(SEEN['statuses'].items()))}")
    # The draw reached the interesting places: accepted jobs, refusals, missing ids.
    assert SEEN["statuses"].get(202, 0) >= 1 and SEEN["statuses"].get(422, 0) >= 10 and SEEN["statuses"].get(404, 0) >= 10
