"""Remembering and sharing LLM results.

``SpecCache``: an LRU cache with a time-to-live for understood specs, safe across threads, with
hit/miss counters (``spec_cache_total{result}``). ``InFlight``: identical requests that arrive
while one is already being answered wait for that one call instead of making their own
(``llm_deduplicated_total``). It lives on the loop thread, so plain asyncio futures suffice.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Hashable
from typing import Any, Callable, Optional


def request_key(prompt: str, backend: str, base_url: str, model: str) -> tuple:
    """Requests that must get the same answer: same words (case and spacing aside), same model."""
    return (" ".join(prompt.lower().split()), backend, base_url.rstrip("/"), model)


class SpecCache:
    def __init__(self, max_entries: int = 256, ttl_s: float = 3600.0, metrics=None, clock: Callable[[], float] = time.monotonic):
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self.metrics = metrics
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Optional[Any]:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] <= now:
                del self._entries[key]
                entry = None
            if entry is None:
                self.misses += 1
            else:
                self._entries.move_to_end(key)
                self.hits += 1
        if self.metrics is not None:
            self.metrics.count("spec_cache_total", result="miss" if entry is None else "hit")
        return None if entry is None else entry[1]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + self.ttl_s, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def stats(self) -> dict:
        with self._lock:
            return {"entries": len(self._entries), "hits": self.hits, "misses": self.misses}


class _Call:
    __slots__ = ("task", "waiters")

    def __init__(self, task: asyncio.Future):
        self.task = task
        self.waiters = 0


class InFlight:
    """Share one running call among identical concurrent requests. Use on one event loop only.

    Each caller waits through ``asyncio.shield``, so one caller cancelling does not cancel the
    call for the others; the call is cancelled when its last waiter goes.
    """

    def __init__(self, metrics=None):
        self.metrics = metrics
        self._calls: dict[Hashable, _Call] = {}
        self.deduplicated = 0

    def waiting(self, key: Hashable) -> int:
        call = self._calls.get(key)
        return 0 if call is None else call.waiters

    async def run(self, key: Hashable, start: Callable[[], Awaitable[Any]]) -> Any:
        call = self._calls.get(key)
        if call is None:
            call = _Call(asyncio.ensure_future(start()))
            self._calls[key] = call
            call.task.add_done_callback(lambda _task, key=key, call=call: self._forget(key, call))
        else:
            self.deduplicated += 1
            if self.metrics is not None:
                self.metrics.count("llm_deduplicated_total")
        call.waiters += 1
        try:
            return await asyncio.shield(call.task)
        finally:
            call.waiters -= 1
            if call.waiters == 0 and not call.task.done():
                self._forget(key, call)  # a request arriving now must start afresh
                call.task.cancel()

    def _forget(self, key: Hashable, call: _Call) -> None:
        if self._calls.get(key) is call:
            del self._calls[key]
