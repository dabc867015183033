"""Faults survived by the whole plugin in a real OctoPrint: a slicer that is missing, crashes or
hangs; a full disk while the G-code is written; the printer disconnecting mid-print; OctoPrint
stopped mid-job by SIGTERM and by SIGKILL. Afterwards every job is in the history with a true final
state, no half-written file is in OctoPrint's file list, and the jobs database passes
``PRAGMA integrity_check``.

The server runs with a PATH of its own: a fake ``prusa-slicer`` (a shell script whose behaviour
is a word in a file next to it) and the Python it runs on, nothing else; its TMPDIR, where jobs
work, is a small tmpfs when this machine lets us mount one. LLM faults are in
test_untrusted_llm.py; the slicer runner's own fault tests in tests/test_slicing_runner.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import psutil
import pytest

from ..octoprint_server import OctoPrintServer
from .helpers import FINAL, JOBS, all_jobs, configure, db_check, listed_files, printer_flags, private_server, restart, settle, submit, uploads

pytestmark = pytest.mark.octoprint

HANG_SECONDS = "613"  # a number only our fake slicer sleeps, to find it among the processes
FAKE_SLICER = f"""#!/bin/sh
# A stand-in for PrusaSlicer that fails on demand: the mode is in the file next to it.
# Shell built-ins and absolute paths only: the server's PATH holds this folder and Python.
read -r mode < "${{0%/*}}/mode"
case "$mode" in
  crash) echo "fake slicer: about to crash" >&2; kill -SEGV $$ ;;
  hang) echo "fake slicer: thinking forever"; exec /bin/sleep {HANG_SECONDS} ;;
  *) echo "fake slicer: unknown mode $mode" >&2; exit 3 ;;
esac
"""
TMPFS_SIZE = "32m"
STOP_TIMEOUT_S = 15.0  # how long a SIGTERM may take before the harness sends SIGKILL


def mount_tmpfs(path) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(path)], capture_output=True, check=False).returncode == 0


def hung_slicers() -> list:
    return [p for p in psutil.process_iter(["cmdline"]) if (p.info["cmdline"] or [])[-1:] == [HANG_SECONDS] and "sleep" in p.info["cmdline"][0]]


class Fixture:
    def __init__(self, server: OctoPrintServer, fakebin, tmp, env: dict, tmpfs: bool):
        self.server, self.fakebin, self.tmp, self.env, self.tmpfs = server, fakebin, tmp, env, tmpfs

    def slicer_mode(self, mode: str) -> None:
        (self.fakebin / "mode").write_text(mode)


@pytest.fixture(scope="module")
def faults(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    fakebin, tmp = root / "bin", root / "tmp"
    fakebin.mkdir()
    tmp.mkdir()
    slicer = fakebin / "prusa-slicer"
    slicer.write_text(FAKE_SLICER)
    slicer.chmod(0o755)
    (fakebin / "mode").write_text("crash")
    tmpfs = mount_tmpfs(tmp)
    env = {"PATH": os.pathsep.join((str(fakebin), os.path.dirname(sys.executable))), "TMPDIR": str(tmp)}
    try:
        with private_server(root / "octoprint", "faults", env=env) as server:
            configure(server, slicer="builtin", print_without_asking=False)
            yield Fixture(server, fakebin, tmp, env, tmpfs)
    finally:
        for proc in hung_slicers():
            proc.kill()
        if tmpfs:
            subprocess.run(["umount", "-l", str(tmp)], capture_output=True, check=False)


@pytest.fixture
def server(faults):
    """Each test starts with the built-in slicer, a connected idle printer, nothing printing."""
    server = faults.server
    if not printer_flags(server).get("operational"):
        server.connect_virtual_printer()
    configure(server, slicer="builtin", slicer_timeout=600, print_without_asking=False)
    yield server
    settle(server)
    if printer_flags(server).get("printing"):
        server.post("/api/job", {"command": "cancel"})
        server.wait_for(lambda: not printer_flags(server).get("printing"), 60, "print cancelled")


def assert_model_kept_gcode_not(server, job: dict) -> None:
    assert "gcode" not in job["files"]
    assert job["files"]["stl"] in listed_files(server)
    assert not any(p.endswith(f"part-{job['id']}.gcode") for p in uploads(server))


# -- the slicer ----------------------------------------------------------------------------------


def test_slicer_binary_missing(server, faults):
    configure(server, slicer="prusaslicer")
    status = server.get("/plugin/aiagent/status").json()
    assert status["slicers"]["found"]["prusaslicer"] == str(faults.fakebin / "prusa-slicer")  # found at start...
    (faults.fakebin / "prusa-slicer").rename(faults.fakebin / "uninstalled")  # ...uninstalled since
    try:
        job = server.wait_for_job(submit(server, prompt="a 10 mm cube")["id"], FINAL, timeout=60)
        configure(server, slicer="auto")  # passes over it to the next that is there (no CuraEngine here)
        fallen_through = server.wait_for_job(submit(server, prompt="a 10 mm cube")["id"], FINAL, timeout=120)
    finally:
        (faults.fakebin / "uninstalled").rename(faults.fakebin / "prusa-slicer")
    assert job["state"] == "failed" and job["error"]["stage"] == "slicing"
    assert "PrusaSlicer is not available on this machine" in job["error"]["message"]
    assert "install PrusaSlicer" in job["error"]["hint"]
    assert_model_kept_gcode_not(server, job)
    assert fallen_through["state"] == "ready" and fallen_through["outputs"]["slicer"] == "builtin"


def test_slicer_crash(server, faults):
    faults.slicer_mode("crash")
    configure(server, slicer="prusaslicer")
    job = server.wait_for_job(submit(server, prompt="a 10 mm cube")["id"], FINAL, timeout=60)
    assert job["state"] == "failed" and job["error"]["stage"] == "slicing"
    assert "PrusaSlicer was killed by SIGSEGV" in job["error"]["message"]
    assert "about to crash" in job["error"]["message"]  # the slicer's last words are passed on
    assert_model_kept_gcode_not(server, job)


def test_slicer_hang_is_killed_at_the_timeout(server, faults):
    faults.slicer_mode("hang")
    configure(server, slicer="prusaslicer", slicer_timeout=10)  # the least the settings accept
    job = server.wait_for_job(submit(server, prompt="a 10 mm cube")["id"], FINAL, timeout=60)
    assert job["state"] == "failed" and job["error"]["stage"] == "slicing"
    assert "did not finish within 10 s and was stopped" in job["error"]["message"]
    assert job["error"]["hint"]
    assert 10 <= job["outputs"]["timings"]["slicing"] < 30
    assert hung_slicers() == []  # killed, with its whole process group
    assert_model_kept_gcode_not(server, job)


def test_disk_full_while_writing_gcode(server, faults):
    if not faults.tmpfs:
        pytest.skip("mounting a tmpfs needs root here; the disk-full test runs where it can")
    stat = os.statvfs(faults.tmp)
    filler = faults.tmp / "filler"
    with open(filler, "wb") as f:  # leave 64 kB: room for the STL, not for the G-code
        os.posix_fallocate(f.fileno(), 0, stat.f_bavail * stat.f_frsize - 64 * 1024)
    try:
        job = server.wait_for_job(submit(server, prompt="a 40 mm cube")["id"], FINAL, timeout=120)
    finally:
        filler.unlink()
    assert job["state"] == "failed" and job["error"]["stage"] == "slicing", job
    assert "No space left on device" in job["error"]["message"]
    assert_model_kept_gcode_not(server, job)
    assert [p.name for p in faults.tmp.iterdir()] == []  # the job's work folder is gone too
    # Space back, work back.
    again = server.wait_for_job(submit(server, prompt="a 40 mm cube")["id"], FINAL, timeout=120)
    assert again["state"] == "ready", again


# -- the printer ---------------------------------------------------------------------------------


def test_printer_disconnecting_mid_print(server):
    configure(server, print_without_asking=True)
    job = submit(server, prompt="a 20 mm cube", print=True)
    server.wait_for_job(job["id"], ("printing",) + FINAL, timeout=120)
    server.wait_for(lambda: printer_flags(server).get("printing"), 30, "the print to start")
    server.post("/api/connection", {"command": "disconnect"})
    failed = server.wait_for_job(job["id"], ("done", "failed", "cancelled"), timeout=60)
    assert failed["state"] == "failed", failed
    assert failed["error"]["stage"] == "printing" and "the print failed" in failed["error"]["message"]
    assert failed["files"]["gcode"] in listed_files(server)  # the G-code is kept: print it again
    server.connect_virtual_printer()
    r = server.post(f"{JOBS}/{job['id']}/print")
    assert r.status == 200, r.body  # and it can be printed again once the printer is back
    server.wait_for(lambda: printer_flags(server).get("printing"), 30, "the reprint to start")


# -- OctoPrint stopped mid-job ---------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_octoprint_stopped_mid_job_loses_nothing(server, faults, sig):
    # A ready job, a failed one, one printing, one in the slicer, one queued behind it.
    ready = server.wait_for_job(submit(server, prompt="a 10 mm cube")["id"], FINAL, timeout=120)
    failed = server.wait_for_job(submit(server, prompt="a 0 mm cube")["id"], FINAL, timeout=60)
    assert (ready["state"], failed["state"]) == ("ready", "failed")
    assert server.post(f"{JOBS}/{ready['id']}/print").status == 200
    server.wait_for(lambda: printer_flags(server).get("printing"), 30, "the print to start")
    faults.slicer_mode("hang")
    configure(server, slicer="prusaslicer")
    slicing = submit(server, prompt="a 12 mm cube")
    queued = submit(server, prompt="a 14 mm cube")
    server.wait_for(hung_slicers, 60, "the slicer to be running")
    before = all_jobs(server)
    assert before[slicing["id"]]["state"] == "slicing" and before[queued["id"]]["state"] == "queued"

    process = server.process
    restart(server, sig, env=faults.env, stop_timeout=STOP_TIMEOUT_S)
    if sig == signal.SIGTERM:  # a clean stop: prompt, and the slicer dies with the job
        assert process.returncode != -signal.SIGKILL, f"OctoPrint ignored SIGTERM for {STOP_TIMEOUT_S} s and was killed"
        assert hung_slicers() == []
    after = all_jobs(server)
    assert set(before) <= set(after)  # every job is still in the history
    printed = after[ready["id"]]
    assert printed["state"] in ("done", "failed"), printed  # it was printing: never "printing" now
    if printed["state"] == "failed":
        assert printed["error"]["stage"] == "printing" and printed["error"]["message"]
    else:  # the quick Virtual Printer may finish before OctoPrint stops: then OctoPrint says so too
        assert server.get(f"/api/files/local/{printed['files']['gcode']}").json()["prints"]["success"] >= 1
    assert after[ready["id"]]["files"]["gcode"] in listed_files(server)
    assert after[failed["id"]]["error"] == failed["error"]
    for job_id, stage in ((slicing["id"], "slicing"), (queued["id"], "queued")):
        job = after[job_id]
        assert job["state"] == "failed" and job["error"]["message"] == "interrupted by restart", job
        assert job["error"]["stage"] == stage and job["error"]["hint"] == "start the job again"
        assert not any(p.endswith(f"part-{job_id}.gcode") for p in uploads(server))
    assert not any(j["state"] not in FINAL for j in after.values())

    # Nothing half-written in OctoPrint's files: each file belongs to a job that says so.
    owned = {path for job in after.values() for path in job["files"].values()}
    assert uploads(server) <= owned, uploads(server) - owned
    # The database agrees once the batched writes land (they follow memory within ~50 ms).
    expected = {job_id: job["state"] for job_id, job in after.items()}
    server.wait_for(lambda: db_check(server)[1] == expected, 10, "the database to agree with the history")
    assert db_check(server)[0] == "ok"



def test_no_slicer_outlives_octoprint_killed(server, faults):
    for proc in hung_slicers():
        proc.kill()
    faults.slicer_mode("hang")
    configure(server, slicer="prusaslicer")
    submit(server, prompt="a 16 mm cube")
    server.wait_for(hung_slicers, 60, "the slicer to be running")
    restart(server, signal.SIGKILL, env=faults.env)
    try:
        assert hung_slicers() == []
    finally:
        for proc in hung_slicers():
            proc.kill()
