"""The built-in slicer, run as the subprocess the pipeline runs, and read back as a printer would."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import shapely
import trimesh

from octoprint_aiagent.model.materials import MATERIALS, QUALITIES
from octoprint_aiagent.model.printer import PrinterProfile
from octoprint_aiagent.slicing.builtin.infill import scanline_segments
from octoprint_aiagent.slicing.builtin.layers import layer_specs
from octoprint_aiagent.slicing.profiles import SliceSettings

REPO = Path(__file__).resolve().parents[1]
MARLIN_COMMANDS = {"G0", "G1", "G28", "G90", "G92", "M82", "M83", "M84", "M104", "M106", "M107", "M109", "M140", "M190"}


# --- parts: STL files centred at XY 0 with z from 0, as the design stage writes them ----------------

def _cube() -> trimesh.Trimesh:
    mesh = trimesh.creation.box((20, 20, 20))
    mesh.apply_translation((0, 0, 10))
    return mesh


def _tube() -> trimesh.Trimesh:
    mesh = trimesh.creation.annulus(6, 10, 15, sections=96)
    mesh.apply_translation((0, 0, 7.5))
    return mesh


def _gear() -> trimesh.Trimesh:
    """12 square teeth on a 24 mm disc with a 6 mm bore, 8 mm thick."""
    angles = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    radii = np.where((np.arange(96) // 4) % 2 == 0, 15.0, 12.0)
    outline = shapely.Polygon(np.c_[radii * np.cos(angles), radii * np.sin(angles)])
    return trimesh.creation.extrude_polygon(outline.difference(shapely.Point(0, 0).buffer(3, 32)), 8)


PARTS = {"cube": (_cube, 20.0), "tube": (_tube, 15.0), "gear": (_gear, 8.0)}


def _settings(printer: PrinterProfile | None = None, quality: str = "normal", infill: int = 20) -> SliceSettings:
    return SliceSettings(printer=printer or PrinterProfile(), material=MATERIALS["PLA"], quality=QUALITIES[quality],
                         infill_percent=infill)


def _run(stl: Path, out: Path, settings: SliceSettings) -> subprocess.CompletedProcess:
    settings_path = out.with_suffix(".settings.json")
    settings_path.write_text(json.dumps(settings.to_dict()))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "octoprint_aiagent.slicing.builtin", "--settings", str(settings_path), str(stl), str(out)],
        check=False, capture_output=True, text=True, env=env, timeout=120,
    )


# --- reading G-code back ---------------------------------------------------------------------

@dataclass
class Gcode:
    commands: list = field(default_factory=list)  # (line number, command, {letter: value})
    positions: list = field(default_factory=list)  # every (x, y, z) the head is sent to
    layer_extrusion: dict = field(default_factory=dict)  # ;LAYER:n -> filament mm pushed while moving
    layer_z: dict = field(default_factory=dict)  # ;LAYER:n -> z of its extruding moves
    extruded_mm: float = 0.0  # filament pushed while moving in XY (retractions excluded)
    first_extrusion: int = -1  # line number
    header: dict = field(default_factory=dict)


def read_gcode(path: Path) -> Gcode:
    g = Gcode()
    absolute_e, e = True, 0.0
    x = y = z = None
    layer = None
    for n, raw in enumerate(path.read_text().splitlines()):
        if raw.startswith(";LAYER:"):
            layer = int(raw[7:])
            g.layer_extrusion.setdefault(layer, 0.0)
        elif raw.startswith(";") and ":" in raw:
            key, _, value = raw[1:].partition(":")
            g.header.setdefault(key, value.strip())
        code = raw.split(";")[0].split()
        if not code:
            continue
        words = {w[0]: float(w[1:]) for w in code[1:]}
        assert all(math.isfinite(v) for v in words.values()), raw
        g.commands.append((n, code[0], words))
        if code[0] in ("M82", "M83"):
            absolute_e = code[0] == "M82"
        elif code[0] == "G92" and "E" in words:
            e = words["E"]
        elif code[0] in ("G0", "G1"):
            delta = 0.0
            if "E" in words:
                delta = words["E"] - e if absolute_e else words["E"]
                e = words["E"] if absolute_e else e + words["E"]
            x, y, z = words.get("X", x), words.get("Y", y), words.get("Z", z)
            g.positions.append((x, y, z))
            if delta > 0 and ("X" in words or "Y" in words):
                g.extruded_mm += delta
                g.first_extrusion = n if g.first_extrusion < 0 else g.first_extrusion
                if layer is not None:
                    g.layer_extrusion[layer] += delta
                    g.layer_z.setdefault(layer, z)
    return g


def _lines_of(g: Gcode, command: str) -> list:
    return [n for n, c, _ in g.commands if c == command]


@pytest.fixture(scope="module")
def sliced(tmp_path_factory):
    """Each part sliced once with the default settings: name -> (G-code path, STL path, height, stdout)."""
    folder = tmp_path_factory.mktemp("builtin")
    out = {}
    for name, (make, height) in PARTS.items():
        stl = folder / f"{name}.stl"
        make().export(stl)
        gcode = folder / f"{name}.gcode"
        proc = _run(stl, gcode, _settings())
        assert proc.returncode == 0, proc.stderr
        out[name] = (gcode, stl, height, proc.stdout)
    return out


# --- what a Marlin printer needs ---------------------------------------------------------------

@pytest.mark.parametrize("name", PARTS)
def test_gcode_is_runnable_on_a_marlin_printer(sliced, name):
    gcode, _, height, stdout = sliced[name]
    settings = _settings()
    g = read_gcode(gcode)

    assert {c for _, c, _ in g.commands} <= MARLIN_COMMANDS
    layers = round(height / settings.quality.layer_height)
    assert int(g.header["LAYER_COUNT"]) == layers
    assert sorted(g.layer_extrusion) == list(range(layers))
    assert all(mm > 0 for mm in g.layer_extrusion.values()), "a layer without extrusion"
    assert g.layer_z[layers - 1] == pytest.approx(height, abs=1e-3)

    xs = [p[0] for p in g.positions if p[0] is not None]
    ys = [p[1] for p in g.positions if p[1] is not None]
    zs = [p[2] for p in g.positions if p[2] is not None]
    assert 0 <= min(xs) and max(xs) <= settings.printer.bed_x
    assert 0 <= min(ys) and max(ys) <= settings.printer.bed_y
    assert 0 < min(zs) and max(zs) <= settings.printer.height

    first = g.first_extrusion
    assert max(_lines_of(g, "M190") + _lines_of(g, "M109") + _lines_of(g, "G28")) < first
    assert [w["S"] for _, c, w in g.commands if c == "M109"] == [settings.material.nozzle_temp]
    assert [w["S"] for _, c, w in g.commands if c == "M190"] == [settings.material.bed_temp]
    last = max(n for n, c, w in g.commands if c == "G1" and w.get("E", 0) > 0 and "X" in w)
    for off in ("M104", "M140"):
        assert any(n > last and w.get("S") == 0 for n, c, w in g.commands if c == off), f"{off} S0 missing at the end"
    assert _lines_of(g, "M84")[-1] > last
    assert _lines_of(g, "M106")[0] > g.first_extrusion  # cooling only after the first layers

    fractions = [float(line.split()[1]) for line in stdout.splitlines()]
    assert all(line.startswith("progress ") for line in stdout.splitlines())
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.parametrize("name", PARTS)
def test_builtin_output_passes_the_gcode_check(sliced, name):
    from octoprint_aiagent.slicing.gcode_check import check_gcode

    gcode, _, height, _ = sliced[name]
    report = check_gcode(gcode, _settings(), height)
    assert report.ok, report.errors
    assert report.layer_count == round(height / 0.2)


def test_part_is_centred_on_a_centre_origin_round_bed(tmp_path):
    """A delta printer: origin at the bed centre, a 180 mm round bed."""
    printer = PrinterProfile(bed_x=180, bed_y=180, height=200, bed_shape="circular", origin="center")
    stl = tmp_path / "cube.stl"
    _cube().export(stl)
    proc = _run(stl, tmp_path / "cube.gcode", _settings(printer))
    assert proc.returncode == 0, proc.stderr
    g = read_gcode(tmp_path / "cube.gcode")
    xy = np.array([p[:2] for p in g.positions if None not in p[:2]])
    assert np.linalg.norm(xy, axis=1).max() <= 90
    extent = [float(g.header[k]) for k in ("MINX", "MAXX", "MINY", "MAXY")]
    skirt = 10 + 3 + 1.125 * 0.4 / 2  # the outermost extrusion: the skirt's centre line, 3 mm off the part
    assert extent == pytest.approx([-skirt, skirt, -skirt, skirt], abs=0.01)


def test_cone_tip_thinner_than_a_line_ends_the_print(tmp_path):
    mesh = trimesh.creation.cone(10, 20, sections=64)
    stl = tmp_path / "cone.stl"
    mesh.export(stl)
    proc = _run(stl, tmp_path / "cone.gcode", _settings())
    assert proc.returncode == 0, proc.stderr
    g = read_gcode(tmp_path / "cone.gcode")
    assert all(mm > 0 for mm in g.layer_extrusion.values())
    assert 95 <= len(g.layer_extrusion) <= 100


# --- as much plastic as PrusaSlicer puts down ------------------------------------------------------

def _prusa_ini(settings: SliceSettings) -> str:
    """The same part of the settings space as the built-in slicer: no features it does not have."""
    p, q, m = settings.printer, settings.quality, settings.material
    w = 1.125 * p.nozzle
    return "\n".join([
        "gcode_flavor = marlin2",
        f"bed_shape = 0x0,{p.bed_x}x0,{p.bed_x}x{p.bed_y},0x{p.bed_y}",
        f"max_print_height = {p.height}",
        f"nozzle_diameter = {p.nozzle}",
        f"filament_diameter = {p.filament_diameter}",
        f"layer_height = {q.layer_height}",
        f"first_layer_height = {q.first_layer_height}",
        f"perimeters = {q.perimeters}",
        f"top_solid_layers = {q.top_layers}",
        f"bottom_solid_layers = {q.bottom_layers}",
        "top_solid_min_thickness = 0",
        "bottom_solid_min_thickness = 0",
        f"fill_density = {settings.infill_percent}%",
        "fill_pattern = rectilinear",
        *(f"{k} = {w}" for k in ("extrusion_width", "first_layer_extrusion_width", "perimeter_extrusion_width",
                                 "external_perimeter_extrusion_width", "infill_extrusion_width",
                                 "solid_infill_extrusion_width", "top_infill_extrusion_width")),
        "solid_infill_below_area = 0",
        "ensure_vertical_shell_thickness = 0",
        "skirts = 1",
        "skirt_distance = 3",
        "skirt_height = 1",
        "min_skirt_length = 0",
        "brim_width = 0",
        "use_relative_e_distances = 1",
        "layer_gcode = G92 E0",
        f"temperature = {m.nozzle_temp}",
        f"first_layer_temperature = {m.nozzle_temp}",
        f"bed_temperature = {m.bed_temp}",
        f"first_layer_bed_temperature = {m.bed_temp}",
        "",
    ])


@pytest.mark.skipif(shutil.which("prusa-slicer") is None, reason="prusa-slicer is not installed")
@pytest.mark.parametrize("name", PARTS)
@pytest.mark.parametrize("quality,infill", [("normal", 20), ("draft", 0)])
def test_extruded_volume_is_within_10_percent_of_prusaslicer(tmp_path, name, quality, infill):
    settings = _settings(quality=quality, infill=infill)
    make, _ = PARTS[name]
    stl = tmp_path / f"{name}.stl"
    make().export(stl)
    proc = _run(stl, tmp_path / "builtin.gcode", settings)
    assert proc.returncode == 0, proc.stderr
    ini = tmp_path / "prusa.ini"
    ini.write_text(_prusa_ini(settings))
    subprocess.run(["prusa-slicer", "--export-gcode", "--load", str(ini), str(stl), "-o", str(tmp_path / "prusa.gcode")],
                   check=True, capture_output=True, timeout=300)
    ours = read_gcode(tmp_path / "builtin.gcode").extruded_mm
    theirs = read_gcode(tmp_path / "prusa.gcode").extruded_mm
    assert 0.9 <= ours / theirs <= 1.1, f"built-in {ours:.0f} mm vs PrusaSlicer {theirs:.0f} mm of filament"


def test_solid_cube_extrudes_its_own_volume(tmp_path):
    """At 100 % infill the plastic put down is the part: a check that needs no other slicer."""
    stl = tmp_path / "cube.stl"
    _cube().export(stl)
    proc = _run(stl, tmp_path / "cube.gcode", _settings(infill=100))
    assert proc.returncode == 0, proc.stderr
    settings = _settings()
    volume = read_gcode(tmp_path / "cube.gcode").extruded_mm * math.pi * (settings.printer.filament_diameter / 2) ** 2
    assert volume == pytest.approx(8000, rel=0.05)


# --- bad input: exit 2, one line saying why, no output ---------------------------------------------

def _open_box() -> bytes:
    mesh = _cube()
    mesh.update_faces(np.arange(len(mesh.faces)) != 0)
    return trimesh.exchange.stl.export_stl(mesh)


BAD_INPUTS = {
    "missing": None,
    "not_stl": b"this is a text file, not a mesh\n",
    "empty_binary": b"\0" * 80 + (0).to_bytes(4, "little"),
    "empty_ascii": b"solid empty\nendsolid empty\n",
    "open_mesh": "open",
    "too_big": "big",
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_exits_2_with_one_line_and_no_output(tmp_path, case):
    stl = tmp_path / "in.stl"
    content = BAD_INPUTS[case]
    if content == "open":
        stl.write_bytes(_open_box())
    elif content == "big":
        trimesh.creation.box((300, 20, 20)).export(stl)
    elif content is not None:
        stl.write_bytes(content)
    out = tmp_path / "out.gcode"
    proc = _run(stl, out, _settings())
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("slicing: "), proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".gcode" or p.name.endswith(".tmp")) == []


def test_bad_settings_exit_2(tmp_path):
    stl = tmp_path / "cube.stl"
    _cube().export(stl)
    (tmp_path / "s.json").write_text('{"printer": {}}')
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "octoprint_aiagent.slicing.builtin", "--settings",
                           str(tmp_path / "s.json"), str(stl), str(tmp_path / "out.gcode")],
                          check=False, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.gcode").exists()


# --- the pieces -------------------------------------------------------------------------------

def test_scanlines_fill_a_square_with_a_hole():
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], float)
    hole = np.array([[3, 3], [3, 7], [7, 7], [7, 3]], float)
    segments = scanline_segments([square, hole], 45.0, 0.5, min_length=0.0)
    length = np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1).sum()
    assert length * 0.5 == pytest.approx(100 - 16, rel=0.03)  # line length x spacing = area
    mids = segments.mean(axis=1)
    assert not ((mids > 3) & (mids < 7)).all(axis=1).any(), "a line crosses the hole"
    directions = segments[:, 1] - segments[:, 0]
    assert np.allclose(np.abs(directions[:, 0]), np.abs(directions[:, 1]))  # all at 45 degrees


def test_layers_follow_the_quality():
    specs = layer_specs(20.0, QUALITIES["draft"])  # 0.3 mm first, then 0.28
    assert specs[0].z == pytest.approx(0.3) and specs[1].height == pytest.approx(0.28)
    assert specs[-1].z == pytest.approx(20.0, abs=0.14)
    assert len(layer_specs(20.0, QUALITIES["normal"])) == 100


def test_z_hop_lifts_only_retracted_travels(tmp_path):
    from octoprint_aiagent.slicing.builtin import slice_to_gcode
    from octoprint_aiagent.slicing.builtin.gcode_writer import GcodeOptions

    stl = tmp_path / "gear.stl"
    _gear().export(stl)
    slice_to_gcode(str(stl), str(tmp_path / "gear.gcode"), _settings(), options=GcodeOptions(z_hop=0.4))
    lines = (tmp_path / "gear.gcode").read_text().splitlines()
    retracts = [i for i, line in enumerate(lines) if line.startswith("G1 E-")][:-1]  # the last is the end's
    assert retracts
    for i in retracts:
        z_up, travel, z_down = lines[i + 1], lines[i + 2], lines[i + 3]
        assert z_up.startswith("G0 Z") and travel.startswith("G0 X") and z_down.startswith("G0 Z")
        assert float(z_up.split()[1][1:]) == pytest.approx(float(z_down.split()[1][1:]) + 0.4)
