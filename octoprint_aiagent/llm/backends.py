"""The LLM backends, one table: protocol name -> module with ``complete`` and ``list_models``.

These coroutines run on the ``LoopThread`` and take its client. They record
``llm_calls_total{backend,outcome}`` and ``llm_latency_seconds{backend}`` for completions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from . import ollama, openai_compat
from .config import ConnectionStatus, LLMConfig, LLMError

BACKENDS = {"openai": openai_compat, "ollama": ollama}

__all__ = ["BACKENDS", "ConnectionStatus", "LLMConfig", "LLMError", "complete_json", "list_models", "validate_connection"]


async def complete_json(client, config: LLMConfig, messages: Sequence[dict], schema: dict, metrics=None) -> str:
    """Ask for an answer constrained to ``schema``; returns the answer text (not yet trusted)."""
    started = time.perf_counter()
    outcome = "ok"
    try:
        return await BACKENDS[config.backend].complete(client, config, messages, schema, metrics)
    except LLMError as exc:
        outcome = exc.kind
        raise
    except asyncio.CancelledError:
        outcome = "cancelled"
        raise
    finally:
        if metrics is not None:
            metrics.count("llm_calls_total", backend=config.backend, outcome=outcome)
            metrics.observe("llm_latency_seconds", time.perf_counter() - started, backend=config.backend)


async def list_models(client, config: LLMConfig, metrics=None) -> list:
    return await BACKENDS[config.backend].list_models(client, config, metrics)


def _model_listed(model: str, names: Sequence[str]) -> bool:
    # Ollama lists "name:tag"; "llama3" means "llama3:latest".
    return model in names or f"{model}:latest" in names


async def validate_connection(client, config: LLMConfig, metrics=None) -> ConnectionStatus:
    """Is the server there, and does it offer the configured model? Never raises for a bad server."""
    try:
        names = await list_models(client, config, metrics)
    except LLMError as exc:
        return ConnectionStatus(False, exc.message)
    if _model_listed(config.model, names):
        return ConnectionStatus(True, f"connected; model {config.model!r} is available", tuple(names), True)
    offered = ", ".join(names[:10]) or "none"
    return ConnectionStatus(True, f"connected, but the server does not list model {config.model!r} (it offers: {offered})", tuple(names), False)
