"""The OpenAI-compatible chat protocol (OpenAI, llama-server, vLLM, LM Studio, Ollama's /v1).

Structured output is asked for with ``response_format`` ``json_schema``. Some servers refuse it
(llama-cpp-python's server wants ``{"type": "json_object", "schema": ...}``), so a refusal that
names the response format is answered by one retry in that older form.
"""

from __future__ import annotations

from typing import Sequence

from .config import LLMConfig, LLMError
from .transport import HttpAnswer, request

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
    if answer.status != 200:
        raise LLMError("http", f"{url} answered HTTP {answer.status}: {answer.snippet()}", answer.status)
    data = answer.json()
    try:
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise LLMError("protocol", f"{url} answered without choices[0].message.content: {answer.snippet()}") from None
    if not isinstance(content, str):
        raise LLMError("protocol", f"{url} answered a message whose content is not text")
    if choice.get("finish_reason") == "length":
        raise LLMError("protocol", f"the answer was cut off at {config.max_tokens} tokens")
    return content


async def list_models(client, config: LLMConfig, metrics=None) -> list:
    url = _url(config, "/models")
    answer = await request(client, config, "GET", url, None, metrics)
    if answer.status != 200:
        raise LLMError("http", f"{url} answered HTTP {answer.status}: {answer.snippet()}", answer.status)
    data = answer.json()
    try:
        return [str(m["id"]) for m in data["data"]]
    except (KeyError, TypeError):
        raise LLMError("protocol", f"{url} did not answer a model list: {answer.snippet()}") from None
