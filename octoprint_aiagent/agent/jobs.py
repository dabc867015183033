"""Jobs and their history: an in-memory view backed by SQLite in WAL mode.

Reads come from memory. Writes are queued to one writer thread that commits them in batches, so
request threads never wait on the disk. On start, a job that was mid-stage when OctoPrint stopped
is marked failed ("interrupted by restart"): never lost, never stuck.

A store that cannot write (disk full, database locked, removed) says so: ``problem`` holds the
reason, new jobs are refused with it, and the writer keeps the unwritten changes and retries, so
that nothing is lost once the disk can take them again.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import Optional

RETRY_FIRST_S = 0.5
RETRY_MAX_S = 10.0
_log = logging.getLogger(__name__)

ACTIVE_STATES = ("queued", "understanding", "designing", "checking", "slicing", "printing")
FINAL_STATES = ("ready", "done", "failed", "cancelled")
# Waiting for the user: an LLM's part whose assumptions are to be confirmed before it is sliced.
# Neither running (nothing to interrupt on a restart) nor final (confirm goes on).
AWAITING_ASSUMPTIONS = "awaiting_assumptions"
WAITING_STATES = (AWAITING_ASSUMPTIONS,)
STATES = ACTIVE_STATES[:-1] + WAITING_STATES + ("ready", "printing", "done", "failed", "cancelled")


@dataclass(frozen=True)
class Job:
    id: str
    user: str
    request: dict
    state: str = "queued"
    stage: str = ""
    progress: float = 0.0
    message: str = ""
    outputs: dict = field(default_factory=dict)  # JobOutputs.to_dict()
    files: dict = field(default_factory=dict)  # {"stl": path, "gcode": path} in OctoPrint's storage
    error: Optional[dict] = None  # ErrorInfo.to_dict()
    parent: Optional[str] = None
    print_requested: bool = False
    awaiting_confirmation: bool = False
    print_progress: Optional[float] = None
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex[:12]

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Job:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


class JobStore:
    def __init__(self, path: str, keep: int = 500, busy_timeout_s: float = 30.0):
        self._path = path
        self._keep = keep
        self._busy_timeout_s = busy_timeout_s
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._writes: queue.Queue = queue.Queue()
        self._problem: Optional[str] = None
        db = self._connect()
        for (data,) in db.execute("SELECT data FROM jobs ORDER BY created"):
            job = Job.from_dict(json.loads(data))
            self._jobs[job.id] = job
        db.commit()
        db.close()
        self._writer = threading.Thread(target=self._write_loop, name="aiagent-jobstore", daemon=True)
        self._writer.start()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, timeout=self._busy_timeout_s)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, created REAL, data TEXT NOT NULL)")
        return db

    # -- reads (memory) ----------------------------------------------------------------------

    def get(self, job_id: str) -> Optional[Job]:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self, offset: int = 0, limit: int = 20, user: Optional[str] = None) -> tuple[list[Job], int]:
        """Newest first; returns (page, total)."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if user is None or j.user == user]
        jobs.sort(key=lambda j: j.created, reverse=True)
        return jobs[offset : offset + limit], len(jobs)

    def find(self, predicate) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if predicate(j)]

    # -- writes (memory now, disk in the background) -----------------------------------------

    def put(self, job: Job) -> Job:
        job = replace(job, updated=time.time())
        with self._lock:
            self._jobs[job.id] = job
            evicted = self._evict()
        self._writes.put(("put", job))
        for old in evicted:
            self._writes.put(("delete", old))
        return job

    def update(self, job_id: str, **changes) -> Optional[Job]:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            return self.put(replace(job, **changes))

    def delete(self, job_id: str) -> Optional[Job]:
        with self._lock:
            job = self._jobs.pop(job_id, None)
        if job is not None:
            self._writes.put(("delete", job_id))
        return job

    def _evict(self) -> list[str]:
        """Drop the oldest finished jobs beyond ``keep``: history is bounded like everything else."""
        if len(self._jobs) <= self._keep:
            return []
        finished = sorted((j for j in self._jobs.values() if not j.active), key=lambda j: j.created)
        evicted = [j.id for j in finished[: len(self._jobs) - self._keep]]
        for job_id in evicted:
            del self._jobs[job_id]
        return evicted

    def mark_interrupted(self) -> list[Job]:
        """After a restart: every job that was running is failed, with the stage it was in."""
        interrupted = []
        for job in self.find(lambda j: j.active):
            error = {"stage": job.stage or job.state, "message": "interrupted by restart", "reason": "failed", "hint": "start the job again"}
            interrupted.append(self.put(replace(job, state="failed", error=error, message="interrupted by restart")))
        return interrupted

    @property
    def problem(self) -> Optional[str]:
        """Why the store cannot write now, or None when it can."""
        if not self._writer.is_alive():
            return "the job history writer has stopped; restart OctoPrint"
        return self._problem

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every write queued so far is on disk; False if that did not happen in time."""
        done = threading.Event()
        self._writes.put(("flush", done))
        return done.wait(timeout)

    def close(self) -> None:
        if not self.flush():
            _log.warning("Job history: %s; the last changes were not saved", self.problem or "the writer did not finish")
        self._writes.put(("stop", None))
        self._writer.join(10)

    def _write_loop(self) -> None:
        pending: dict[str, Optional[Job]] = {}  # written yet: job id -> latest state (None: delete)
        waiting: list[threading.Event] = []  # flushes that wait for ``pending`` to land
        retry_s = RETRY_FIRST_S
        stop = False
        while True:
            try:  # while writes fail, wake up to retry even if nothing new arrives
                batch = [self._writes.get(timeout=retry_s if pending else None)]
            except queue.Empty:
                batch = []
            time.sleep(0.05)  # let a burst of updates from one stage land in one transaction
            while True:
                try:
                    batch.append(self._writes.get_nowait())
                except queue.Empty:
                    break
            for op, arg in batch:
                if op == "put":
                    pending[arg.id] = arg
                elif op == "delete":
                    pending[arg] = None
                elif op == "flush":
                    waiting.append(arg)
                else:
                    stop = True
            try:
                self._apply(pending)
            except (sqlite3.Error, OSError) as exc:
                if self._problem is None:
                    _log.error("Job history: cannot write %s: %s; retrying", self._path, exc)
                self._problem = f"the job history cannot be saved ({exc})"
                if stop:
                    return  # OctoPrint is stopping: the jobs still in memory are all that is left
                retry_s = min(RETRY_MAX_S, retry_s * 2)
                continue
            if self._problem is not None:
                _log.info("Job history: writing again")
            self._problem, retry_s = None, RETRY_FIRST_S
            pending.clear()
            for event in waiting:
                event.set()
            waiting.clear()
            if stop:
                return

    def _apply(self, changes: dict) -> None:
        if not changes:
            return
        db = self._connect()
        try:
            with db:
                for job_id, job in changes.items():
                    if job is None:
                        db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
                    else:
                        db.execute(
                            "INSERT OR REPLACE INTO jobs (id, created, data) VALUES (?, ?, ?)",
                            (job.id, job.created, json.dumps(job.to_dict())),
                        )
        finally:
            db.close()
