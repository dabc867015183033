"""One background thread that measures this process's CPU and memory, so request threads never do.

``psutil.Process.cpu_percent(None)`` is non-blocking but measures the time since the previous call
*on the same Process object*: the first call only sets a baseline and returns 0.0. So one thread
owns one Process object for its whole life, discards the baseline, and publishes each reading as
an immutable ``Sample`` that any thread can read with a plain attribute access.
"""

from __future__ import annotations

import collections
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional

_log = logging.getLogger(__name__)

MB = 1024.0 * 1024.0


@dataclass(frozen=True)
class Sample:
    cpu_percent: float  # of one core, so it can exceed 100 on several cores
    rss_mb: float
    at: float  # time.time() of the reading

    def to_dict(self) -> dict:
        return {"cpu_percent": self.cpu_percent, "rss_mb": self.rss_mb, "at": self.at}


def _default_process():
    import psutil  # imported here so that importing the plugin does not pay for psutil

    return psutil.Process()


class ResourceSampler:
    """Samples every ``interval`` seconds and keeps ``history_s`` seconds of readings in a ring buffer."""

    def __init__(
        self,
        interval: float = 1.0,
        history_s: float = 3600.0,
        process_factory: Callable[[], object] = _default_process,
    ):
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.interval = interval
        self._process_factory = process_factory
        self._history: collections.deque[Sample] = collections.deque(maxlen=max(1, math.ceil(history_s / interval)))
        self._history_lock = threading.Lock()  # guards copies of the deque, never taken by latest()
        self._latest: Optional[Sample] = None
        self._stop = threading.Event()
        self._first = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self, first_sample_timeout: float = 5.0) -> None:
        """Start the thread and wait for its first real reading, so ``latest()`` has one from now on."""
        if self._thread is not None:
            raise RuntimeError("sampler already started")
        self._stop.clear()
        self._first.clear()
        self._thread = threading.Thread(target=self._run, name="aiagent-resource-sampler", daemon=True)
        self._thread.start()
        if not self._first.wait(first_sample_timeout):
            raise RuntimeError(f"resource sampler gave no reading within {first_sample_timeout} s")

    def stop(self, timeout: float = 5.0) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError("resource sampler thread did not stop")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def latest(self) -> Optional[Sample]:
        """The newest reading, or None before ``start()``. A plain attribute read: safe on any thread."""
        return self._latest

    def history(self, since: Optional[float] = None) -> list[Sample]:
        """Readings taken after ``since`` (a ``time.time()`` value), oldest first; all kept ones if None."""
        with self._history_lock:
            samples = list(self._history)
        if since is None:
            return samples
        return [s for s in samples if s.at > since]

    def _run(self) -> None:
        process = self._process_factory()
        process.cpu_percent(None)  # baseline: always 0.0, not a measurement
        # The first real reading comes after a short wait rather than a full interval, so that
        # start() returns quickly; cpu_percent then covers that short window.
        wait = min(self.interval, 0.1)
        while not self._stop.wait(wait):
            try:
                sample = Sample(
                    cpu_percent=process.cpu_percent(None),
                    rss_mb=process.memory_info().rss / MB,
                    at=time.time(),
                )
            except Exception:  # a failed reading must not kill the thread; the next one may work
                _log.exception("resource sample failed")
            else:
                with self._history_lock:
                    self._history.append(sample)
                self._latest = sample
                self._first.set()
            wait = self.interval
