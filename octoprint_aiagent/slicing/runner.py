"""Run a slicer as a subprocess: low priority, a timeout, cancel, progress, and nothing left behind.

The slicer runs in a session (process group) of its own under ``nice``, so that OctoPrint's serial
loop keeps the CPU it needs and so that a timeout or a cancel kills the slicer together with any
helper processes it started. Output is read on two small threads and only its tail is kept: some
engines print tens of kilobytes of settings per run.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ..model.errors import AgentError, Cancelled
from ..model.progress import StageContext

STAGE = "slicing"
NICENESS = 10
TAIL_LINES = 40
_MAX_LINE = 400  # characters kept of one output line
_POLL_S = 0.1
_MIN_PROGRESS_STEP = 0.01  # forward progress in steps of at least 1 %, not once per layer
_DRAIN_S = 2.0  # how long to wait for output after the slicer exited (a child may hold the pipe)

_PR_SET_PDEATHSIG = 1

ProgressParser = Callable[[str], Optional[tuple]]  # line -> (fraction 0..1, message) or None


@dataclass(frozen=True)
class RunResult:
    returncode: int
    stdout_tail: list
    stderr_tail: list
    seconds: float

    def tail(self, lines: int = 8) -> str:
        """The last lines of stderr (or stdout if stderr is empty), for an error message."""
        source = self.stderr_tail or self.stdout_tail
        return "\n".join(source[-lines:])


def child_environment() -> dict:
    """The environment of a Python child (a slicer backend, the G-code check, the design worker):
    it must import this very package, installed or run from a source tree."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"  # progress lines as they happen, not at exit
    return env


def _wrapped(argv: list) -> list:
    """Prefix ``nice`` (low priority) and ``stdbuf -oL`` (a slicer writing to a pipe buffers its
    progress lines until exit otherwise); both exec the command, so the pid stays the slicer's."""
    prefix: list = []
    nice, stdbuf = shutil.which("nice"), shutil.which("stdbuf")
    if nice:
        prefix += [nice, "-n", str(NICENESS)]
    if stdbuf:
        prefix += [stdbuf, "-oL"]
    return prefix + list(argv)


def _pump(stream, tail: deque, events: queue.Queue, parse: Optional[ProgressParser]) -> None:
    for raw in stream:
        line = raw.rstrip("\r\n")
        tail.append(line[:_MAX_LINE])
        if parse is None:
            continue
        try:
            parsed = parse(line)
        except ValueError:  # a line that only looks like progress; the pipe must keep draining
            continue
        if parsed is not None:
            events.put(parsed)


def die_with_parent() -> None:
    """In the child, before exec: on Linux, be killed if OctoPrint dies (even by SIGKILL), since a
    session of its own would otherwise let a slicer run on, orphaned, for minutes."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the timeout still bounds the slicer
        pass


def kill_group(proc: subprocess.Popen) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows has no process groups of this kind
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


def run_command(
    argv: Iterable[str],
    ctx: StageContext,
    *,
    name: str,
    timeout_s: float,
    parse_progress: Optional[ProgressParser] = None,
    cwd: Optional[str] = None,
    env: Optional[dict] = None,
    invalid_exit_codes: tuple = (),
) -> RunResult:
    """Run ``argv`` to completion and return its output tail.

    Raises Cancelled if ``ctx`` is cancelled, AgentError(reason "failed") on timeout, on a failure to
    start and on a non-zero exit; reason "invalid" for exit codes in ``invalid_exit_codes`` (a
    slicer saying the input cannot be sliced). The process group is dead when this returns.
    """
    argv = list(argv)
    ctx.check(STAGE)
    if shutil.which(argv[0]) is None:
        raise AgentError(STAGE, f"{name} could not be started: {argv[0]} is not an executable", reason="failed")
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            _wrapped(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            text=True,
            errors="replace",
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    except OSError as exc:
        raise AgentError(STAGE, f"{name} could not be started: {exc}", reason="failed") from exc

    ctx.attach(proc)
    out_tail: deque = deque(maxlen=TAIL_LINES)
    err_tail: deque = deque(maxlen=TAIL_LINES)
    events: queue.Queue = queue.Queue()
    readers = [
        threading.Thread(target=_pump, args=(proc.stdout, out_tail, events, parse_progress), daemon=True),
        threading.Thread(target=_pump, args=(proc.stderr, err_tail, events, parse_progress), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        _supervise(proc, readers, events, ctx, name=name, deadline=started + timeout_s, timeout_s=timeout_s)
    finally:
        # Kill the group while it still exists: the slicer itself, or helpers that hold its output.
        if proc.poll() is None or any(r.is_alive() for r in readers):
            kill_group(proc)
        proc.wait()
        ctx.detach(proc)
        for reader, stream in zip(readers, (proc.stdout, proc.stderr)):
            reader.join(timeout=_DRAIN_S)
            # A reader still blocked holds the stream's lock: closing would hang. That happens only if
            # a helper left our process group; the daemon thread ends when that helper closes the pipe.
            if not reader.is_alive():
                stream.close()

    result = RunResult(proc.returncode, list(out_tail), list(err_tail), time.monotonic() - started)
    if result.returncode != 0:
        raise _exit_error(name, result, invalid_exit_codes)
    return result


def _supervise(proc, readers, events: queue.Queue, ctx: StageContext, *, name: str, deadline: float, timeout_s: float) -> None:
    """Forward progress until the process and its output are done; raise on cancel or timeout."""
    reported = -1.0
    exited_at = None
    while True:
        latest = None
        try:
            latest = events.get(timeout=_POLL_S)
            while True:
                latest = events.get_nowait()
        except queue.Empty:
            pass
        if ctx.cancelled:
            kill_group(proc)
            raise Cancelled(STAGE)
        if latest is not None:
            fraction, message = latest
            fraction = max(0.0, min(1.0, float(fraction)))
            if fraction >= reported + _MIN_PROGRESS_STEP:
                reported = fraction
                ctx.report(STAGE, fraction, f"{name}: {message}")
        now = time.monotonic()
        if proc.poll() is not None:
            exited_at = exited_at or now
            if not any(r.is_alive() for r in readers) or now - exited_at > _DRAIN_S:
                return
        elif now > deadline:
            kill_group(proc)
            raise AgentError(
                STAGE,
                f"{name} did not finish within {timeout_s:g} s and was stopped",
                reason="failed",
                hint="try a coarser quality, a simpler part, or a longer slicing timeout in the settings",
            )


def _exit_error(name: str, result: RunResult, invalid_exit_codes: tuple) -> AgentError:
    code = result.returncode
    if code < 0:
        try:
            how = f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"was killed by signal {-code}"
    else:
        how = f"exited with code {code}"
    tail = result.tail()
    message = f"{name} {how}" + (f": {tail}" if tail else " without a message")
    if code in invalid_exit_codes:
        return AgentError(STAGE, message, reason="invalid")
    return AgentError(STAGE, message, reason="failed", hint="the slicer's last output is in the message")
