"""The job store without OctoPrint: persistence, restart recovery, bounded history."""

from __future__ import annotations

import sqlite3

from octoprint_aiagent.agent.jobs import Job, JobStore


def test_jobs_survive_a_reopen_and_running_ones_are_marked_interrupted(tmp_path):
    path = str(tmp_path / "jobs.sqlite3")
    store = JobStore(path)
    done = store.put(Job(id="a", user="u", request={"prompt": "a cube"}, state="ready"))
    store.put(Job(id="b", user="u", request={"prompt": "a ball"}, state="slicing", stage="slicing"))
    store.close()

    reopened = JobStore(path)
    interrupted = reopened.mark_interrupted()
    assert [j.id for j in interrupted] == ["b"]
    b = reopened.get("b")
    assert b.state == "failed" and b.error == {"stage": "slicing", "message": "interrupted by restart", "reason": "failed", "hint": "start the job again"}
    assert reopened.get("a").to_dict() == done.to_dict()
    reopened.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_listing_is_newest_first_and_paginated(tmp_path):
    store = JobStore(str(tmp_path / "jobs.sqlite3"))
    for i in range(5):
        store.put(Job(id=f"j{i}", user="u", request={}, state="ready", created=1000.0 + i))
    page, total = store.list(offset=1, limit=2)
    assert total == 5 and [j.id for j in page] == ["j3", "j2"]
    store.close()


def test_history_is_bounded_but_running_jobs_are_never_evicted(tmp_path):
    path = str(tmp_path / "jobs.sqlite3")
    store = JobStore(path, keep=3)
    store.put(Job(id="running", user="u", request={}, state="slicing", created=1.0))
    for i in range(5):
        store.put(Job(id=f"f{i}", user="u", request={}, state="done", created=10.0 + i))
    ids = {j.id for j in store.find(lambda j: True)}
    assert ids == {"running", "f3", "f4"}
    store.close()
    with sqlite3.connect(path) as db:
        assert {r[0] for r in db.execute("SELECT id FROM jobs")} == ids


def test_delete_removes_from_disk(tmp_path):
    path = str(tmp_path / "jobs.sqlite3")
    store = JobStore(path)
    store.put(Job(id="x", user="u", request={}, state="done"))
    assert store.delete("x").id == "x" and store.get("x") is None
    store.close()
    assert JobStore(path).get("x") is None
