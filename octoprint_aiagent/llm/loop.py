"""One dedicated asyncio event-loop thread holding the plugin's one HTTP client for LLM calls.

Why a thread of its own: OctoPrint serves requests on Tornado's loop and worker threads; an
``httpx.AsyncClient`` is bound to the loop that first used it, so it must be created, used and
closed on one loop that outlives every request. Request threads hand coroutines to that loop
with ``run_coroutine_threadsafe`` and wait on (or cancel) the returned future.

Coroutines are submitted as functions of the client (``coro_fn(client)``), so that the client
is only ever touched on the loop that owns it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Awaitable
from typing import Any, Callable, Optional, TypeVar

T = TypeVar("T")
CoroFn = Callable[[Any], Awaitable[T]]  # (httpx.AsyncClient) -> awaitable

POLL_S = 0.1  # how often a waiting request thread looks at its cancel flag


class LoopThread:
    """Owns the event loop thread and the persistent ``httpx.AsyncClient`` that lives on it.

    ``connect_timeout_s`` is short (a server that is not there should say so at once);
    ``read_timeout_s`` is long because a local model can take minutes to answer. Each call may
    still pass its own ``timeout=`` to httpx. ``retries`` retries failed connects only.
    """

    def __init__(
        self,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 300.0,
        max_connections: int = 4,
        retries: int = 2,
        name: str = "aiagent-llm-loop",
    ):
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.max_connections = max_connections
        self.retries = retries
        self.name = name
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._client = None  # httpx.AsyncClient, created and closed on the loop
        self._stopped = False

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        self.start()
        assert self._loop is not None
        return self._loop

    @property
    def client(self):
        """The client, for coroutines already running on this loop (never use it elsewhere)."""
        self.start()
        return self._client

    def start(self) -> None:
        """Start the thread and create the client on it; a no-op when already running."""
        with self._lock:
            if self._stopped:
                raise RuntimeError("the LLM loop thread was stopped")
            if self._thread is not None:
                return
            ready = threading.Event()
            failure: list = []
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=self._main, args=(loop, ready, failure), name=self.name, daemon=True)
            thread.start()
            ready.wait()
            if failure:
                thread.join()
                raise failure[0]
            self._loop, self._thread = loop, thread

    def _main(self, loop: asyncio.AbstractEventLoop, ready: threading.Event, failure: list) -> None:
        asyncio.set_event_loop(loop)
        try:
            self._client = loop.run_until_complete(self._open_client())
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that called start()
            failure.append(exc)
            loop.close()
            ready.set()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _open_client(self):
        import httpx  # heavy: imported only once the LLM is used

        timeout = httpx.Timeout(self.read_timeout_s, connect=self.connect_timeout_s)
        limits = httpx.Limits(max_connections=self.max_connections, max_keepalive_connections=self.max_connections)
        transport = httpx.AsyncHTTPTransport(retries=self.retries, limits=limits)
        return httpx.AsyncClient(timeout=timeout, transport=transport, trust_env=False)

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel what is still running, close the client on its loop and join the thread."""
        with self._lock:
            self._stopped = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        closing = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            closing.result(timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)

    async def _shutdown(self) -> None:
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    # -- calls from other threads -------------------------------------------------------------------

    def submit(self, coro_fn: CoroFn) -> concurrent.futures.Future:
        """Schedule ``coro_fn(client)`` on the loop; returns a thread-safe future (cancellable)."""
        loop = self.loop  # first: raises if stopped, before a coroutine object exists
        return asyncio.run_coroutine_threadsafe(self._call(coro_fn), loop)

    async def _call(self, coro_fn: CoroFn):
        return await coro_fn(self._client)

    def run(self, coro_fn: CoroFn, timeout: Optional[float] = None, should_cancel: Optional[Callable[[], bool]] = None):
        """Run ``coro_fn(client)`` on the loop and wait for its result in this thread.

        Raises ``concurrent.futures.TimeoutError`` after ``timeout`` seconds and
        ``concurrent.futures.CancelledError`` when ``should_cancel()`` turns true; in both cases the
        coroutine is cancelled on the loop, so its connection is released.
        """
        if threading.current_thread() is self._thread:
            raise RuntimeError("run() would block the loop it waits for: await the coroutine instead")
        future = self.submit(coro_fn)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if should_cancel is not None and should_cancel():
                future.cancel()
                raise concurrent.futures.CancelledError()
            wait = POLL_S if should_cancel is not None else None
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    future.cancel()
                    raise concurrent.futures.TimeoutError()
                wait = left if wait is None else min(wait, left)
            try:
                return future.result(wait)
            except concurrent.futures.TimeoutError:
                if future.done():  # the coroutine itself raised a TimeoutError
                    raise
