"""The OpenAI-compatible chat protocol (OpenAI, llama-server, vLLM, LM Studio, Ollama's /v1).

Structured output is asked for with ``response_format`` ``json_schema``. Some servers refuse it
(llama-cpp-python's server wants ``{"type": "json_object", "schema": ...}``), so a refusal that
names the response format is answered by one retry in that older form.
"""

from __future__ import annotations

from collections.abc import Sequence

from .config import LLMConfig
from .transport import HttpAnswer, chat_text, ok_json, read_field, request

SCHEMA_NAME = "design_spec"


def _url(config: LLMConfig, path: str) -> str:
    root = config.root_url
    return root + path if root.endswith("/v1") else root + "/v1" + path


def _payload(config: LLMConfig, messages: Sequence[dict], schema: dict, strict_schema: bool) -> dict:
    if strict_schema:
        response_format = {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": schema, "strict": True}}
    else:
        response_format = {"type": "json_object", "schema": schema}
    return {
        "model": config.model,
        "messages": list(messages),
        "response_format": response_format,
        "temperature": config.temperature,
        "max_tokens": config.max_tokens,
        "stream": False,
    }


def _refuses_json_schema(answer: HttpAnswer) -> bool:
    body = answer.body.lower()
    return answer.status in (400, 422) and (b"response_format" in body or b"json_schema" in body)


async def complete(client, config: LLMConfig, messages: Sequence[dict], schema: dict, metrics=None) -> str:
    url = _url(config, "/chat/completions")
    answer = await request(client, config, "POST", url, _payload(config, messages, schema, True), metrics)
    if _refuses_json_schema(answer):
        answer = await request(client, config, "POST", url, _payload(config, messages, schema, False), metrics)
    return chat_text(answer, url, config, content=("choices", 0, "message", "content"), stop_reason=("choices", 0, "finish_reason"))


async def list_models(client, config: LLMConfig, metrics=None) -> list:
    url = _url(config, "/models")
    answer = await request(client, config, "GET", url, None, metrics)
    models = read_field(answer, url, ok_json(answer, url), ("data",), "a model list")
    return [str(read_field(answer, url, m, ("id",), "a model id")) for m in models]
