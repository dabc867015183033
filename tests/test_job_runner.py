"""The job runner without OctoPrint: a fake ``JobHost`` (the protocol exists for this) and a real
job store on disk. Whatever breaks in a job ends that job as failed with a reason, and the one
worker goes on to the next job; a store that cannot write refuses new jobs and recovers."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass, field

import pytest

from octoprint_aiagent.agent.job_request import JobRequest
from octoprint_aiagent.agent.jobs import FINAL_STATES, JobStore
from octoprint_aiagent.agent.pipeline import Pipeline, design_in_process
from octoprint_aiagent.agent.runner import JobRunner
from octoprint_aiagent.language.parser import parse_prompt
from octoprint_aiagent.model.errors import AgentError
from octoprint_aiagent.model.printer import PrinterProfile

CUBE = JobRequest(prompt="a 10 mm cube", quality="draft")


@dataclass
class FakeHost:
    """Files land in a dict; ``fail_store`` makes storing raise what it holds."""

    files: dict = field(default_factory=dict)
    fail_store: object = None
    published: list = field(default_factory=list)

    def printer_profile(self):
        return PrinterProfile()

    def store_file(self, name, path, metadata):
        if self.fail_store is not None:
            raise self.fail_store
        self.files[name] = open(path, "rb").read()
        return f"aiagent/{name}"

    def remove_file(self, path):
        self.files.pop(path.split("/")[-1], None)

    def start_print(self, path, user):
        raise AgentError("printing", "no printer here", reason="conflict")

    def cancel_print(self, path, user):
        pass

    def publish(self, job):
        self.published.append(job.state)

    def print_without_asking(self):
        return False


def understand(prompt, ctx):
    return parse_prompt(prompt)


@pytest.fixture
def make_runner(tmp_path):
    runners = []

    def make(host=None, pipeline=None, **store_args):
        store = JobStore(str(tmp_path / "jobs.sqlite3"), **store_args)
        pipeline = pipeline or Pipeline(understand=understand, designer=design_in_process)
        runner = JobRunner(store, pipeline, host or FakeHost(), max_queued=50, per_minute=1000)
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.close()


def finished(runner, job_id, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = runner.get(job_id)
        if job.state in FINAL_STATES:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} is still {runner.get(job_id).state}")


def test_a_job_is_made_and_its_files_stored(make_runner):
    host = FakeHost()
    runner = make_runner(host)
    job = finished(runner, runner.submit(CUBE, "u").id)
    assert job.state == "ready", job.error
    assert set(host.files) == {f"part-{job.id}.stl", f"part-{job.id}.gcode"}


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), RuntimeError("file manager exploded"),
                                     AgentError("storing", "could not store", reason="failed")])
def test_a_failure_while_storing_fails_that_job_and_the_worker_goes_on(make_runner, failure):
    host = FakeHost(fail_store=failure)
    runner = make_runner(host)
    job = finished(runner, runner.submit(CUBE, "u").id)
    assert job.state == "failed" and job.files == {}
    assert str(failure.args[-1] if not isinstance(failure, AgentError) else failure.message) in job.error["message"]
    host.fail_store = None
    assert finished(runner, runner.submit(CUBE, "u").id).state == "ready"


class Boom(Exception):
    pass


@pytest.mark.parametrize("stage", ["understanding", "designing"])
@pytest.mark.parametrize("error", [Boom("a bug"), KeyError("missing"), ZeroDivisionError("division by zero"), RecursionError("deep")])
def test_any_exception_in_a_stage_fails_the_job_with_that_stage_and_the_worker_goes_on(make_runner, stage, error):
    calls = {"n": 0}

    def flaky(real):
        def wrapped(*args):
            calls["n"] += 1
            if calls["n"] == 1:
                raise error
            return real(*args)
        return wrapped

    pipeline = Pipeline(understand=flaky(understand) if stage == "understanding" else understand,
                        designer=flaky(design_in_process) if stage == "designing" else design_in_process)
    runner = make_runner(pipeline=pipeline)
    job = finished(runner, runner.submit(CUBE, "u").id)
    assert job.state == "failed" and job.error["stage"] == stage
    assert type(error).__name__ in job.error["message"]
    assert finished(runner, runner.submit(CUBE, "u").id).state == "ready"


def test_an_exception_outside_the_stages_still_ends_the_job(make_runner):
    class BrokenHost(FakeHost):
        def printer_profile(self):
            raise ValueError("no profile")

    runner = make_runner(BrokenHost())
    job = finished(runner, runner.submit(CUBE, "u").id)
    assert job.state == "failed" and "ValueError" in job.error["message"]


def test_a_store_that_cannot_write_refuses_new_jobs_then_recovers(make_runner, tmp_path):
    runner = make_runner(busy_timeout_s=0.05)
    first = finished(runner, runner.submit(CUBE, "u").id)
    # Another connection holds the database: every write of the store fails (as on a full or
    # locked disk) until it lets go.
    blocker = sqlite3.connect(str(tmp_path / "jobs.sqlite3"), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        runner.store.put(first.__class__(**dict(first.to_dict(), message="changed while locked")))
        deadline = time.monotonic() + 10
        while runner.store.problem is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert runner.store.problem and "cannot be saved" in runner.store.problem
        with pytest.raises(AgentError) as refused:
            runner.submit(CUBE, "u")
        assert refused.value.reason == "unavailable" and refused.value.http_status == 503
        assert "cannot be saved" in refused.value.message
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert runner.store.flush(timeout=30) and runner.store.problem is None
    with sqlite3.connect(str(tmp_path / "jobs.sqlite3")) as db:  # the change made while locked was kept
        (data,) = db.execute("SELECT data FROM jobs WHERE id = ?", (first.id,)).fetchone()
        assert "changed while locked" in data
    assert finished(runner, runner.submit(CUBE, "u").id).state == "ready"


def test_flush_says_when_it_did_not_finish(tmp_path):
    store = JobStore(str(tmp_path / "jobs.sqlite3"), busy_timeout_s=0.05)
    blocker = sqlite3.connect(str(tmp_path / "jobs.sqlite3"), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        from octoprint_aiagent.agent.jobs import Job

        store.put(Job(id="x", user="u", request={}))
        started = time.monotonic()
        assert store.flush(timeout=0.5) is False
        assert time.monotonic() - started < 2  # the timeout is honoured
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.flush(timeout=30)
    store.close()


def test_concurrent_submissions_all_finish(make_runner):
    runner = make_runner()
    ids = []
    threads = [threading.Thread(target=lambda: ids.append(runner.submit(CUBE, "u").id)) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {finished(runner, i).state for i in ids} == {"ready"}
