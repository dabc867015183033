"""Runs jobs off the request threads: a bounded pool, a bounded queue, cancel, print follow-up.

The runner knows nothing of OctoPrint: the host gives it a ``JobHost`` for the printer profile,
file storage, printing and pushing updates to browsers.
"""

from __future__ import annotations

import collections
import logging
import queue
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional, Protocol

from ..llm.config import BACKEND_NAMES
from ..model.errors import AgentError
from ..model.progress import StageContext
from ..model.spec import DesignSpec, confirm_assumptions
from .job_request import JobRequest
from .jobs import AWAITING_ASSUMPTIONS, Job, JobStore
from .pipeline import JobOutputs, Pipeline

_log = logging.getLogger(__name__)


class JobHost(Protocol):
    def printer_profile(self): ...
    def store_file(self, name: str, path: str, metadata: dict) -> str: ...
    def remove_file(self, path: str) -> None: ...
    def start_print(self, path: str, user: str) -> None: ...
    def cancel_print(self, path: str, user: str) -> None: ...
    def publish(self, job: Job) -> None: ...
    def print_without_asking(self) -> bool: ...
    def confirm_assumptions(self) -> bool: ...


STORE_WAIT_S = 5.0  # how long a new job waits for the history to be on disk before the 202


@dataclass(frozen=True)
class _Work:
    """A job for the worker: from ``start`` on, continuing from ``outputs`` when it is given."""

    job_id: str
    request: JobRequest
    start: str = "understanding"
    outputs: Optional[JobOutputs] = None


class RateLimiter:
    """At most ``per_minute`` job submissions per user in any sliding minute."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._hits: dict[str, collections.deque] = {}
        self._lock = threading.Lock()

    def check(self, user: str) -> None:
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(user, collections.deque())
            while hits and now - hits[0] > 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                wait = int(60 - (now - hits[0])) + 1
                raise AgentError("queue", f"too many jobs: at most {self.per_minute} a minute", reason="busy", hint=f"retry in {wait} s", retry_after=wait)
            hits.append(now)


class JobRunner:
    def __init__(self, store: JobStore, pipeline: Pipeline, host: JobHost, workers: int = 1, max_queued: int = 20, per_minute: int = 30):
        self.store = store
        self.pipeline = pipeline
        self.host = host
        self.max_queued = max_queued
        self.limiter = RateLimiter(per_minute)
        # Daemon threads, not a ThreadPoolExecutor: Python joins an executor's threads before
        # OctoPrint's shutdown handlers run, so a SIGTERM would wait for a long slice to finish
        # instead of stopping it and recording the job as interrupted.
        self._queue: queue.Queue = queue.Queue()
        self._workers = [threading.Thread(target=self._work, name=f"aiagent-job-{i}", daemon=True) for i in range(workers)]
        for worker in self._workers:
            worker.start()
        self._contexts: dict[str, StageContext] = {}
        self._lock = threading.Lock()
        self._closing = False

    # -- submitting --------------------------------------------------------------------------

    def submit(self, request: JobRequest, user: str, print_after: bool = False, parent: Optional[str] = None) -> Job:
        self._check_store()
        with self._lock:
            self._check_room()
            self.limiter.check(user)
            job = Job(id=Job.new_id(), user=user, request=request.to_dict(), parent=parent, print_requested=print_after)
            self._contexts[job.id] = self._context(job.id)
        self._save(job)
        # The 202 promises the job exists, even if OctoPrint is killed next.
        if not self.store.flush(timeout=STORE_WAIT_S):
            with self._lock:
                self._contexts.pop(job.id, None)
            self.store.delete(job.id)
            self._check_store()
            raise AgentError("queue", "the job could not be saved in time", reason="unavailable", hint="retry in a minute", retry_after=60)
        self._queue.put(_Work(job.id, request))
        return job

    def _check_room(self) -> None:
        waiting = len(self._contexts)
        if waiting >= self.max_queued:
            raise AgentError("queue", f"{waiting} jobs are already waiting", reason="busy", hint="retry in 30 s", retry_after=30)

    def _context(self, job_id: str) -> StageContext:
        return StageContext(on_progress=lambda stage, f, msg: self._progress(job_id, stage, f, msg))

    def _check_store(self) -> None:
        problem = self.store.problem
        if problem:
            raise AgentError("queue", f"no new jobs: {problem}", reason="unavailable",
                             hint="free disk space in OctoPrint's data folder; jobs start again once the history can be saved",
                             retry_after=60)

    def _progress(self, job_id: str, stage: str, fraction: float, message: str) -> None:
        job = self.store.get(job_id)
        if job is not None and job.active:
            self._save(replace(job, state=stage, stage=stage, progress=fraction, message=message))

    def _save(self, job: Job) -> Job:
        job = self.store.put(job)
        try:
            self.host.publish(job)
        except Exception:  # a browser that missed an update polls; the job goes on
            _log.exception("Could not push the update of job %s", job.id)
        return job

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                self._run(item)
            except Exception as exc:  # the only worker must outlive any job
                _log.exception("Job %s failed unexpectedly", item.job_id)
                self._fail(item.job_id, AgentError("job", f"unexpected error: {type(exc).__name__}: {exc}", reason="failed"), None)

    def _run(self, work: _Work) -> None:
        job_id, request = work.job_id, work.request
        ctx = self._contexts.get(job_id)
        workdir = Path(tempfile.mkdtemp(prefix=f"aiagent-{job_id}-"))
        outputs = work.outputs or JobOutputs()
        try:
            try:
                if ctx is None or ctx.cancelled:
                    raise AgentError("queued", "cancelled by the user", reason="cancelled")
                printer, name = self.host.printer_profile(), f"part-{job_id}"
                self.pipeline.run(request, printer, workdir, name, outputs, ctx, until="checking", start=work.start)
                if work.start == "understanding" and self._must_confirm(outputs.spec):
                    self._await_assumptions(job_id, outputs)
                    return
                self.pipeline.run(request, printer, workdir, name, outputs, ctx, start="slicing")
                files = self._store_outputs(job_id, outputs)
            except AgentError as exc:
                self._fail(job_id, exc, outputs)
                return
            except Exception as exc:
                _log.exception("Job %s failed unexpectedly", job_id)
                self._fail(job_id, AgentError("job", f"unexpected error: {type(exc).__name__}: {exc}", reason="failed"), outputs)
                return
            job = self.store.get(job_id)
            job = self._save(replace(job, state="ready", stage="", progress=1.0, message="ready to print", outputs=outputs.to_dict(), files=files))
            if job.print_requested:
                self._print_when_ready(job)
        finally:
            with self._lock:
                self._contexts.pop(job_id, None)
            shutil.rmtree(workdir, ignore_errors=True)

    def _must_confirm(self, spec: DesignSpec) -> bool:
        """An LLM's part that rests on sizes nobody stated waits for the user to see them first
        (the setting "confirm assumptions"); the offline parser's parts go on as they always have."""
        guessed = any(a.field != "material" for a in spec.assumptions)
        return guessed and spec.backend in BACKEND_NAMES and self.host.confirm_assumptions()

    def _await_assumptions(self, job_id: str, outputs: JobOutputs) -> None:
        files = self._store_outputs(job_id, outputs, gcode=False)  # the model, for the preview
        job = self.store.get(job_id)
        self._save(replace(job, state=AWAITING_ASSUMPTIONS, stage="", progress=1.0, message="confirm or correct the assumptions to go on",
                           outputs=outputs.to_dict(), files=files))

    def confirm(self, job_id: str, user: str, values: dict) -> Job:
        """The user has seen the assumptions of a job waiting for them, and set ``values`` for some
        ({field: value}): the part is designed again with them, checked and sliced."""
        job = self.get(job_id)
        if job.state != AWAITING_ASSUMPTIONS:
            raise AgentError("confirming", f"job {job_id} is {job.state}; only a job waiting for its assumptions can be confirmed",
                             reason="conflict")
        spec = confirm_assumptions(DesignSpec.from_dict(job.outputs["spec"]), values)
        outputs = JobOutputs(spec=spec, timings={k: v for k, v in (job.outputs.get("timings") or {}).items() if k == "understanding"})
        self._check_store()
        with self._lock:
            self._check_room()
            self._contexts[job_id] = self._context(job_id)
        job = self._save(replace(job, state="queued", stage="", progress=0.0, message=f"assumptions confirmed by {user}",
                                 outputs=outputs.to_dict()))
        self._queue.put(_Work(job_id, JobRequest(**job.request), start="designing", outputs=outputs))
        return job

    def _fail(self, job_id: str, exc: AgentError, outputs: Optional[JobOutputs]) -> None:
        """End a job as failed (or cancelled) with its reason, keeping the model made so far.
        Storing that model may fail too (the same full disk): the job still ends, saying so."""
        if self._closing:
            exc = AgentError(exc.stage, "interrupted by restart", reason="failed", hint="start the job again")
        message, files = exc.message, {}
        if outputs is not None:
            try:
                files = self._store_outputs(job_id, outputs, gcode=False)
            except Exception as store_exc:
                message += f" (the model could not be kept either: {getattr(store_exc, 'message', store_exc)})"
        job = self.store.get(job_id)
        if job is not None:
            error = dict(exc.to_dict(), message=message)
            state = "cancelled" if exc.reason == "cancelled" else "failed"
            self._save(replace(job, state=state, stage="", message=message, error=error,
                               outputs=outputs.to_dict() if outputs is not None else job.outputs, files=files))

    def _store_outputs(self, job_id: str, outputs: JobOutputs, gcode: bool = True) -> dict:
        """Put the finished files into the host's storage. A model is kept even when a later stage
        failed (nothing is lost); G-code only when it passed its check."""
        files = {}
        meta = {"job": job_id, "prompt": (outputs.spec.prompt if outputs.spec else "")}
        try:
            if outputs.stl_path and Path(outputs.stl_path).exists():
                files["stl"] = self.host.store_file(f"part-{job_id}.stl", outputs.stl_path, meta)
            if gcode and outputs.gcode_path and Path(outputs.gcode_path).exists():
                files["gcode"] = self.host.store_file(f"part-{job_id}.gcode", outputs.gcode_path, dict(meta, gcode=outputs.gcode))
        except Exception:
            for path in files.values():
                self.host.remove_file(path)
            raise
        return files

    # -- control -----------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        job = self.store.get(job_id)
        if job is None:
            raise AgentError("jobs", f"no job {job_id!r}", reason="not_found")
        return job

    def cancel(self, job_id: str, user: str) -> Job:
        job = self.get(job_id)
        if job.state == "printing":
            self.host.cancel_print(job.files.get("gcode"), user)
            return job
        if job.state == AWAITING_ASSUMPTIONS:
            error = AgentError("confirming", "cancelled by the user", reason="cancelled").to_dict()
            return self._save(replace(job, state="cancelled", stage="", message=error["message"], error=error))
        with self._lock:
            ctx = self._contexts.get(job_id)
        if ctx is None or not job.active:
            raise AgentError("jobs", f"job {job_id} is {job.state}; there is nothing to cancel", reason="conflict")
        ctx.cancel()
        return self._save(replace(job, message="cancelling..."))

    def delete(self, job_id: str, remove_files: bool = False) -> Job:
        job = self.get(job_id)
        if job.active:
            raise AgentError("jobs", f"job {job_id} is {job.state}; cancel it first", reason="conflict")
        if remove_files:
            for path in job.files.values():
                self.host.remove_file(path)
        self.store.delete(job_id)
        return job

    def print(self, job_id: str, user: str) -> Job:
        """The user's confirmed request to print a ready job."""
        job = self.get(job_id)
        if job.state not in ("ready", "done", "failed", "cancelled") or not job.files.get("gcode"):
            if job.state == "printing":
                raise AgentError("printing", "this job is already printing", reason="conflict")
            problem = (job.error or {}).get("message") if job.error else f"it is {job.state}"
            raise AgentError("printing", f"job {job_id} has no checked G-code to print: {problem}", reason="invalid" if job.error else "conflict")
        self.host.start_print(job.files["gcode"], user)
        return self._save(replace(job, state="printing", stage="printing", awaiting_confirmation=False, print_progress=0.0, error=None, message="printing"))

    def _print_when_ready(self, job: Job) -> None:
        if not self.host.print_without_asking():
            self._save(replace(job, awaiting_confirmation=True, message="ready: confirm to print"))
            return
        try:
            self.print(job.id, job.user)
        except AgentError as exc:
            # Not a failed job: the part is ready, the printer was not. Say so and keep it ready.
            self._save(replace(job, awaiting_confirmation=True, message=f"ready, not printed: {exc.message}"))

    # -- what the printer tells us -----------------------------------------------------------

    def on_print_event(self, event: str, path: Optional[str], reason: str = "") -> None:
        states = {"PrintDone": "done", "PrintFailed": "failed", "PrintCancelled": "cancelled"}
        for job in self.store.find(lambda j: j.state == "printing" and j.files.get("gcode") == path):
            if event == "PrintStarted":
                continue
            state = states.get(event)
            if state is None:
                continue
            error = None
            if state != "done":
                message = f"the print {'was cancelled' if state == 'cancelled' else 'failed'}" + (f": {reason}" if reason else "")
                error = {"stage": "printing", "message": message, "reason": state if state == "cancelled" else "failed", "hint": ""}
            self._save(replace(job, state=state, stage="", print_progress=1.0 if state == "done" else job.print_progress, error=error, message=state))

    def on_print_progress(self, path: str, percent: float) -> None:
        for job in self.store.find(lambda j: j.state == "printing" and j.files.get("gcode") == path):
            self._save(replace(job, print_progress=round(percent / 100.0, 3)))

    def close(self) -> None:
        """Stop now: running stages are killed and recorded as interrupted, not as cancelled."""
        self._closing = True
        with self._lock:
            contexts = list(self._contexts.values())
        for ctx in contexts:
            ctx.cancel()
        for _ in self._workers:
            self._queue.put(None)
        for worker in self._workers:
            worker.join(timeout=20)
        self.store.close()
