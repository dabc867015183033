"""PrusaSlicer and CuraEngine, the real binaries, on STL files made here with trimesh.

CI installs both (and Cura's machine definitions); a test skips only when its binary is missing.
"""

from __future__ import annotations

import shutil
import threading

import pytest

from octoprint_aiagent.model.errors import AgentError, Cancelled
from octoprint_aiagent.model.materials import MATERIALS, QUALITIES
from octoprint_aiagent.model.printer import PrinterProfile
from octoprint_aiagent.model.progress import StageContext
from octoprint_aiagent.slicing import choose_slicer, cura, find_slicers, slice_file
from octoprint_aiagent.slicing.profiles import SliceSettings

trimesh = pytest.importorskip("trimesh")

EXTERNAL = ["prusaslicer", "curaengine"]
FOUND = find_slicers()
PLA_NORMAL = SliceSettings(PrinterProfile(), MATERIALS["PLA"], QUALITIES["normal"])


def need(slicer):
    if not FOUND[slicer]:
        what = "CuraEngine or its machine definitions" if slicer == "curaengine" else "prusa-slicer"
        pytest.skip(f"{what} not installed here (CI installs it; see .ci/run)")


def write(mesh, path):
    mesh.export(str(path))
    return path


def on_bed(mesh):
    """As the CAD stage hands parts over: centred at XY 0, standing on Z 0."""
    centre = (mesh.bounds[0] + mesh.bounds[1]) / 2
    mesh.apply_translation((-centre[0], -centre[1], -mesh.bounds[0][2]))
    return mesh


@pytest.fixture(scope="module")
def stls(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stl")
    return {
        "cube": write(on_bed(trimesh.creation.box((20, 20, 20))), folder / "cube.stl"),
        "cylinder": write(on_bed(trimesh.creation.cylinder(radius=6, height=10.1, sections=64)), folder / "cylinder.stl"),
    }


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".aiagent-slice-"))


# -- choosing ---------------------------------------------------------------------------------------


def test_auto_prefers_prusaslicer_then_curaengine_then_builtin():
    p, c = shutil.which("true"), shutil.which("false")  # executables that exist
    assert choose_slicer("auto", {"prusaslicer": p, "curaengine": c, "builtin": "b"}) == "prusaslicer"
    assert choose_slicer("auto", {"prusaslicer": None, "curaengine": c, "builtin": "b"}) == "curaengine"
    assert choose_slicer("auto", {"prusaslicer": None, "curaengine": None, "builtin": "b"}) == "builtin"
    assert choose_slicer("builtin", {}) == "builtin"


def test_auto_passes_over_a_slicer_uninstalled_since_start_up(tmp_path):
    gone = str(tmp_path / "prusa-slicer")  # found at start-up, not there any more
    assert choose_slicer("auto", {"prusaslicer": gone, "curaengine": shutil.which("true"), "builtin": "b"}) == "curaengine"
    assert choose_slicer("auto", {"prusaslicer": gone, "curaengine": None, "builtin": "b"}) == "builtin"


def test_asking_for_a_missing_or_unknown_slicer_is_invalid():
    with pytest.raises(AgentError) as err:
        choose_slicer("curaengine", {"curaengine": None})
    assert err.value.reason == "invalid" and "apt-get install cura-engine" in err.value.hint
    with pytest.raises(AgentError):
        choose_slicer("slic3r", {})


def test_find_slicers_reports_every_backend():
    assert set(FOUND) == {"prusaslicer", "curaengine", "builtin"}
    assert FOUND["builtin"].endswith("-m octoprint_aiagent.slicing.builtin")


def test_curaengine_without_definitions_is_not_available(monkeypatch, tmp_path):
    monkeypatch.setenv("AIAGENT_CURA_DEFINITIONS", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(cura, "_INSTALLED", tmp_path / "none")
    assert cura.find_definitions() is None
    assert find_slicers()["curaengine"] is None


def test_a_slicer_uninstalled_since_it_was_found_is_not_available(stls, tmp_path):
    gone = {"prusaslicer": str(tmp_path / "prusa-slicer")}  # found at start, deleted since
    with pytest.raises(AgentError) as err:
        slice_file(stls["cube"], tmp_path / "cube.gcode", PLA_NORMAL, "prusaslicer", StageContext(), found=gone)
    assert err.value.message == "PrusaSlicer is not available on this machine"
    assert "install PrusaSlicer" in err.value.hint
    assert not (tmp_path / "cube.gcode").exists()


# -- slicing real parts -------------------------------------------------------------------------------


@pytest.mark.parametrize("slicer", EXTERNAL)
@pytest.mark.parametrize("part, height, layers", [("cube", 20.0, 100), ("cylinder", 10.1, 51)])
def test_slices_a_part_into_checked_gcode_on_the_bed_centre(slicer, part, height, layers, stls, tmp_path):
    need(slicer)
    progress = []
    out = tmp_path / f"{part}.gcode"
    result = slice_file(stls[part], out, PLA_NORMAL, slicer, StageContext(on_progress=lambda *a: progress.append(a)), found=find_slicers())
    report = result.report
    assert out.is_file() and result.gcode_path == str(out) and result.slicer == slicer
    assert report.ok, report.errors
    assert result.model_height == pytest.approx(height, abs=1e-3)
    assert report.layer_count == layers and report.first_layer_z == 0.2 and report.layer_height == 0.2
    # The printed part (skirt included) is centred on the bed centre (110, 110).
    (x0, y0, _), (x1, y1, z1) = report.bounds
    assert (x0 + x1) / 2 == pytest.approx(110, abs=0.5) and (y0 + y1) / 2 == pytest.approx(110, abs=0.5)
    assert z1 == pytest.approx(height, abs=0.2)
    # Our filament count agrees with the slicer's own; the part's volume bounds it from above.
    assert report.filament_mm == pytest.approx(result.slicer_estimates["filament_mm"], rel=0.01)
    volume = trimesh.load_mesh(str(stls[part])).volume
    extruded = report.filament_mm * 3.14159 * (1.75 / 2) ** 2
    assert 0.25 * volume < extruded < 1.1 * volume
    assert [stage for stage, _, _ in progress] == ["slicing"] * len(progress)
    assert any(slicer_name in message for _, _, message in progress for slicer_name in ("PrusaSlicer:", "CuraEngine:"))
    fractions = [f for _, f, _ in progress]
    assert fractions == sorted(fractions)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("slicer", EXTERNAL)
def test_centre_origin_round_bed_without_heating(slicer, stls, tmp_path):
    need(slicer)
    delta = PrinterProfile(bed_x=180, bed_y=180, height=300, bed_shape="circular", origin="center", heated_bed=False)
    settings = SliceSettings(delta, MATERIALS["PETG"], QUALITIES["fine"], infill_percent=10)
    result = slice_file(stls["cylinder"], tmp_path / "c.gcode", settings, slicer, StageContext(), found=find_slicers())
    report = result.report
    assert report.ok, report.errors
    (x0, y0, _), (x1, y1, _) = report.bounds
    assert (x0 + x1) / 2 == pytest.approx(0, abs=0.5) and (y0 + y1) / 2 == pytest.approx(0, abs=0.5)
    assert report.max_bed_temp == 0 and report.max_nozzle_temp == 240
    text = (tmp_path / "c.gcode").read_text()
    assert "M190" not in text and "M140 S" not in text


@pytest.mark.parametrize("slicer", EXTERNAL)
def test_a_part_larger_than_the_bed_is_refused_before_slicing(slicer, tmp_path):
    need(slicer)
    stl = write(on_bed(trimesh.creation.box((240, 20, 10))), tmp_path / "long.stl")
    with pytest.raises(AgentError) as err:
        slice_file(stl, tmp_path / "long.gcode", PLA_NORMAL, slicer, StageContext(), found=find_slicers())
    assert err.value.reason == "invalid"
    assert "240.0 x 20.0 x 10.0 mm" in err.value.message and "220 x 220 mm" in err.value.message
    assert not (tmp_path / "long.gcode").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("slicer", EXTERNAL)
def test_a_part_whose_skirt_leaves_the_bed_is_caught_in_the_gcode(slicer, tmp_path):
    need(slicer)
    # The part fits (218 mm on a 220 mm bed) but its skirt, 3 mm away, cannot: only the G-code shows it.
    stl = write(on_bed(trimesh.creation.box((218, 30, 0.6))), tmp_path / "wide.stl")
    with pytest.raises(AgentError) as err:
        slice_file(stl, tmp_path / "wide.gcode", PLA_NORMAL, slicer, StageContext(), found=find_slicers())
    assert err.value.reason == "invalid" and "leaves the 220 x 220 mm bed" in err.value.message
    assert not (tmp_path / "wide.gcode").exists() and leftovers(tmp_path) == []
    no_skirt = SliceSettings(PrinterProfile(), MATERIALS["PLA"], QUALITIES["normal"], skirt=False)
    assert slice_file(stl, tmp_path / "wide.gcode", no_skirt, slicer, StageContext(), found=find_slicers()).report.ok


@pytest.mark.parametrize("slicer", EXTERNAL)
def test_an_open_mesh_is_refused(slicer, tmp_path):
    need(slicer)
    box = on_bed(trimesh.creation.box((20, 20, 20)))
    box.update_faces([i != 0 for i in range(len(box.faces))])  # one triangle missing
    stl = write(box, tmp_path / "open.stl")
    with pytest.raises(AgentError) as err:
        slice_file(stl, tmp_path / "open.gcode", PLA_NORMAL, slicer, StageContext(), found=find_slicers())
    assert err.value.reason == "invalid" and "not closed (3 edges" in err.value.message
    assert not (tmp_path / "open.gcode").exists()


@pytest.mark.parametrize("slicer", EXTERNAL)
def test_a_part_off_centre_is_still_printed_on_the_bed_centre(slicer, tmp_path):
    need(slicer)
    cube = trimesh.creation.box((20, 20, 20))
    cube.apply_translation((500, -300, 40))  # far off the bed and floating: slicers lay it down
    stl = write(cube, tmp_path / "far.stl")
    report = slice_file(stl, tmp_path / "far.gcode", PLA_NORMAL, slicer, StageContext(), found=find_slicers()).report
    assert report.ok, report.errors
    (x0, _, z0), (x1, _, _) = report.bounds
    assert (x0 + x1) / 2 == pytest.approx(110, abs=0.5) and z0 == pytest.approx(0.2)


@pytest.mark.parametrize("slicer", EXTERNAL)
def test_cancel_stops_a_real_slicer(slicer, tmp_path):
    need(slicer)
    torus = on_bed(trimesh.creation.torus(30, 10, major_sections=160, minor_sections=80))
    stl = write(torus, tmp_path / "torus.stl")
    started = threading.Event()
    ctx = StageContext(on_progress=lambda stage, f, msg: started.set() if ":" in msg else None)
    canceller = threading.Thread(target=lambda: started.wait(120) and ctx.cancel())
    canceller.start()
    with pytest.raises(Cancelled):
        slice_file(stl, tmp_path / "torus.gcode", PLA_NORMAL, slicer, ctx, found=find_slicers())
    canceller.join()
    assert started.is_set()
    assert not (tmp_path / "torus.gcode").exists() and leftovers(tmp_path) == []
