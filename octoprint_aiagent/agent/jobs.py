"""Jobs and their history: an in-memory view backed by SQLite in WAL mode.

Reads come from memory. Writes are queued to one writer thread that commits them in batches, so
request threads never wait on the disk. On start, a job that was mid-stage when OctoPrint stopped
is marked failed ("interrupted by restart"): never lost, never stuck.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import Optional

ACTIVE_STATES = ("queued", "understanding", "designing", "checking", "slicing", "printing")
FINAL_STATES = ("ready", "done", "failed", "cancelled")
STATES = ACTIVE_STATES[:-1] + ("ready", "printing", "done", "failed", "cancelled")


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
    def from_dict(cls, data: dict) -> "Job":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


class JobStore:
    def __init__(self, path: str, keep: int = 500):
        self._path = path
        self._keep = keep
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._writes: "queue.Queue" = queue.Queue()
        db = self._connect()
        db.execute("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, created REAL, data TEXT NOT NULL)")
        for (data,) in db.execute("SELECT data FROM jobs ORDER BY created"):
            job = Job.from_dict(json.loads(data))
            self._jobs[job.id] = job
        db.commit()
        db.close()
        self._writer = threading.Thread(target=self._write_loop, name="aiagent-jobstore", daemon=True)
        self._writer.start()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
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

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every write queued so far is on disk."""
        done = threading.Event()
        self._writes.put(("flush", done))
        done.wait(timeout)

    def close(self) -> None:
        self.flush()
        self._writes.put(("stop", None))
        self._writer.join(10)

    def _write_loop(self) -> None:
        db = self._connect()
        try:
            while True:
                batch = [self._writes.get()]
                time.sleep(0.05)  # let a burst of updates from one stage land in one transaction
                while True:
                    try:
                        batch.append(self._writes.get_nowait())
                    except queue.Empty:
                        break
                if self._apply(db, batch):
                    return
        finally:
            db.close()

    def _apply(self, db: sqlite3.Connection, batch: list) -> bool:
        latest: dict[str, Optional[Job]] = {}
        events, stop = [], False
        for op, arg in batch:
            if op == "put":
                latest[arg.id] = arg
            elif op == "delete":
                latest[arg] = None
            elif op == "flush":
                events.append(arg)
            else:
                stop = True
        with db:
            for job_id, job in latest.items():
                if job is None:
                    db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
                else:
                    db.execute(
                        "INSERT OR REPLACE INTO jobs (id, created, data) VALUES (?, ?, ?)",
                        (job.id, job.created, json.dumps(job.to_dict())),
                    )
        for event in events:
            event.set()
        return stop
