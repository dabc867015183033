"""Standard and functional parts, measured on the mesh: fasteners against their ISO tables (nut
width and height, thread major diameter and pitch from sections through the axis), a nut and a
bolt of the same size that fit each other by the clearance applied, holes for screws per ISO 273
plus the fit clearance, text height, and every template building one watertight part."""

from __future__ import annotations

import math

import manifold3d
import numpy as np
import pytest

from octoprint_aiagent.cad.build import BuildContext, build_document
from octoprint_aiagent.cad.measure import holes_across, measure
from octoprint_aiagent.cad.mesh_io import manifold_to_trimesh
from octoprint_aiagent.language.parser import parse_prompt
from octoprint_aiagent.model import standards
from octoprint_aiagent.model.document import check_part
from octoprint_aiagent.model.errors import AgentError
from octoprint_aiagent.model.templates import TEMPLATES


def solid_of(doc, clearance=0.2):
    ctx = BuildContext(clearance=clearance)
    return build_document(check_part(doc).part, ctx), ctx


def radii_through_axis(solid: manifold3d.Manifold) -> np.ndarray:
    """(z, r) of the outline's points on the +x side of the section through the Z axis (the plane
    y = 0): one side only, since the other is half a turn of the helix along."""
    section = solid.rotate((-90.0, 0.0, 0.0)).slice(0.0)  # y -> -z: the slice at height 0 is the plane y = 0
    points = np.concatenate([np.asarray(ring) for ring in section.to_polygons()])
    points = points[points[:, 0] > 0]
    return np.column_stack([points[:, 1], points[:, 0]])


def crests(zr: np.ndarray, radius: float, tol: float = 0.02) -> np.ndarray:
    """Heights of the thread's crest flats at ``radius``, one per turn (on the +x side)."""
    z = np.sort(zr[np.abs(zr[:, 1] - radius) < tol][:, 0])
    groups = np.split(z, np.flatnonzero(np.diff(z) > 0.2) + 1) if len(z) else []
    return np.array([g.mean() for g in groups if len(g)])


@pytest.mark.parametrize("size", ["M3", "M5", "M8", "M12"])
def test_a_nut_is_its_iso_4032_size_with_a_thread_inside(size):
    nut = standards.hex_nut(size)
    solid, ctx = solid_of({"hex_nut": {"size": size}})
    m = measure(solid)
    assert sorted(m.extents) == pytest.approx(sorted([nut.s, nut.s * 2 / math.sqrt(3), nut.m]), abs=0.01)
    zr = radii_through_axis(solid)
    inner = zr[zr[:, 1] < nut.thread.major_diameter / 2 + 1]  # the thread, not the flats
    assert inner[:, 1].max() == pytest.approx(nut.thread.major_diameter / 2 + 0.2, abs=0.02)
    assert inner[:, 1].min() == pytest.approx(nut.thread.minor_diameter / 2 + 0.2, abs=0.02)
    assert solid.genus() == 1, "the thread runs through both faces"
    assert any("enlarged by 0.2 mm" in n for n in ctx.notes)


@pytest.mark.parametrize("size, length", [("M3", 10), ("M6", 30), ("M8", 20)])
def test_a_bolt_has_its_iso_4017_head_and_a_thread_of_its_pitch(size, length):
    bolt = standards.hex_bolt(size, length)
    solid, _ = solid_of({"hex_bolt": {"size": size, "length": length}})
    m = measure(solid)
    assert sorted(m.extents) == pytest.approx(sorted([bolt.s, bolt.s * 2 / math.sqrt(3), bolt.k + length]), abs=0.01)
    zr = radii_through_axis(solid)
    shank = zr[zr[:, 0] > bolt.k + 0.5]
    crest = bolt.thread.major_diameter / 2 - 0.2
    assert shank[:, 1].max() == pytest.approx(crest, abs=0.02)
    heights = crests(shank, crest)[1:-1]  # the chamfered ends cut the first and last crests short
    assert len(heights) >= 3
    assert np.diff(heights) == pytest.approx(np.full(len(heights) - 1, bolt.thread.pitch), abs=0.02)


@pytest.mark.parametrize("clearance, fits", [(0.2, True), (-0.2, False)])
def test_a_nut_and_a_bolt_of_the_plugins_fit_each_other_by_the_clearance(clearance, fits):
    nut, _ = solid_of({"hex_nut": {"size": "M8"}}, clearance)
    bolt, _ = solid_of({"hex_bolt": {"size": "M8", "length": 30}}, clearance)
    head = standards.hex_bolt("M8", 30).k
    # The bolt's thread starts at the top of its head, the nut's at its bottom face: in phase
    # whole pitches apart.
    on_bolt = nut.translate((0.0, 0.0, head + 8 * 1.25))
    overlap = (on_bolt ^ bolt).volume()
    if fits:
        assert overlap < 0.05
        # Between the nut's thread roots and the bolt's crests: a clearance from each.
        nut_r = radii_through_axis(on_bolt)[:, 1]
        bolt_r = radii_through_axis(bolt)
        bolt_r = bolt_r[bolt_r[:, 0] > head + 1][:, 1]
        assert nut_r[nut_r < 5].max() - bolt_r.max() == pytest.approx(2 * clearance, abs=0.02)
    else:
        assert overlap > 20


def test_a_washer_is_iso_7089():
    washer = standards.washer("M5")
    solid, _ = solid_of({"washer": {"size": "M5"}})
    m = measure(solid)
    assert sorted(m.extents) == pytest.approx([washer.h, washer.d2, washer.d2], abs=0.01)
    assert m.hole_diameters("z") == pytest.approx([washer.d1], abs=0.02)


@pytest.mark.parametrize("screw", ["M2.5", "M3", "M4", "M6"])
@pytest.mark.parametrize("fit", ["close", "normal", "loose"])
def test_clearance_holes_are_iso_273_plus_the_fit_clearance(screw, fit):
    iso = standards.clearance_hole(screw, {"close": "fine", "normal": "medium", "loose": "coarse"}[fit]).diameter
    solid, ctx = solid_of({"box": {"length": 30, "width": 30, "height": 5}, "features": [{"hole": {"screw": screw, "fit": fit}}]}, 0.15)
    assert measure(solid).hole_diameters("z") == pytest.approx([iso + 0.3], abs=0.03)
    assert any("ISO 273" in n for n in ctx.notes)


def test_counterbores_countersinks_nut_traps_and_inserts_follow_their_standards():
    plate = {"box": {"length": 30, "width": 30, "height": 12}}
    cap = standards.socket_head_cap_screw("M4")
    solid, _ = solid_of(dict(plate, features=[{"hole": {"screw": "M4", "counterbore": True}}]))
    assert [h.diameter for h in holes_across(solid, "z", 1 - 1 / 12)] == pytest.approx([cap.dk + 0.4], abs=0.05)
    flat = standards.countersunk_screw("M4")
    solid, _ = solid_of(dict(plate, features=[{"hole": {"screw": "M4", "countersink": True}}]))
    top = solid.slice(12 - 0.01).to_polygons()
    assert max(np.ptp(np.asarray(r)[:, 0]) for r in top if len(r) > 8) == pytest.approx(flat.dk + 0.4, abs=0.1)
    nut = standards.hex_nut("M4")
    solid, _ = solid_of(dict(plate, features=[{"hole": {"screw": "M4", "nut_trap": True}}]))
    outline, hole = sorted(solid.slice(0.5).to_polygons(), key=lambda r: -np.ptp(np.asarray(r)[:, 0]))
    assert np.ptp(np.asarray(hole)[:, 1]) == pytest.approx(nut.s + 0.4, abs=0.01)
    insert = standards.heat_set_insert("M3")
    solid, _ = solid_of(dict(plate, features=[{"hole": {"screw": "M3", "insert": True}}]))
    assert measure(solid).volume == pytest.approx(30 * 30 * 12 - math.pi * insert.hole_diameter**2 / 4 * insert.depth, rel=0.005)


def test_text_height_is_the_capital_letters_height():
    spec = parse_prompt("a name tag 60 x 20 x 2 mm with the name ANNA in raised letters 1 mm high")
    solid = build_document(spec.part, BuildContext())
    letters = solid.slice(2.5)
    x0, y0, x1, y1 = letters.bounds()
    # Fitted to the tag inside its 2 mm margin: "ANNA" is wide, so the width decides.
    assert x1 - x0 == pytest.approx(60 - 2 * 2, abs=0.05) and y1 - y0 < 20 - 2 * 2
    spec = parse_prompt("a plate 60 x 30 x 3 with 'M3' engraved on the top, 8 mm tall")
    solid = build_document(spec.part, BuildContext())
    engraved = solid.slice(2.8)
    m_letter = [np.asarray(r) for r in engraved.to_polygons() if np.asarray(r)[:, 0].max() < 1]
    assert np.ptp(np.concatenate(m_letter)[:, 1]) == pytest.approx(8, abs=0.05), "the capital M; the 3's curves overshoot"



def test_letters_thinner_than_the_nozzle_are_refused():
    with pytest.raises(Exception) as err:
        solid_of({"box": {"length": 30, "width": 10, "height": 2}, "features": [{"text": {"text": "anna", "height": 2}}]})
    assert "thinner than the 0.4 mm nozzle" in str(err.value) and "at least" in str(err.value)


# Every template, with the sizes a request would give: one watertight part (or the pieces it is).
TEMPLATE_CASES = {
    "cube": {"size": 20}, "dome": {"diameter": 30}, "pyramid": {"base": 30, "height": 20},
    "hex_prism": {"across_flats": 20, "height": 10}, "triangular_prism": {"side": 20, "length": 30},
    "triangular_plate": {"side": 40, "thickness": 3}, "tube": {"outer_diameter": 20, "inner_diameter": 12, "height": 10},
    "open_box": {"length": 60, "width": 40, "height": 20}, "cup": {"diameter": 40, "height": 40},
    "gear": {"teeth": 12, "outer_diameter": 30, "bore": 5}, "plate_with_holes": {"length": 60, "width": 40, "hole_count": 4},
    "box_with_lid": {"length": 60, "width": 40, "height": 25}, "calibration_cube": {"size": 20},
    "l_bracket": {"length": 40, "width": 20, "thickness": 3, "screw": "M4", "gusset": True},
    "t_bracket": {"length": 60, "width": 30, "thickness": 4, "height": 20, "screw": "M4"},
    "mending_plate": {"length": 80, "width": 15, "screw": "M4"},
    "hex_nut": {"size": "M8"}, "washer": {"size": "M5"}, "hex_bolt": {"size": "M6", "length": 20},
    "cap_screw": {"size": "M4", "length": 12}, "threaded_rod": {"size": "M6", "length": 30},
    "standoff": {"size": "M3", "length": 12}, "spacer": {"size": "M4", "length": 10},
    "wall_hook": {"screw": "M4"}, "door_hook": {"door_thickness": 40}, "rail_hook": {"rail_diameter": 25},
    "cable_clip": {"cable_diameter": 6}, "knob": {"diameter": 30, "height": 15, "shaft_diameter": 6, "shaft": "d", "set_screw": "M3"},
    "phone_stand": {"device_thickness": 9}, "enclosure": {"length": 100, "width": 70, "height": 30, "lid": "screw", "board": "raspberry_pi_4"},
}
PIECES = {"box_with_lid": 2, "enclosure": 2}


def test_every_template_has_a_case_here():
    assert set(TEMPLATES) == set(TEMPLATE_CASES)


@pytest.mark.parametrize("name", sorted(TEMPLATE_CASES))
def test_every_template_builds_watertight_in_one_piece(name):
    solid, _ = solid_of({name: TEMPLATE_CASES[name]})
    mesh = manifold_to_trimesh(solid)
    assert mesh.is_watertight and mesh.is_winding_consistent
    assert len(solid.decompose()) == PIECES.get(name, 1)


@pytest.mark.parametrize("prompt, part", [
    ("an M8x30 hex bolt", {"hex_bolt": {"size": "M8", "length": 30.0, "partly_threaded": False}}),
    ("an M8 x 30 bolt", {"hex_bolt": {"size": "M8", "length": 30.0, "partly_threaded": False}}),
    ("M5x20 cap screw", {"cap_screw": {"size": "M5", "length": 20.0}}),
    ("an M6 bolt 30 mm long with a hex head", {"hex_bolt": {"size": "M6", "length": 30.0, "partly_threaded": False}}),
    ("a hex bolt M8x1.25x40", {"hex_bolt": {"size": "M8", "length": 40.0, "partly_threaded": False}}),
    ("an M8 nut for an M8 bolt", {"hex_nut": {"size": "M8", "thin": False}}),
    ("a nut that fits an M8 bolt", {"hex_nut": {"size": "M8", "thin": False}}),
    ("an M8x1 nut", {"hex_nut": {"size": "M8x1", "thin": False}}),
    ("a washer for an M5 bolt", {"washer": {"size": "M5", "large": False}}),
    ("an M4 standoff 10 mm long", {"standoff": {"size": "M4", "length": 10.0, "shape": "hex"}}),
])
def test_fasteners_as_makers_name_them(prompt, part):
    # "M8x30" is a thread and a length, "M8x1" a fine thread; the screw a part is for names its size.
    assert parse_prompt(prompt).part == part


def test_a_nut_for_another_screw_size_is_a_question():
    with pytest.raises(AgentError, match="M3 and M4 for one hex nut"):
        parse_prompt("an M3 nut that fits an M4 bolt")


@pytest.mark.parametrize("prompt, clearance", [
    ("an M8 nut with 0.3 mm clearance", 0.3),
    ("an M8 nut with a 0.3 mm gap", 0.3),
    ("an M8 nut, loose fit", 0.35),
    ("an M8x30 bolt with a tight fit", 0.1),
    ("a box with a lid 60 x 40 x 30, 2 mm walls, loose fit", 0.35),
])
def test_a_fit_stated_in_the_request_overrides_the_printers_clearance(prompt, clearance):
    part = parse_prompt(prompt).part
    (kind,) = [k for k in part if k != "features"]
    assert part[kind]["clearance"] == clearance
    # and the builder uses it, not the setting: the nut's hole grows with it
    if kind == "hex_nut":
        wide, _ = solid_of(part, 0.2)
        assert measure(wide).volume < measure(solid_of({"hex_nut": {"size": "M8"}}, 0.2)[0]).volume


def test_a_fit_on_a_part_that_fits_nothing_is_refused_not_dropped():
    with pytest.raises(AgentError, match="loose fit, but a cube has nothing that fits"):
        parse_prompt("a 20 mm cube, loose fit")


@pytest.mark.parametrize("prompt, part", [
    ("an enclosure 80 x 60 x 30 mm with a lid and 2 mm walls",
     {"enclosure": {"length": 80.0, "width": 60.0, "height": 30.0, "wall": 2.0, "lid": "slip", "screw": "M3"}}),
    ("a project box 100 x 60 x 40 with 3 mm walls and a screw lid",
     {"enclosure": {"length": 100.0, "width": 60.0, "height": 40.0, "wall": 3.0, "lid": "screw", "screw": "M3"}}),
])
def test_an_enclosures_walls_are_its_own(prompt, part):
    assert parse_prompt(prompt).part == part


@pytest.mark.parametrize("prompt, words", [
    ("an M3 standoff 15 mm long, male-female", "a male stud is not made yet; standoffs are female"),
    ("a 20 mm cube with a stud", "a male stud is not made yet"),
    ("a female cube 20 mm", "a cube has no female thread"),
])
def test_a_thread_end_that_is_not_made_is_refused_not_dropped(prompt, words):
    with pytest.raises(AgentError, match=words):
        parse_prompt(prompt)
