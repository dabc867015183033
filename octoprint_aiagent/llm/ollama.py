"""Ollama's native chat protocol: ``/api/chat`` with ``format`` = the JSON schema.

``stream`` must be false: Ollama streams NDJSON by default. ``/api/tags`` lists the models.
"""

from __future__ import annotations

from typing import Sequence

from .config import LLMConfig, LLMError
from .transport import request


async def complete(client, config: LLMConfig, messages: Sequence[dict], schema: dict, metrics=None) -> str:
    url = config.root_url + "/api/chat"
    payload = {
        "model": config.model,
        "messages": list(messages),
        "format": schema,
        "stream": False,
        "options": {"temperature": config.temperature, "num_predict": config.max_tokens},
    }
    answer = await request(client, config, "POST", url, payload, metrics)
    if answer.status != 200:
        raise LLMError("http", f"{url} answered HTTP {answer.status}: {answer.snippet()}", answer.status)
    data = answer.json()
    try:
        content = data["message"]["content"]
    except (KeyError, TypeError):
        raise LLMError("protocol", f"{url} answered without message.content: {answer.snippet()}") from None
    if not isinstance(content, str):
        raise LLMError("protocol", f"{url} answered a message whose content is not text")
    if data.get("done_reason") == "length":
        raise LLMError("protocol", f"the answer was cut off at {config.max_tokens} tokens")
    return content


async def list_models(client, config: LLMConfig, metrics=None) -> list:
    url = config.root_url + "/api/tags"
    answer = await request(client, config, "GET", url, None, metrics)
    if answer.status != 200:
        raise LLMError("http", f"{url} answered HTTP {answer.status}: {answer.snippet()}", answer.status)
    data = answer.json()
    try:
        return [str(m["name"]) for m in data["models"]]
    except (KeyError, TypeError):
        raise LLMError("protocol", f"{url} did not answer a model list: {answer.snippet()}") from None
