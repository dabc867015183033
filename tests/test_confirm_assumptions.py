"""Asking instead of guessing: a job whose part an LLM designed on sizes nobody stated waits, before
anything is sliced, for the user to see those sizes and confirm or correct them. The job runner
without OctoPrint (a fake host, a real job store on disk); the API and the tab are tested against
the real OctoPrint in test_llm_design_e2e.py."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import pytest

from octoprint_aiagent.agent.job_request import JobRequest
from octoprint_aiagent.agent.jobs import FINAL_STATES, JobStore
from octoprint_aiagent.agent.pipeline import Pipeline, design_in_process
from octoprint_aiagent.agent.runner import JobRunner
from octoprint_aiagent.language.parser import parse_prompt
from octoprint_aiagent.model.errors import AgentError
from octoprint_aiagent.model.spec import Assumption, DesignSpec

from .test_job_runner import FakeHost

WAITING = ("awaiting_assumptions",)

STAND = {"union": [{"box": {"length": 80, "width": 60, "height": 6}},
                   {"box": {"length": 80, "width": 8, "height": 60}, "translate": [0, 10, 6]}]}
CHOSEN = "not stated in the request; chosen by the LLM"


@dataclass
class AskingHost(FakeHost):
    confirm: bool = True

    def confirm_assumptions(self):
        return self.confirm


def llm_understand(prompt, ctx):
    """What the design loop returns for "a phone stand": the LLM's part, resting on its choices."""
    return DesignSpec.from_dict({"part": STAND, "backend": "openai", "prompt": prompt, "assumptions": [
        {"field": "union[1].box.height", "value": 60.0, "reason": CHOSEN + " (back height)"},
        {"field": "union[0].box.width", "value": 60.0, "reason": CHOSEN}]})


def finished(runner, job_id, states=FINAL_STATES, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = runner.get(job_id)
        if job.state in states:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} is still {runner.get(job_id).state}")


@pytest.fixture
def runner(tmp_path):
    made = []

    def make(host, understand=llm_understand):
        r = JobRunner(JobStore(str(tmp_path / "jobs.sqlite3")), Pipeline(understand=understand, designer=design_in_process), host,
                      max_queued=50, per_minute=1000)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def test_an_llm_part_on_assumptions_waits_before_slicing_then_goes_on_with_the_users_values(runner):
    host = AskingHost()
    r = runner(host)
    job = finished(r, r.submit(JobRequest(prompt="a phone stand", quality="draft"), "u").id, states=WAITING)
    assert job.state == "awaiting_assumptions" and not job.active
    assert set(job.outputs["timings"]) == {"understanding", "designing", "checking"}
    assert set(host.files) == {f"part-{job.id}.stl"}  # the model for the preview; no G-code yet
    fields = {a["field"] for a in job.outputs["spec"]["assumptions"]}
    assert {"union[1].box.height", "union[0].box.width", "material"} <= fields

    confirmed = r.confirm(job.id, "u", {"union[1].box.height": 80})
    assert confirmed.state == "queued"
    done = finished(r, job.id)
    assert done.state == "ready", done.error
    spec = done.outputs["spec"]
    assert spec["part"]["union"][1]["box"]["height"] == 80.0 and spec["backend"] == "openai"
    assert "union[1].box.height" not in {a["field"] for a in spec["assumptions"]}
    assert "union[0].box.width" in {a["field"] for a in spec["assumptions"]}
    assert spec["notes"][-1] == "assumptions confirmed; set by the user: union[1].box.height 80"
    assert 86.0 in [round(v, 2) for v in done.outputs["report"]["bbox"]]  # 6 mm base + the 80 mm back, however it lies
    assert f"part-{job.id}.gcode" in host.files
    assert done.outputs["timings"]["understanding"] == job.outputs["timings"]["understanding"]  # the LLM's time is kept


def test_confirming_as_it_is_slices_the_part_as_designed(runner):
    r = runner(AskingHost())
    job = finished(r, r.submit(JobRequest(prompt="a phone stand", quality="draft"), "u").id, states=WAITING)
    r.confirm(job.id, "u", {})
    done = finished(r, job.id)
    assert done.state == "ready" and done.outputs["spec"]["part"] == job.outputs["spec"]["part"]
    assert done.outputs["spec"]["notes"][-1] == "assumptions confirmed"


@pytest.mark.parametrize("values, words", [
    ({"union[5].box.height": 80}, "'union[5].box.height' is not an assumption of this job"),
    ({"union[1].box.height": "tall"}, "union[1].box.height must be a number"),
    ({"union[1].box.height": 5000}, "it must be from 0.1 to 1000 mm"),
    ({"material": "CHEESE"}, "unknown material 'CHEESE'"),
])
def test_a_wrong_value_is_refused_and_the_job_keeps_waiting(runner, values, words):
    r = runner(AskingHost())
    job = finished(r, r.submit(JobRequest(prompt="a phone stand", quality="draft"), "u").id, states=WAITING)
    with pytest.raises(AgentError) as err:
        r.confirm(job.id, "u", values)
    assert words in err.value.message and err.value.reason == "invalid" and err.value.stage == "confirming"
    assert r.get(job.id).state == "awaiting_assumptions"


def test_only_a_waiting_job_can_be_confirmed_and_a_waiting_job_can_be_cancelled(runner):
    r = runner(AskingHost())
    job = finished(r, r.submit(JobRequest(prompt="a phone stand", quality="draft"), "u").id, states=WAITING)
    cancelled = r.cancel(job.id, "u")
    assert cancelled.state == "cancelled" and cancelled.error["reason"] == "cancelled"
    with pytest.raises(AgentError) as err:
        r.confirm(job.id, "u", {})
    assert err.value.reason == "conflict" and "only a job waiting for its assumptions" in err.value.message


@pytest.mark.parametrize("host, understand", [
    (AskingHost(confirm=False), llm_understand),  # the setting is off
    (AskingHost(), lambda prompt, ctx: parse_prompt("an open box 60 x 40 x 20 mm")),  # offline: as always (its wall is a default)
    (AskingHost(), lambda prompt, ctx: replace(llm_understand(prompt, ctx), assumptions=(
        Assumption("material", "PLA", "default: the request names no material"),))),  # the LLM guessed nothing
])
def test_other_jobs_do_not_wait(runner, host, understand):
    r = runner(host, understand)
    job = finished(r, r.submit(JobRequest(prompt="a phone stand", quality="draft"), "u").id)
    assert job.state == "ready", job.error
