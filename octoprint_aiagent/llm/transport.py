"""One HTTP exchange with an LLM server, with the waiting rules LLM servers need.

- A whole call (retries and waits included) is bounded by ``config.timeout_s``: httpx's read
  timeout is per read, so a server that drips one byte a second would otherwise never time out.
- 429 and 503 are retried at most ``config.max_retries`` times, after the server's Retry-After
  (seconds or an HTTP date) when it gives one; a wait longer than we allow ends the call at once.
- 503 "Loading model" (llama-server, while it reads the weights) is polled until the deadline.
- Bodies are read up to ``MAX_BODY_BYTES``: an answer is a small JSON document.
- Every response says whether its connection was new or reused from the pool (httpcore's trace
  extension), counted in ``llm_connections_total{kind}``.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Optional

from .config import LLMConfig, LLMError

MAX_BODY_BYTES = 1_000_000
LOADING_POLL_S = 0.5
BACKOFF_S = 1.0  # first wait after a 429/503 that gives no Retry-After; doubles each time


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: bytes
    new_connection: bool
    secret: str = field(default="", repr=False)  # the API key: servers quote it in 401 bodies

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise LLMError("protocol", f"the server's answer is not JSON: {self.snippet()!r}", self.status) from None

    def snippet(self, limit: int = 200) -> str:
        """The start of the body, for error messages: never with the API key in it."""
        text = self.body.decode("utf-8", "replace").strip()
        if self.secret:
            text = text.replace(self.secret, "***")
            # A server may quote only part of a key ("sk-abc...xyz"): drop any long piece of it.
            for piece in {self.secret[:8], self.secret[-8:]} if len(self.secret) >= 16 else ():
                text = text.replace(piece, "***")
        return text if len(text) <= limit else text[:limit] + "..."


def ok_json(answer: HttpAnswer, url: str) -> Any:
    """The JSON body of a 200 answer; LLMError("http") for any other status."""
    if answer.status != 200:
        raise LLMError("http", f"{url} answered HTTP {answer.status}: {answer.snippet()}", answer.status)
    return answer.json()


def read_field(answer: HttpAnswer, url: str, data: Any, path: tuple, what: str) -> Any:
    """``data[path[0]][path[1]]...``, or LLMError("protocol") naming what the server left out."""
    try:
        for key in path:
            data = data[key]
        return data
    except (KeyError, IndexError, TypeError):
        raise LLMError("protocol", f"{url} answered without {what}: {answer.snippet()}") from None


def chat_text(answer: HttpAnswer, url: str, config: LLMConfig, content: tuple, stop_reason: tuple) -> str:
    """The text of a chat answer (at ``content`` in its JSON), refused when it is not text or was
    cut off (``stop_reason`` says "length")."""
    data = ok_json(answer, url)
    text = read_field(answer, url, data, content, ".".join(map(str, content)))
    if not isinstance(text, str):
        raise LLMError("protocol", f"{url} answered a message whose content is not text")
    try:
        cut_off = read_field(answer, url, data, stop_reason, "") == "length"
    except LLMError:
        cut_off = False  # servers that do not say why they stopped
    if cut_off:
        raise LLMError("protocol", f"the answer was cut off at {config.max_tokens} tokens")
    return text


class _ConnectionTrace:
    """httpcore trace callback: was a TCP connection opened for this request?"""

    def __init__(self):
        self.connected = False

    async def __call__(self, event: str, info: dict) -> None:
        if event == "connection.connect_tcp.started":
            self.connected = True


async def request(client, config: LLMConfig, method: str, url: str, payload: Optional[dict] = None, metrics=None) -> HttpAnswer:
    """Send one request (with the retries above); any answer that is not 429/503 is returned."""
    try:
        return await asyncio.wait_for(_with_retries(client, config, method, url, payload, metrics), config.timeout_s)
    except asyncio.TimeoutError:
        raise LLMError("timeout", f"{url} gave no complete answer within {round(config.timeout_s, 2):g} s") from None


async def _with_retries(client, config, method, url, payload, metrics) -> HttpAnswer:
    deadline = time.monotonic() + config.timeout_s
    retries = 0
    backoff = BACKOFF_S
    while True:
        answer, retry_after = await _send_once(client, config, method, url, payload, metrics)
        if answer.status not in (429, 503):
            return answer
        loading = answer.status == 503 and b"loading model" in answer.body.lower()
        if not loading:
            retries += 1
            if retries > config.max_retries:
                raise LLMError("http", f"{url} is still busy (HTTP {answer.status}) after {config.max_retries} retries", answer.status)
        wait = retry_after if retry_after is not None else (LOADING_POLL_S if loading else backoff)
        if wait > config.max_retry_wait_s:
            raise LLMError("http", f"{url} asks to retry after {wait:g} s (HTTP {answer.status}); we wait at most {config.max_retry_wait_s:g} s", answer.status)
        if time.monotonic() + wait > deadline:
            what = "was still loading its model" if loading else f"was still busy (HTTP {answer.status})"
            raise LLMError("timeout", f"{url} {what} when the {round(config.timeout_s, 2):g} s timeout ran out", answer.status)
        if not loading:
            backoff *= 2
        await asyncio.sleep(wait)


async def _send_once(client, config: LLMConfig, method, url, payload, metrics):
    import httpx

    headers = {"Accept": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    trace = _ConnectionTrace()
    timeout = httpx.Timeout(config.timeout_s, connect=min(client.timeout.connect or config.timeout_s, config.timeout_s))
    try:
        async with client.stream(method, url, json=payload, headers=headers, timeout=timeout, extensions={"trace": trace}) as resp:
            if metrics is not None:
                metrics.count("llm_connections_total", kind="new" if trace.connected else "reused")
            body = await _read_limited(resp, url)
            answer = HttpAnswer(resp.status_code, body, trace.connected, config.api_key)
            return answer, _retry_after(resp.headers.get("retry-after"))
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise LLMError("unreachable", f"cannot connect to {url}: {_describe(exc)}") from None
    except httpx.TimeoutException as exc:
        raise LLMError("timeout", f"{url} stopped answering: {_describe(exc)}") from None
    except httpx.HTTPError as exc:
        raise LLMError("protocol", f"the exchange with {url} failed: {_describe(exc)}") from None


async def _read_limited(resp, url: str) -> bytes:
    chunks, size = [], 0
    async for chunk in resp.aiter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise LLMError("protocol", f"the answer from {url} is larger than {MAX_BODY_BYTES // 1000} kB", resp.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


def _retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
