"""The slicer runner with fake slicers (scripts): a hang is killed at the timeout, a crash is an error
with the slicer's last words and leaves no G-code, a cancel stops the slicer and its children."""

from __future__ import annotations

import os
import stat
import sys
import textwrap
import threading

import psutil
import pytest

from octoprint_aiagent.model.errors import AgentError, Cancelled
from octoprint_aiagent.model.materials import MATERIALS, QUALITIES
from octoprint_aiagent.model.printer import PrinterProfile
from octoprint_aiagent.model.progress import StageContext
from octoprint_aiagent.slicing import find_slicers, slice_file
from octoprint_aiagent.slicing.profiles import SliceSettings
from octoprint_aiagent.slicing.runner import NICENESS, run_command

SETTINGS = SliceSettings(PrinterProfile(), MATERIALS["PLA"], QUALITIES["normal"])


def fake_slicer(path, body: str):
    """An executable Python script; ``pids`` is a file it appends its own and its child's pid to."""
    path.write_text(f"#!{sys.executable}\nimport os, subprocess, sys, time\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


SPAWN_AND_HANG = """
    pids = sys.argv[1]
    child = subprocess.Popen(["sleep", "600"])
    with open(pids, "w") as f:
        f.write(f"{os.getpid()} {child.pid}")
    print("progress 0.25 meshing", flush=True)
    time.sleep(600)
"""


def assert_gone(pids_file):
    pids = [int(p) for p in pids_file.read_text().split()]
    assert len(pids) == 2
    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    # Killed children are reaped by init a moment later: wait for that, then nothing may remain.
    _, alive = psutil.wait_procs(procs, timeout=10)
    assert [p for p in alive if p.status() != psutil.STATUS_ZOMBIE] == []


def test_a_hanging_slicer_is_killed_at_the_timeout(tmp_path):
    script = fake_slicer(tmp_path / "hang", SPAWN_AND_HANG)
    pids = tmp_path / "pids"
    with pytest.raises(AgentError) as err:
        run_command([str(script), str(pids)], StageContext(), name="FakeSlicer", timeout_s=1.5)
    assert err.value.reason == "failed" and err.value.stage == "slicing"
    assert "FakeSlicer did not finish within 1.5 s" in err.value.message
    assert_gone(pids)


def test_cancel_mid_run_stops_the_slicer_and_its_children(tmp_path):
    script = fake_slicer(tmp_path / "hang", SPAWN_AND_HANG)
    pids = tmp_path / "pids"
    started = threading.Event()
    seen = []

    def on_progress(stage, fraction, message):
        seen.append((stage, fraction, message))
        started.set()

    ctx = StageContext(on_progress=on_progress)
    canceller = threading.Thread(target=lambda: started.wait(60) and ctx.cancel())
    canceller.start()
    with pytest.raises(Cancelled):
        run_command([str(script), str(pids)], ctx, name="FakeSlicer", timeout_s=120, parse_progress=_progress)
    canceller.join()
    assert seen == [("slicing", 0.25, "FakeSlicer: meshing")]
    assert_gone(pids)
    assert ctx._processes == []  # detached


def _progress(line):
    parts = line.split(None, 2)
    return (float(parts[1]), parts[2]) if parts[:1] == ["progress"] else None


def test_a_crash_reports_the_signal_and_the_last_stderr_lines(tmp_path):
    script = fake_slicer(tmp_path / "crash", """
        for i in range(60):
            print(f"noise {i}", file=sys.stderr)
        print("Segmentation fault in SlicingThread", file=sys.stderr, flush=True)
        os.kill(os.getpid(), 11)
    """)  # fmt: skip
    with pytest.raises(AgentError) as err:
        run_command([str(script)], StageContext(), name="FakeSlicer", timeout_s=60)
    assert err.value.reason == "failed"
    assert "FakeSlicer was killed by SIGSEGV" in err.value.message
    assert "Segmentation fault in SlicingThread" in err.value.message
    assert "noise 0" not in err.value.message  # only the tail


def test_exit_codes_marked_invalid_are_the_users_problem(tmp_path):
    script = fake_slicer(tmp_path / "bad", """
        print("the mesh has no volume", file=sys.stderr)
        sys.exit(2)
    """)  # fmt: skip
    with pytest.raises(AgentError) as err:
        run_command([str(script)], StageContext(), name="Builtin", timeout_s=60, invalid_exit_codes=(2,))
    assert err.value.reason == "invalid"
    assert err.value.message == "Builtin exited with code 2: the mesh has no volume"


def test_the_slicer_runs_at_low_priority_and_its_output_is_kept(tmp_path):
    script = fake_slicer(tmp_path / "nice", """
        print(f"niceness {os.nice(0)}")
        print("done", file=sys.stderr)
    """)  # fmt: skip
    result = run_command([str(script)], StageContext(), name="FakeSlicer", timeout_s=60)
    assert result.returncode == 0 and result.stderr_tail == ["done"]
    expected = os.nice(0) + NICENESS if psutil.POSIX else 0
    assert result.stdout_tail == [f"niceness {min(expected, 19)}"]


def test_a_missing_executable_is_a_clear_error(tmp_path):
    with pytest.raises(AgentError) as err:
        run_command([str(tmp_path / "no-such-slicer")], StageContext(), name="Ghost", timeout_s=5)
    assert "Ghost could not be started" in err.value.message


def test_an_already_cancelled_context_starts_nothing(tmp_path):
    marker = tmp_path / "ran"
    script = fake_slicer(tmp_path / "s", f"open({str(marker)!r}, 'w').close()\n")
    ctx = StageContext()
    ctx.cancel()
    with pytest.raises(Cancelled):
        run_command([str(script)], ctx, name="FakeSlicer", timeout_s=5)
    assert not marker.exists()


# -- through slice_file: nothing is left behind ---------------------------------------------------


@pytest.fixture
def cube_stl(tmp_path):
    trimesh = pytest.importorskip("trimesh")
    mesh = trimesh.creation.box((20, 20, 20))
    mesh.apply_translation((0, 0, 10))
    path = tmp_path / "cube.stl"
    mesh.export(str(path))
    return path


@pytest.fixture
def fake_prusa(tmp_path, monkeypatch):
    """Puts a fake ``prusa-slicer`` first on PATH; returns a function that sets its behaviour."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")

    def install(body: str):
        return fake_slicer(bindir / "prusa-slicer", body)

    return install


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".aiagent-slice-") or p.suffix == ".gcode")


def test_a_crashing_slicer_leaves_no_gcode(tmp_path, cube_stl, fake_prusa):
    fake_prusa("""
        out = sys.argv[sys.argv.index("-o") + 1]
        with open(out, "w") as f:
            f.write("G28\\nG1 X10 Y10 E1\\n")  # half a file, as a crash leaves it
        print("std::bad_alloc", file=sys.stderr, flush=True)
        sys.exit(1)
    """)  # fmt: skip
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(AgentError) as err:
        slice_file(cube_stl, out_dir / "part.gcode", SETTINGS, "prusaslicer", StageContext(), found=find_slicers())
    assert err.value.reason == "failed"
    assert "PrusaSlicer exited with code 1: std::bad_alloc" in err.value.message
    assert leftovers(out_dir) == []


def test_a_slicer_that_writes_nothing_is_an_error(tmp_path, cube_stl, fake_prusa):
    fake_prusa('print("all good")\n')
    with pytest.raises(AgentError) as err:
        slice_file(cube_stl, tmp_path / "part.gcode", SETTINGS, "prusaslicer", StageContext(), found=find_slicers())
    assert "PrusaSlicer finished but wrote no G-code: all good" in err.value.message
    assert leftovers(tmp_path) == []


def test_gcode_that_fails_the_check_is_not_kept(tmp_path, cube_stl, fake_prusa):
    fake_prusa("""
        out = sys.argv[sys.argv.index("-o") + 1]
        with open(out, "w") as f:  # extrudes cold, on a part 20 mm tall with one layer
            f.write("G28\\nG1 Z0.2\\nG1 X100 Y100\\nG1 X120 Y100 E1\\n")
    """)  # fmt: skip
    with pytest.raises(AgentError) as err:
        slice_file(cube_stl, tmp_path / "part.gcode", SETTINGS, "prusaslicer", StageContext(), found=find_slicers())
    assert err.value.reason == "failed"
    assert "fails its check" in err.value.message and "before the nozzle was heated" in err.value.message
    assert leftovers(tmp_path) == []


def test_slice_file_times_out_and_cleans_up(tmp_path, cube_stl, fake_prusa):
    fake_prusa("time.sleep(600)\n")
    with pytest.raises(AgentError) as err:
        slice_file(cube_stl, tmp_path / "part.gcode", SETTINGS, "prusaslicer", StageContext(), timeout_s=1, found=find_slicers())
    assert "did not finish within 1 s" in err.value.message
    assert leftovers(tmp_path) == []


# -- the built-in slicer goes through the same runner ------------------------------------------------


def test_builtin_slicer_runs_as_a_subprocess_and_gets_a_centred_part(tmp_path):
    import importlib.util

    if importlib.util.find_spec("octoprint_aiagent.slicing.builtin.__main__") is None:
        pytest.skip("the built-in slicer's module is not there yet")
    trimesh = pytest.importorskip("trimesh")
    cube = trimesh.creation.box((20, 20, 20))
    cube.apply_translation((40, 30, 5))  # off centre and below the bed: slice_file hands over a centred copy
    stl = tmp_path / "off.stl"
    cube.export(str(stl))
    progress = []
    result = slice_file(stl, tmp_path / "off.gcode", SETTINGS, "builtin", StageContext(on_progress=lambda *a: progress.append(a)), found=find_slicers())
    assert result.report.ok, result.report.errors
    (x0, y0, z0), (x1, y1, _) = result.report.bounds
    assert (x0 + x1) / 2 == pytest.approx(110, abs=0.5) and (y0 + y1) / 2 == pytest.approx(110, abs=0.5)
    assert z0 == pytest.approx(0.2) and result.report.layer_count == 100
    assert any(message.startswith("the built-in slicer: ") for _, _, message in progress)
    assert leftovers(tmp_path) == ["off.gcode"]
