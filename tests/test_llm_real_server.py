"""Our LLM client against the real llama.cpp ``llama-server``, offline.

The tiny random-weight model answers noise shaped by the server's JSON grammar: it tests the
protocol (schema-constrained output, model list, health). SmolLM2-135M is a real but weak model:
its sizes are often wrong, so these tests assert what our side guarantees (the answer is read,
grounding keeps wrong sizes out of the spec, fallbacks are noted), not what the model knows.
"""

from __future__ import annotations

import json

import pytest

from octoprint_aiagent.agent.understand import Understander
from octoprint_aiagent.language.grounding import ground_spec
from octoprint_aiagent.llm import prompting
from octoprint_aiagent.llm.backends import complete_json, validate_connection
from octoprint_aiagent.llm.config import LLMConfig, LLMError
from octoprint_aiagent.llm.loop import LoopThread
from octoprint_aiagent.model.progress import StageContext
from octoprint_aiagent.perf.metrics import Metrics

from .llama_server import SMOL_MODEL, TINY_MODEL, LlamaServer, missing

NOT_USED = "the LLM answer was not used"

# Bounded on every path (enums only), so even a random model's answer ends quickly.
BOUNDED_SCHEMA = {
    "type": "object",
    "properties": {"kind": {"type": "string", "enum": ["cube", "sphere", "cone"]}, "size": {"type": "integer", "enum": [10, 20, 30]}},
    "required": ["kind", "size"],
    "additionalProperties": False,
}


def server_fixture(model, alias):
    @pytest.fixture(scope="module")
    def fixture():
        reason = missing(model)
        if reason:
            pytest.skip(reason)
        with LlamaServer(model, alias) as server:
            yield server

    return fixture


tiny = server_fixture(TINY_MODEL, "tiny")
smol = server_fixture(SMOL_MODEL, "smollm2")


@pytest.fixture
def loop():
    thread = LoopThread()
    yield thread
    thread.stop()


def test_health_answers_ready_after_loading(smol):
    # /health is 503 while the weights load (if we asked early enough to see it), then 200.
    assert smol.health_statuses[-1] == 200
    assert set(smol.health_statuses) <= {503, 200}


@pytest.mark.parametrize("prompt", ["a 20mm cube", "make a ball", "anything at all"])
def test_tiny_model_follows_the_schema(tiny, loop, prompt):
    config = LLMConfig("openai", tiny.url, "tiny", timeout_s=30, max_tokens=64)
    messages = [{"role": "user", "content": prompt}]
    text = loop.run(lambda c: complete_json(c, config, messages, BOUNDED_SCHEMA), timeout=60)
    answer = json.loads(text)
    assert set(answer) == {"kind", "size"}
    assert answer["kind"] in ("cube", "sphere", "cone") and answer["size"] in (10, 20, 30)


def test_tiny_model_is_listed(tiny, loop):
    status = loop.run(lambda c: validate_connection(c, LLMConfig("openai", tiny.url, "tiny")))
    assert status.ok and "tiny" in status.models
    other = loop.run(lambda c: validate_connection(c, LLMConfig("openai", tiny.url, "gpt-4")))
    assert other.reachable and not other.ok


def test_one_connection_serves_repeated_calls(tiny, loop):
    metrics = Metrics()
    config = LLMConfig("openai", tiny.url, "tiny", timeout_s=30, max_tokens=64)
    messages = [{"role": "user", "content": "cube"}]
    for _ in range(3):
        loop.run(lambda c: complete_json(c, config, messages, BOUNDED_SCHEMA, metrics), timeout=60)
    assert metrics.snapshot()["llm"]["connections"] == {"new": 1, "reused": 2}


def test_smollm2_answers_in_our_recursive_document_schema(smol, loop):
    """llama-server turns the answer schema, recursive through ``$defs``, into its grammar: whatever
    the model says is an answer of that shape (its sizes are the validator's business)."""
    import jsonschema

    config = LLMConfig("openai", smol.url, "smollm2", timeout_s=120)
    prompt = "a 40 mm cube with a 10 mm hole through the middle"
    text = loop.run(lambda c: complete_json(c, config, prompting.messages(prompt), prompting.answer_schema()), timeout=150)
    data = json.loads(text)
    jsonschema.Draft202012Validator(prompting.answer_schema()).validate(data)
    assert prompting.parse_answer(text).part == data["part"]


@pytest.mark.parametrize(
    "prompt, part",
    [
        ("a 20mm calibration cube", {"calibration_cube": {"size": 20.0, "depth": 0.6}}),
        ("a cylinder 30mm in diameter and 40mm tall", {"cylinder": {"diameter": 30.0, "height": 40.0}}),
    ],
)
def test_smollm2_design_loop_ends_in_the_requested_part(smol, loop, prompt, part):
    metrics = Metrics()
    config = LLMConfig("openai", smol.url, "smollm2", timeout_s=150)
    spec = Understander(loop, metrics).understand(prompt, config, StageContext(), rounds=2)
    # Whatever the model said, the part is the prompt's: either its document passed grounding and
    # measuring in a round, or it was set aside with the rounds' findings and the offline parser's
    # spec was used.
    notes = [n for n in spec.notes if n.startswith(NOT_USED)]
    if spec.backend == "openai":
        assert not notes and spec.notes[-1].startswith("LLM round") and "matches the request" in spec.notes[-1]
        assert ground_spec(prompt, spec).part == spec.part
    else:
        assert spec.backend == "offline" and spec.part == part and len(notes) == 1 and "LLM round 1" in notes[0]
    outcomes = metrics.snapshot()["llm"]["backends"]["openai"]["outcomes"]
    assert set(outcomes) == {"ok"} and 1 <= outcomes["ok"] <= 2


def test_generation_past_the_timeout_is_cut(smol, loop):
    # Last in the file: the system prompt is in the server's cache by now, so the request we
    # drop does not leave the server reading it while another test waits.
    config = LLMConfig("openai", smol.url, "smollm2", timeout_s=0.02, max_tokens=200)
    with pytest.raises(LLMError) as caught:
        loop.run(lambda c: complete_json(c, config, prompting.messages("a gear with 40 teeth"), prompting.answer_schema()), timeout=30)
    assert caught.value.kind == "timeout"
