"""The design worker: one low-priority child process that builds and checks parts for the plugin.

Why a process: building a part (manifold3d, trimesh, numpy) holds the GIL for up to seconds, and
OctoPrint's serial loop, which feeds the printer, needs the GIL to keep its buffer full. In a
child at ``nice 10`` the printer does not wait for the designer (BENCHMARKS.md, "printer
stutter"), and the child's memory is not OctoPrint's. It stays up between jobs, so the heavy
imports are paid once, and exits after ``IDLE_EXIT_S`` without work to give its memory back.

Protocol: one JSON object per line. The parent sends ``{"id", "task", "args"}``; the child
answers ``{"id", "progress", "message"}`` any number of times, then ``{"id", "ok": true,
"result"}`` or ``{"id", "ok": false, "error": AgentError.to_dict()}``. Cancel and timeout kill
the child (its work cannot be interrupted cleanly mid-boolean); the next call starts a new one.

    python -m octoprint_aiagent.agent.design_worker
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from typing import Callable, Optional

from ..model.errors import AgentError, Cancelled
from ..model.progress import StageContext
from ..slicing.runner import NICENESS, child_environment, die_with_parent, kill_group

IDLE_EXIT_S = 600.0  # a worker without work for this long exits; the next job starts another
POLL_S = 0.1
STDERR_LINES = 20


def _tasks() -> dict[str, Callable[..., dict]]:
    from .design import design_part
    from .inspect import inspect_part

    return {"design": design_part, "inspect": inspect_part}


class DesignWorker:
    """The parent's handle on the child. One call at a time (the job runner has one worker)."""

    def __init__(self, idle_exit_s: float = IDLE_EXIT_S):
        self.idle_exit_s = idle_exit_s
        self._proc: Optional[subprocess.Popen] = None
        self._answers: queue.Queue = queue.Queue()
        self._stderr: deque = deque(maxlen=STDERR_LINES)
        self._lock = threading.Lock()
        self._next_id = 0
        self.started = 0  # processes started, for tests and metrics

    @property
    def pid(self) -> Optional[int]:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def call(self, task: str, args: dict, ctx: StageContext, *, stage: str, timeout_s: float) -> dict:
        """Run ``task`` in the child; forward its progress to ``ctx`` as ``stage``. Raises the
        task's AgentError, Cancelled on cancel, AgentError(reason "failed") on a timeout or a
        child that died."""
        with self._lock:
            ctx.check(stage)
            proc = self._ensure_started()
            self._next_id += 1
            call_id = self._next_id
            ctx.attach(proc)  # cancel kills the child at once, even mid-boolean
            try:
                proc.stdin.write(json.dumps({"id": call_id, "task": task, "args": args}) + "\n")
                proc.stdin.flush()
                return self._await(proc, call_id, ctx, stage, time.monotonic() + timeout_s, timeout_s)
            except (BrokenPipeError, OSError) as exc:
                self._forget(proc)
                raise AgentError(stage, f"the design process could not take the work: {exc}", reason="failed") from exc
            finally:
                ctx.detach(proc)

    def close(self) -> None:
        with self._lock:
            if self._proc is not None:
                self._forget(self._proc)

    # -- inside the lock ---------------------------------------------------------------------

    def _ensure_started(self) -> subprocess.Popen:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._answers = queue.Queue()
        self._stderr.clear()
        argv = [sys.executable, "-m", __name__, "--idle-exit", repr(self.idle_exit_s)]
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            errors="replace", env=child_environment(), start_new_session=True, preexec_fn=die_with_parent,
        )  # fmt: skip
        self.started += 1
        answers, lines = self._answers, self._stderr
        threading.Thread(target=_read_lines, args=(self._proc.stdout, answers.put, _EOF), daemon=True).start()
        threading.Thread(target=_read_lines, args=(self._proc.stderr, lines.append), daemon=True).start()
        return self._proc

    def _await(self, proc, call_id: int, ctx: StageContext, stage: str, deadline: float, timeout_s: float) -> dict:
        while True:
            try:
                line = self._answers.get(timeout=POLL_S)
            except queue.Empty:
                line = None
            if ctx.cancelled:
                self._forget(proc)
                raise Cancelled(stage)
            if line is None:
                if proc.poll() is not None and self._answers.empty():
                    raise self._died(proc, stage)
                if time.monotonic() > deadline:
                    self._forget(proc)
                    raise AgentError(stage, f"designing took longer than {timeout_s:g} s and was stopped", reason="failed",
                                     hint="describe a simpler part, or fewer copies")
                continue
            if line is _EOF:
                raise self._died(proc, stage)
            answer = json.loads(line)
            if answer.get("id") != call_id:
                continue  # an answer to a call that was given up on
            if "progress" in answer:
                ctx.report(stage, float(answer["progress"]), str(answer.get("message", "")))
            elif answer.get("ok"):
                return answer["result"]
            else:
                error = answer["error"]
                raise AgentError(error["stage"], error["message"], reason=error["reason"], hint=error.get("hint", ""))

    def _died(self, proc, stage: str) -> AgentError:
        code = proc.wait()
        self._proc = None
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        tail = " | ".join(list(self._stderr)[-3:])
        return AgentError(stage, f"the design process {how}" + (f": {tail}" if tail else ""), reason="failed",
                          hint="a new design process starts with the next job; if this repeats, see octoprint.log")

    def _forget(self, proc) -> None:
        kill_group(proc)
        proc.wait()
        if self._proc is proc:
            self._proc = None


_EOF = object()


def _read_lines(stream, put: Callable, end: object = None) -> None:
    for raw in stream:
        put(raw.rstrip("\n"))
    if end is not None:
        put(end)


# -- the child ------------------------------------------------------------------------------


def _serve(idle_exit_s: float) -> int:
    os.nice(NICENESS)
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # a library printing to stdout must not corrupt the protocol
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_read_lines, args=(sys.stdin, lines.put, _EOF), daemon=True).start()
    tasks = _tasks()

    def send(message: dict) -> None:
        protocol.write(json.dumps(message) + "\n")

    while True:
        try:
            line = lines.get(timeout=idle_exit_s)
        except queue.Empty:
            return 0  # idle: give the memory back
        if line is _EOF:
            return 0
        request = json.loads(line)
        call_id = request["id"]

        def report(fraction: float, message: str, call_id=call_id) -> None:
            send({"id": call_id, "progress": fraction, "message": message})

        try:
            result = tasks[request["task"]](**request["args"], report=report)
            send({"id": call_id, "ok": True, "result": result})
        except AgentError as exc:
            send({"id": call_id, "ok": False, "error": exc.to_dict()})
        except Exception as exc:  # a bug in a builder is still an answer, not a dead worker
            error = AgentError("designing", f"unexpected error: {type(exc).__name__}: {exc}", reason="failed")
            send({"id": call_id, "ok": False, "error": error.to_dict()})


if __name__ == "__main__":
    idle = float(sys.argv[sys.argv.index("--idle-exit") + 1]) if "--idle-exit" in sys.argv else IDLE_EXIT_S
    sys.exit(_serve(idle))
