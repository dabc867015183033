"""Progress reporting and cancellation, shared by every stage.

A stage receives a ``StageContext``: it reports progress through it and checks it for cancel.
Stages that run a subprocess register it, so that cancel kills the process at once rather than
waiting for the next check.
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass, field
from typing import Callable

from .errors import Cancelled

ProgressCallback = Callable[[str, float, str], None]  # (stage, fraction 0..1, message)


def _ignore(stage: str, fraction: float, message: str) -> None:
    pass


@dataclass
class StageContext:
    on_progress: ProgressCallback = _ignore
    _cancelled: threading.Event = field(default_factory=threading.Event)
    _processes: list = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def report(self, stage: str, fraction: float, message: str = "") -> None:
        self.check(stage)
        self.on_progress(stage, max(0.0, min(1.0, fraction)), message)

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            processes = list(self._processes)
        for proc in processes:
            if proc.poll() is None:
                proc.kill()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self, stage: str) -> None:
        """Raise Cancelled if the user asked to stop."""
        if self._cancelled.is_set():
            raise Cancelled(stage)

    def attach(self, proc: subprocess.Popen) -> None:
        """Kill ``proc`` if cancel comes while it runs (and at once if it already came)."""
        with self._lock:
            self._processes.append(proc)
        if self._cancelled.is_set() and proc.poll() is None:
            proc.kill()

    def detach(self, proc: subprocess.Popen) -> None:
        with self._lock:
            if proc in self._processes:
                self._processes.remove(proc)

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if cancelled meanwhile."""
        return self._cancelled.wait(seconds)

