"""Ollama's native chat protocol: ``/api/chat`` with ``format`` = the JSON schema.

``stream`` must be false: Ollama streams NDJSON by default. ``/api/tags`` lists the models.
"""

from __future__ import annotations

from collections.abc import Sequence

from .config import LLMConfig
from .transport import chat_text, ok_json, read_field, request


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
    return chat_text(answer, url, config, content=("message", "content"), stop_reason=("done_reason",))


async def list_models(client, config: LLMConfig, metrics=None) -> list:
    url = config.root_url + "/api/tags"
    answer = await request(client, config, "GET", url, None, metrics)
    models = read_field(answer, url, ok_json(answer, url), ("models",), "a model list")
    return [str(read_field(answer, url, m, ("name",), "a model name")) for m in models]
