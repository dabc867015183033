"""The design worker process: parts are built outside the calling process, at low priority, in a
process that stays up between jobs; cancel, a timeout and a dying worker each end the call with a
clear error, and the next call starts a fresh worker."""

from __future__ import annotations

import os
import signal
import threading
import time

import psutil
import pytest

from octoprint_aiagent.agent.design_worker import DesignWorker
from octoprint_aiagent.agent.pipeline import designer_in
from octoprint_aiagent.cad.mesh_io import read_stl
from octoprint_aiagent.language.parser import parse_prompt
from octoprint_aiagent.model.errors import AgentError, Cancelled
from octoprint_aiagent.model.printer import PrinterProfile
from octoprint_aiagent.model.progress import StageContext
from octoprint_aiagent.slicing.runner import NICENESS

SPEC = parse_prompt("a 30 mm cube").with_changes(material="PLA")


@pytest.fixture
def worker():
    w = DesignWorker()
    yield w
    w.close()


def design(worker, tmp_path, ctx=None, timeout_s=120.0, spec=SPEC):
    stl = str(tmp_path / "part.stl")
    return designer_in(worker, lambda: timeout_s)(spec, PrinterProfile(), stl, 0.2, ctx or StageContext()), stl


def test_designs_in_a_low_priority_child_that_stays_up(worker, tmp_path):
    progress = []
    report, stl = design(worker, tmp_path, StageContext(on_progress=lambda *a: progress.append(a)))
    assert report["ok"] and read_stl(stl).is_watertight
    pid = worker.pid
    assert pid and pid != os.getpid()
    assert psutil.Process(pid).nice() == NICENESS
    assert [stage for stage, _, _ in progress] and {stage for stage, _, _ in progress} == {"designing"}
    design(worker, tmp_path)
    assert worker.pid == pid and worker.started == 1


def test_errors_of_the_design_come_back_as_they_are(worker, tmp_path):
    too_big = parse_prompt("a box 300 x 30 x 10 mm").with_changes(material="PLA")
    report, _ = design(worker, tmp_path, spec=too_big)
    assert not report["ok"] and any(c["name"] == "fits_build_volume" and c["level"] == "error" for c in report["checks"])
    with pytest.raises(AgentError) as err:
        design(worker, tmp_path, spec=SPEC.with_changes(part={"cube": {"size": 20}, "features": [{"hole": {"diameter": 30}}]}))
    assert err.value.stage == "designing" and err.value.reason == "invalid" and "as wide as or wider than" in err.value.message


def test_cancel_kills_the_worker_at_once_and_the_next_call_starts_another(worker, tmp_path):
    ctx = StageContext()
    threading.Timer(0.2, ctx.cancel).start()  # during the first call's imports, which take longer
    started = time.monotonic()
    with pytest.raises(Cancelled):
        design(worker, tmp_path, ctx)
    assert time.monotonic() - started < 5
    assert worker.pid is None
    report, _ = design(worker, tmp_path)
    assert report["ok"] and worker.started == 2


def test_a_design_slower_than_the_timeout_is_stopped(worker, tmp_path):
    with pytest.raises(AgentError) as err:
        design(worker, tmp_path, timeout_s=0.05)
    assert err.value.reason == "failed" and "longer than 0.05 s" in err.value.message
    assert worker.pid is None
    assert design(worker, tmp_path)[0]["ok"]


def test_a_worker_that_dies_mid_design_is_a_clear_failure(worker, tmp_path):
    design(worker, tmp_path)  # warm: the next call is quick, so kill it as it starts
    victim = worker.pid

    def kill_soon():
        time.sleep(0.02)
        os.kill(victim, signal.SIGKILL)

    big = parse_prompt("a 12 tooth gear, 30 mm across").with_changes(material="PLA", quantity=40)
    threading.Thread(target=kill_soon).start()
    with pytest.raises(AgentError) as err:
        design(worker, tmp_path, spec=big)
    assert err.value.reason == "failed" and "killed by signal 9" in err.value.message
    assert design(worker, tmp_path)[0]["ok"] and worker.pid != victim


def test_an_idle_worker_exits_and_gives_its_memory_back(tmp_path):
    worker = DesignWorker(idle_exit_s=0.5)
    try:
        design(worker, tmp_path)
        pid = worker.pid
        psutil.Process(pid).wait(timeout=10)
        assert worker.pid is None
        assert design(worker, tmp_path)[0]["ok"] and worker.started == 2
    finally:
        worker.close()
