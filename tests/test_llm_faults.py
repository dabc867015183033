"""The LLM client against a scripted server on loopback: every way a backend can misbehave, and
what the user gets then (the offline parser's spec with a note, or a clear error)."""

from __future__ import annotations

import concurrent.futures
import threading
import time

import pytest

from octoprint_aiagent.agent.understand import Understander, call_key
from octoprint_aiagent.llm import prompting
from octoprint_aiagent.llm.backends import complete_json, list_models, validate_connection
from octoprint_aiagent.llm.cache import InFlight, SpecCache
from octoprint_aiagent.llm.config import LLMConfig, LLMError
from octoprint_aiagent.llm.loop import LoopThread
from octoprint_aiagent.llm.transport import _retry_after
from octoprint_aiagent.model.errors import AgentError, Cancelled
from octoprint_aiagent.model.progress import StageContext
from octoprint_aiagent.perf.metrics import Metrics

from .fake_llm_server import FakeLLMServer, Reply, free_port, ollama_reply, openai_reply

CHAT = "/v1/chat/completions"
CUBE_20 = '{"part": {"cube": {"size": 20}}}'


@pytest.fixture
def loop():
    thread = LoopThread(connect_timeout_s=2.0, retries=1)
    yield thread
    thread.stop()


@pytest.fixture
def server():
    with FakeLLMServer() as fake:
        yield fake


def config_for(url: str, **overrides) -> LLMConfig:
    values = dict(backend="openai", base_url=url, model="fake", timeout_s=10.0, max_retry_wait_s=5.0)
    values.update(overrides)
    return LLMConfig(**values)


def ask(loop: LoopThread, config: LLMConfig, metrics=None) -> str:
    messages, schema = prompting.messages("a 20mm cube"), prompting.answer_schema()
    return loop.run(lambda client: complete_json(client, config, messages, schema, metrics), timeout=30)


def counter(metrics: Metrics, name: str, **labels) -> float:
    """The value of one counter series, read through the registry's own Prometheus output."""
    wanted = "aiagent_" + name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else "")
    for line in metrics.prometheus().splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    return 0.0


# -- protocol ------------------------------------------------------------------------------------


def test_openai_request_carries_the_schema_and_the_key(loop, server):
    config = config_for(server.url, api_key="sk-secret-123")
    assert ask(loop, config) == CUBE_20
    (hit,) = server.posts(CHAT)
    body = hit.json
    assert body["model"] == "fake" and body["stream"] is False
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == prompting.answer_schema()
    assert body["response_format"]["json_schema"]["strict"] is True
    assert hit.headers["Authorization"] == "Bearer sk-secret-123"
    assert "sk-secret-123" not in repr(config) and "sk-secret-123" not in str(config)


def test_base_url_may_end_in_v1(loop, server):
    assert ask(loop, config_for(server.url + "/v1/")) == CUBE_20
    assert len(server.posts(CHAT)) == 1


def test_json_schema_refused_then_json_object_accepted(loop, server):
    def handler(request):
        if request.json["response_format"]["type"] == "json_schema":
            return Reply(400, {"error": "response_format type json_schema is not supported"})
        return openai_reply(CUBE_20)

    server.handler = handler
    assert ask(loop, config_for(server.url)) == CUBE_20
    first, second = server.posts(CHAT)
    assert second.json["response_format"] == {"type": "json_object", "schema": prompting.answer_schema()}


def test_json_object_also_refused_is_an_error_not_a_loop(loop, server):
    server.handler = lambda request: Reply(400, {"error": "bad response_format"})
    with pytest.raises(LLMError) as caught:
        ask(loop, config_for(server.url))
    assert caught.value.status == 400 and len(server.posts(CHAT)) == 2


def test_ollama_native_chat_and_tags(loop, server):
    server.handler = lambda r: Reply(body={"models": [{"name": "qwen:latest"}]}) if r.path == "/api/tags" else ollama_reply(CUBE_20)
    config = LLMConfig("ollama", server.url, "qwen")
    assert ask(loop, config) == CUBE_20
    (hit,) = server.posts("/api/chat")
    assert hit.json["format"] == prompting.answer_schema() and hit.json["stream"] is False
    status = loop.run(lambda c: validate_connection(c, config))
    assert status.ok and status.models == ("qwen:latest",)
    missing = Understander(loop).check_connection(LLMConfig("ollama", server.url, "llama3"))
    assert missing.reachable and not missing.ok and "llama3" in missing.message


def test_openai_model_list(loop, server):
    server.handler = lambda r: Reply(body={"object": "list", "data": [{"id": "a"}, {"id": "b"}]})
    assert loop.run(lambda c: list_models(c, config_for(server.url))) == ["a", "b"]


# -- faults ----------------------------------------------------------------------------------------


def test_refused_connection(loop):
    config = config_for(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(LLMError) as caught:
        ask(loop, config)
    assert caught.value.kind == "unreachable" and "cannot connect" in caught.value.message
    status = loop.run(lambda c: validate_connection(c, config))
    assert not status.reachable and not status.ok and "cannot connect" in status.message


def test_server_error_500(loop, server):
    server.handler = lambda r: Reply(500, "internal trouble")
    with pytest.raises(LLMError) as caught:
        ask(loop, config_for(server.url))
    assert caught.value.status == 500 and "internal trouble" in caught.value.message
    assert len(server.posts(CHAT)) == 1  # a 500 is not retried


def test_malformed_json_body(loop, server):
    server.handler = lambda r: Reply(200, '{"choices": [')
    with pytest.raises(LLMError) as caught:
        ask(loop, config_for(server.url))
    assert caught.value.kind == "protocol" and "not JSON" in caught.value.message


def test_answer_cut_at_max_tokens(loop, server):
    server.handler = lambda r: openai_reply('{"part": {"cu', finish_reason="length")
    with pytest.raises(LLMError, match="cut off"):
        ask(loop, config_for(server.url))


def test_slow_drip_past_the_timeout(loop, server):
    # Each byte comes well within httpx's per-read timeout; only the whole-call deadline stops it.
    server.handler = lambda r: Reply(body=openai_reply(CUBE_20).body, drip_s=0.2)
    with pytest.raises(LLMError) as caught:
        ask(loop, config_for(server.url, timeout_s=1.0))
    assert caught.value.kind == "timeout"


def test_429_with_retry_after_then_success(loop, server):
    answers = iter([Reply(429, {"error": "rate limited"}, {"Retry-After": "1"}), openai_reply(CUBE_20)])
    server.handler = lambda r: next(answers)
    metrics = Metrics()
    assert ask(loop, config_for(server.url), metrics) == CUBE_20
    assert len(server.posts(CHAT)) == 2
    assert counter(metrics, "llm_calls_total", backend="openai", outcome="ok") == 1


def test_retry_after_longer_than_allowed_gives_up_at_once(loop, server):
    server.handler = lambda r: Reply(503, {"error": "busy"}, {"Retry-After": "3600"})
    with pytest.raises(LLMError, match="retry after 3600"):
        ask(loop, config_for(server.url))
    assert len(server.posts(CHAT)) == 1


def test_429_forever_stops_after_max_retries(loop, server):
    server.handler = lambda r: Reply(429, {"error": "slow down"}, {"Retry-After": "0"})
    with pytest.raises(LLMError, match="after 2 retries"):
        ask(loop, config_for(server.url, max_retries=2))
    assert len(server.posts(CHAT)) == 3


def test_503_loading_model_is_polled(loop, server):
    loading = Reply(503, {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}})
    answers = iter([loading, loading, loading, openai_reply(CUBE_20)])
    server.handler = lambda r: next(answers)
    assert ask(loop, config_for(server.url, max_retries=1)) == CUBE_20  # loading polls are not retries
    assert len(server.posts(CHAT)) == 4


def test_retry_after_header_forms():
    assert _retry_after("2") == 2.0 and _retry_after(" 0.5 ") == 0.5 and _retry_after(None) is None
    assert _retry_after("garbage") is None
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: retry now


def test_oversized_body_is_refused(loop, server):
    server.handler = lambda r: openai_reply("x" * 1_200_000)
    with pytest.raises(LLMError, match="larger than"):
        ask(loop, config_for(server.url))


# -- answers ---------------------------------------------------------------------------------------


def test_parse_answer_strips_fences():
    assert prompting.parse_answer("```json\n" + CUBE_20 + "\n```") == prompting.Answer({"cube": {"size": 20}})


@pytest.mark.parametrize(
    "text, why",
    [
        ("G28\nG1 X10 Y10 F3000", "G-code"),
        ('{"part": {"cube": {"size": 20}}, "start_gcode": "M104 S200"}', "G-code"),
        ('{"part": {"cube": {"size": 20}, "name": "G1 X0 Y0"}}', "G-code"),
        ("sure! here is your cube", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"part": {"cube": {"size": 20}}, "colour": "red"}', "does not allow: colour"),
        ('{"kind": "cube", "params": {"size": 20}}', "does not allow: kind, params"),
        ('{"part": {"cube": {"size": NaN}}}', "NaN, which is not a number"),
        ('{"part": {"cube": {"size": 20}}, "quantity": "two"}', "not a whole number"),
        ('{"part": {"cube": {"size": 20}}, "assumptions": [{"what": "size"}]}', "an assumption of the answer is not"),
        ('{"part": {"cube": {"size": 20}}, "assumptions": [{"what": "' + "a" * 70000 + '", "value": 1}]}', "longer than 64 kB"),
        ('{"assumptions": []}', "no part document"),
        ('{"part": ' + "[" * 5000 + "]" * 5000 + "}", "nested too deeply"),
    ],
)
def test_parse_answer_rejects(text, why):
    with pytest.raises(prompting.AnswerError, match=why):
        prompting.parse_answer(text)


def test_system_prompt_names_every_node_type_with_its_parameters():
    from octoprint_aiagent.model.document import SOLID_TYPES
    from octoprint_aiagent.model.features import FEATURES
    from octoprint_aiagent.model.patterns import PATTERNS
    from octoprint_aiagent.model.sketches import SKETCHES
    from octoprint_aiagent.model.solids import COMPOSITIONS

    text = prompting.system_prompt()
    for table in (SOLID_TYPES, SKETCHES, FEATURES, PATTERNS):
        for name, t in table.items():
            if name not in COMPOSITIONS:
                required = [p.name for p in t.params if p.required]
                assert f"{name}(" in text and all(r in text for r in required), name
    assert '"union": [SOLID' in text and "csg" not in text


# -- understanding with fallback -------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, reason",
    [
        ("G1 X10 Y10 E5", "G-code"),
        ('{"part": {"cube": {"size": 5000}}}', "it must be from 0.1 to 1000 mm"),
        ('{"part": {"cube": {"size": 20}}, "gcode": "x"}', "does not allow"),
        ('{"part": {"cube": {"size": 20, "teeth": 12}}}', "has no parameter 'teeth'"),
        ('{"part": {"cube": {"size": 20}}, "assumptions": [{"what": "' + "P" * 70000 + '", "value": 1}]}', "longer than"),
        ('{"part": {"cube": {"size": 35}}}', "the request says 20 mm"),  # 35 mm is not what the prompt says
    ],
)
def test_rejected_answers_fall_back_to_the_offline_parser_with_a_note(loop, server, answer, reason):
    server.handler = lambda r: openai_reply(answer)
    spec = Understander(loop).understand("a 20mm cube", config_for(server.url), StageContext())
    assert spec.backend == "offline" and spec.kind == "cube" and spec.params["size"] == 20
    (note,) = [n for n in spec.notes if n.startswith("the LLM answer was not used")]
    assert reason in note and note.endswith("understood offline")


def test_accepted_answer_is_the_llms(loop, server):
    spec = Understander(loop).understand("a 20mm cube", config_for(server.url), StageContext())
    assert spec.backend == "openai" and spec.params["size"] == 20 and spec.material is None
    assert not any("not used" in n for n in spec.notes)


def test_unreachable_llm_falls_back_with_a_note(loop):
    spec = Understander(loop).understand("a 20mm cube", config_for(f"http://127.0.0.1:{free_port()}"))
    assert spec.backend == "offline" and any("cannot connect" in n for n in spec.notes)


def test_no_config_means_offline_without_a_call(loop, server):
    spec = Understander(loop).understand("a 20mm cube", None)
    assert spec.backend == "offline" and not server.hits and not loop.running


def test_neither_understands_names_both_reasons(loop):
    with pytest.raises(AgentError) as caught:
        Understander(loop).understand("make me something nice", config_for(f"http://127.0.0.1:{free_port()}"))
    error = caught.value
    assert error.stage == "understanding" and error.reason == "failed"
    assert "cannot connect" in error.message and "offline parser" in error.message


def test_cancel_while_waiting_for_the_llm(loop, server):
    release = threading.Event()
    server.handler = lambda r: Reply(body=openai_reply(CUBE_20).body, hold=release)
    ctx = StageContext()
    understander = Understander(loop)
    result = {}

    def run():
        try:
            understander.understand("a 20mm cube", config_for(server.url), ctx)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            result["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 30
    while not server.posts(CHAT) and worker.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.posts(CHAT), f"the LLM was never asked: {result}"
    ctx.cancel()
    worker.join(10)
    release.set()
    assert isinstance(result.get("error"), Cancelled)
    # The cancel reaches the loop thread asynchronously; the call must then be gone, not left running.
    key = call_key(config_for(server.url), prompting.messages("a 20mm cube"))
    deadline = time.monotonic() + 5
    while understander.inflight.waiting(key) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert understander.inflight.waiting(key) == 0


# -- sharing: one client, dedup, cache -------------------------------------------------------------


def test_one_connection_reused_across_calls(loop, server):
    metrics = Metrics()
    for _ in range(5):
        assert ask(loop, config_for(server.url), metrics) == CUBE_20
    assert server.connections == 1
    assert counter(metrics, "llm_connections_total", kind="new") == 1
    assert counter(metrics, "llm_connections_total", kind="reused") == 4


def test_identical_concurrent_requests_share_one_call(loop, server):
    release = threading.Event()
    server.handler = lambda r: Reply(body=openai_reply(CUBE_20).body, hold=release)
    metrics = Metrics()
    understander = Understander(loop, metrics)
    config = config_for(server.url)
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        futures = [pool.submit(understander.understand, "a 20mm cube", config, StageContext()) for _ in range(10)]
        key = call_key(config, prompting.messages("a 20mm cube"))
        deadline = time.monotonic() + 10  # a bound, so that broken sharing fails instead of hanging
        while understander.inflight.waiting(key) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        release.set()
        specs = [f.result(30) for f in futures]
    assert len(server.posts(CHAT)) == 1
    assert all(s.backend == "openai" and s.params["size"] == 20 for s in specs)
    assert counter(metrics, "llm_deduplicated_total") == 9


def test_repeat_is_a_cache_hit(loop, server):
    metrics = Metrics()
    understander = Understander(loop, metrics)
    first = understander.understand("a 20mm cube", config_for(server.url))
    again = understander.understand("A  20mm   CUBE", config_for(server.url))
    assert len(server.posts(CHAT)) == 1
    assert again.params == first.params and again.prompt == "A  20mm   CUBE"
    assert understander.cache.stats()["hits"] == 1
    assert counter(metrics, "spec_cache_total", result="hit") == 1
    assert counter(metrics, "spec_cache_total", result="miss") == 1


def test_cache_lru_and_ttl():
    now = [0.0]
    cache = SpecCache(max_entries=2, ttl_s=10, clock=lambda: now[0])
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)  # evicts b
    assert cache.get("b") is None and cache.get("c") == 3
    now[0] = 11.0
    assert cache.get("a") is None and len(cache) == 1
    assert cache.stats() == {"entries": 1, "hits": 2, "misses": 2}


def test_inflight_survives_one_waiter_cancelling(loop):
    import asyncio

    inflight = InFlight()
    started = []

    async def slow():
        started.append(1)
        await asyncio.sleep(0.2)
        return "done"

    async def scenario(client):
        first = asyncio.ensure_future(inflight.run("k", slow))
        second = asyncio.ensure_future(inflight.run("k", slow))
        await asyncio.sleep(0)
        first.cancel()
        return await second

    assert loop.run(scenario, timeout=10) == "done" and started == [1]


# -- lifecycle -------------------------------------------------------------------------------------


def test_stop_closes_the_client_and_joins_the_thread(server):
    thread = LoopThread()
    assert ask(thread, config_for(server.url)) == CUBE_20
    client = thread.client
    assert thread.running and not client.is_closed
    thread.stop()
    assert not thread.running and client.is_closed
    with pytest.raises(RuntimeError):
        thread.submit(lambda c: c.get(server.url))


def test_run_timeout_cancels_the_coroutine(loop):
    import asyncio

    cancelled = threading.Event()

    async def forever(client):
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(concurrent.futures.TimeoutError):
        loop.run(forever, timeout=0.2)
    assert cancelled.wait(5)
