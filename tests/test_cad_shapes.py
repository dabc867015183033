"""The catalogue of named parts (solids and templates): every dev prompt's part at the expected
size, and property tests per kind (watertight, exact extents, volume within 1% of the closed form)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from octoprint_aiagent.cad import gear as gear_profile
from octoprint_aiagent.cad.build import build_part
from octoprint_aiagent.cad.curves import circle_segments
from octoprint_aiagent.cad.features import spread_centres
from octoprint_aiagent.cad.mesh_io import read_stl, write_stl
from octoprint_aiagent.model.errors import AgentError
from octoprint_aiagent.model.spec import KINDS, DesignSpec, validate_spec
from octoprint_aiagent.model.templates.basic import LID_GAP_MM, lid_lip_height

from .conftest import dev_prompts

# The part each dev prompt asks for, written by hand (the parser is tested on its own; a pipeline
# test joins the two). Keys are the prompts of tests/data/dev_prompts.jsonl.
DEV_SPECS = {
    "a 20mm calibration cube": ("cube", {"size": 20}),
    "print a 2cm cube": ("cube", {"size": 20}),
    "cube 1 inch": ("cube", {"size": 25.4}),
    "a box 50 x 30 x 10 mm": ("box", {"length": 50, "width": 30, "height": 10}),
    "a rectangular block 3cm by 2cm by 1cm": ("box", {"length": 30, "width": 20, "height": 10}),
    "a half-inch cube": ("cube", {"size": 12.7}),
    "a bar 100mm long, 20mm wide and 3mm thick": ("box", {"length": 100, "width": 20, "height": 3}),
    "a cylinder 30 mm in diameter and 10 mm tall": ("cylinder", {"diameter": 30, "height": 10}),
    "a 10 mm tall cylinder with radius 25 mm": ("cylinder", {"diameter": 50, "height": 10}),
    "a 5 cm diameter coaster, 5 mm thick": ("cylinder", {"diameter": 50, "height": 5}),
    "a sphere with a radius of 15mm": ("sphere", {"diameter": 30}),
    "a tube 40mm long, outer diameter 20mm, inner diameter 16mm": (
        "tube", {"outer_diameter": 20, "inner_diameter": 16, "height": 40}),
    "a washer 24mm outer diameter, 10 mm hole, 2mm thick": ("tube", {"outer_diameter": 24, "inner_diameter": 10, "height": 2}),
    "a spacer 8mm OD 3.2mm ID 5mm long": ("tube", {"outer_diameter": 8, "inner_diameter": 3.2, "height": 5}),
    "a ring, inner diameter 18mm, 2mm wall, 3 mm wide": ("tube", {"outer_diameter": 22, "inner_diameter": 18, "height": 3}),
    "an open box 60x40x20 with 2mm walls": ("open_box", {"length": 60, "width": 40, "height": 20, "wall": 2}),
    "a cup 50mm tall with 40mm diameter and 2mm walls": ("cup", {"diameter": 40, "height": 50, "wall": 2}),
    "a cone 40mm base diameter 30mm high": ("cone", {"base_diameter": 40, "height": 30}),
    "a pyramid with a 40 mm square base, 30 mm tall": ("pyramid", {"base": 40, "height": 30}),
    "a hexagonal prism 20mm across flats, 10mm tall": ("hex_prism", {"across_flats": 20, "height": 10}),
    "a triangular prism, 30mm sides, 15 mm long": ("triangular_prism", {"side": 30, "length": 15}),
    "a 12 tooth gear, 30mm outer diameter, 5mm thick": ("gear", {"teeth": 12, "outer_diameter": 30, "thickness": 5}),
    "a square plate 80mm wide 4mm thick with four 3mm mounting holes": (
        "plate_with_holes", {"length": 80, "width": 80, "thickness": 4, "hole_count": 4, "hole_diameter": 3}),
}


def dev_spec(prompt: str) -> DesignSpec:
    kind, params = DEV_SPECS[prompt]
    return validate_spec(DesignSpec.named(kind, params, prompt=prompt))


def test_every_dev_prompt_has_a_spec():
    assert sorted(DEV_SPECS) == sorted(p["prompt"] for p in dev_prompts())


@pytest.mark.parametrize("case", dev_prompts(), ids=lambda c: c["prompt"])
def test_dev_prompt_part_has_expected_size(case):
    mesh = build_part(dev_spec(case["prompt"]))
    assert mesh.is_watertight and mesh.is_winding_consistent
    assert np.allclose(sorted(mesh.extents), sorted(case["extents"]), atol=case["tol_mm"])
    if case["volume"] is not None:
        assert mesh.volume == pytest.approx(case["volume"], rel=case["tol_volume"])


def test_every_catalogue_kind_is_measured_here_or_with_the_standard_parts():
    """Threads and profiles have no simple closed form: tests/test_standard_parts.py measures them."""
    from .test_standard_parts import TEMPLATE_CASES

    assert set(KINDS) <= set(CLOSED_FORMS) | set(TEMPLATE_CASES) | {"box", "cylinder", "cone", "sphere", "torus", "thread"}


# --- closed forms ------------------------------------------------------------------------------


def _ring(d_outer, d_inner):
    return math.pi / 4 * (d_outer**2 - d_inner**2)


def expected(kind: str, p: dict) -> tuple[list, float]:
    """(extents x, y, z, volume) of the exact solid."""
    if kind == "cube":
        return [p["size"]] * 3, p["size"] ** 3
    if kind == "box":
        return [p["length"], p["width"], p["height"]], p["length"] * p["width"] * p["height"]
    if kind == "cylinder":
        d = p["diameter"]
        return [d, d, p["height"]], _ring(d, 0) * p["height"]
    if kind == "sphere":
        d = p["diameter"]
        return [d, d, d], math.pi * d**3 / 6
    if kind == "dome":
        d = p["diameter"]
        return [d, d, d / 2], math.pi * d**3 / 12
    if kind == "cone":
        r1, r2, h = p["base_diameter"] / 2, p["top_diameter"] / 2, p["height"]
        d = 2 * max(r1, r2)
        return [d, d, h], math.pi * h / 3 * (r1 * r1 + r1 * r2 + r2 * r2)
    if kind == "pyramid":
        return [p["base"], p["base"], p["height"]], p["base"] ** 2 * p["height"] / 3
    if kind == "hex_prism":
        af = p["across_flats"]
        return [af * 2 / math.sqrt(3), af, p["height"]], math.sqrt(3) / 2 * af * af * p["height"]
    if kind == "triangular_prism":
        s = p["side"]
        return [p["length"], s, s * math.sqrt(3) / 2], math.sqrt(3) / 4 * s * s * p["length"]
    if kind == "tube":
        d = p["outer_diameter"]
        return [d, d, p["height"]], _ring(d, p["inner_diameter"]) * p["height"]
    if kind == "open_box":
        length, width, height, wall = p["length"], p["width"], p["height"], p["wall"]
        floor = p["floor"] or wall
        return [length, width, height], length * width * height - (length - 2 * wall) * (width - 2 * wall) * (height - floor)
    if kind == "cup":
        d, h, wall = p["diameter"], p["height"], p["wall"]
        floor = p["floor"] or wall
        return [d, d, h], _ring(d, 0) * h - _ring(d - 2 * wall, 0) * (h - floor)
    if kind == "plate_with_holes":
        return [p["length"], p["width"], p["thickness"]], (
            p["length"] * p["width"] - p["hole_count"] * _ring(p["hole_diameter"], 0)) * p["thickness"]
    if kind == "box_with_lid":
        length, width, height, wall, gap = p["length"], p["width"], p["height"], p["wall"], p["clearance"]
        box = length * width * height - (length - 2 * wall) * (width - 2 * wall) * (height - wall)
        lip_x, lip_y = length - 2 * wall - 2 * gap, width - 2 * wall - 2 * gap
        hollow = max(0.0, lip_x - 2 * wall) * max(0.0, lip_y - 2 * wall) if min(lip_x, lip_y) > 2 * wall else 0.0
        lid = length * width * wall + (lip_x * lip_y - hollow) * lid_lip_height(height, wall)
        if length >= width:
            return [length, 2 * width + LID_GAP_MM, height], box + lid
        return [2 * length + LID_GAP_MM, width, height], box + lid
    if kind == "torus":
        big, small = p["diameter"] / 2, p["tube_diameter"] / 2
        return [2 * (big + small), 2 * (big + small), 2 * small], 2 * math.pi**2 * big * small * small
    if kind == "triangular_plate":
        s = p["side"]
        return [s, s * math.sqrt(3) / 2, p["thickness"]], math.sqrt(3) / 4 * s * s * p["thickness"]
    if kind == "l_bracket":
        a, b, t, w = p["length"], p.get("length_2") or p["length"], p["thickness"], p["width"]
        return [a, w, b], (a + b - t) * t * w
    raise KeyError(kind)


CLOSED_FORMS = ("cube", "box", "cylinder", "sphere", "dome", "cone", "pyramid", "hex_prism", "triangular_prism", "tube", "open_box",
                "cup", "plate_with_holes", "box_with_lid", "gear", "torus", "triangular_plate", "l_bracket")


def check_part(kind: str, params: dict) -> None:
    try:
        spec = validate_spec(DesignSpec.named(kind, params))
    except AgentError:
        assume(False)
    try:
        mesh = build_part(spec)
    except AgentError as exc:  # refusals a valid spec may meet, each with its reason
        holes_do_not_fit = kind == "plate_with_holes" and ("do not fit" in exc.message or "apart" in exc.message)
        walls_too_thin = "thinner than the 0.4 mm nozzle" in exc.message and min(params.get("wall", 9), params.get("floor") or 9) < 0.4
        assert holes_do_not_fit or walls_too_thin, exc.message
        assume(False)
    extents, volume = expected(kind, dict(spec.params))
    assert mesh.is_watertight and mesh.is_winding_consistent
    assert np.allclose(mesh.extents, extents, rtol=1e-5, atol=1e-4)
    assert mesh.volume == pytest.approx(volume, rel=0.01)
    lo, hi = mesh.bounds
    assert lo[2] == pytest.approx(0, abs=1e-4)
    assert np.allclose(lo[:2], -hi[:2], atol=1e-4), "centred on XY (0, 0)"


SIZE = st.floats(1.0, 300.0, allow_nan=False)
SMALL = st.floats(0.2, 5.0, allow_nan=False)
FRACTION = st.floats(0.05, 0.95)
SETTINGS = settings(max_examples=25, deadline=None)


@SETTINGS
@given(SIZE)
def test_cube(size):
    check_part("cube", {"size": size})


@SETTINGS
@given(SIZE, SIZE, SIZE)
def test_box(length, width, height):
    check_part("box", {"length": length, "width": width, "height": height})


@SETTINGS
@given(SIZE, SIZE)
def test_cylinder(diameter, height):
    check_part("cylinder", {"diameter": diameter, "height": height})


@SETTINGS
@given(st.floats(0.5, 500.0))
def test_sphere(diameter):
    check_part("sphere", {"diameter": diameter})


@SETTINGS
@given(st.floats(0.5, 500.0))
def test_dome(diameter):
    check_part("dome", {"diameter": diameter})


@SETTINGS
@given(SIZE, SIZE, st.one_of(st.just(0.0), FRACTION))
def test_cone(base, height, top_fraction):
    check_part("cone", {"base_diameter": base, "height": height, "top_diameter": base * top_fraction})


@SETTINGS
@given(SIZE, SIZE)
def test_pyramid(base, height):
    check_part("pyramid", {"base": base, "height": height})


@SETTINGS
@given(SIZE, SIZE)
def test_hex_prism(across_flats, height):
    check_part("hex_prism", {"across_flats": across_flats, "height": height})


@SETTINGS
@given(SIZE, SIZE)
def test_triangular_prism(side, length):
    check_part("triangular_prism", {"side": side, "length": length})


@SETTINGS
@given(SIZE, FRACTION, SIZE)
def test_tube(outer, inner_fraction, height):
    check_part("tube", {"outer_diameter": outer, "inner_diameter": outer * inner_fraction, "height": height})


@SETTINGS
@given(SIZE, SIZE, SIZE, SMALL, st.one_of(st.just(0.0), SMALL))
def test_open_box(length, width, height, wall, floor):
    check_part("open_box", {"length": length, "width": width, "height": height, "wall": wall, "floor": floor})


@SETTINGS
@given(SIZE, SIZE, SMALL, st.one_of(st.just(0.0), SMALL))
def test_cup(diameter, height, wall, floor):
    check_part("cup", {"diameter": diameter, "height": height, "wall": wall, "floor": floor})


@SETTINGS
@given(st.floats(10.0, 300.0), SIZE, st.integers(1, 30), st.floats(0.5, 6.0))
def test_plate_with_holes(length, width, count, hole):
    params = {"length": length, "width": width, "thickness": 3.0, "hole_count": count, "hole_diameter": hole}
    check_part("plate_with_holes", params)


@SETTINGS
@given(st.floats(10.0, 300.0), st.floats(10.0, 300.0), st.floats(5.0, 200.0), SMALL, st.floats(0.0, 0.5))
def test_box_with_lid(length, width, height, wall, clearance):
    check_part("box_with_lid", {"length": length, "width": width, "height": height, "wall": wall, "clearance": clearance})


@SETTINGS
@given(st.floats(4.0, 300.0), st.floats(0.05, 0.9))
def test_torus(diameter, fraction):
    check_part("torus", {"diameter": diameter, "tube_diameter": diameter * fraction})


@SETTINGS
@given(SIZE, SIZE)
def test_triangular_plate(side, thickness):
    check_part("triangular_plate", {"side": side, "thickness": thickness})


@SETTINGS
@given(st.floats(5.0, 300.0), st.one_of(st.none(), st.floats(5.0, 300.0)), SIZE, st.floats(0.5, 4.0))
def test_l_bracket(length, length_2, width, thickness):
    check_part("l_bracket", {"length": length, "length_2": length_2, "width": width, "thickness": thickness})


@SETTINGS
@given(st.integers(6, 200), st.floats(5.0, 300.0), SIZE, st.floats(14.5, 25.0), st.floats(0.0, 0.5))
def test_gear(teeth, outer_diameter, thickness, pressure_angle, bore_fraction):
    geo = gear_profile.gear_geometry(teeth, outer_diameter, pressure_angle)
    bore = bore_fraction * 2 * geo.root_radius
    try:
        spec = validate_spec(DesignSpec.named("gear", {"teeth": teeth, "outer_diameter": outer_diameter, "thickness": thickness,
                                                 "pressure_angle": pressure_angle, "bore": bore}))
    except AgentError:
        assume(False)
    mesh = build_part(spec)
    assert mesh.is_watertight and mesh.is_winding_consistent
    volume = (gear_profile.gear_area(geo) - math.pi * bore * bore / 4) * thickness
    assert mesh.volume == pytest.approx(volume, rel=0.01)
    axis = mesh.vertices[:, :2].mean(axis=0)  # the outline is N-fold symmetric about the axis
    radius = np.linalg.norm(mesh.vertices[:, :2] - axis, axis=1).max()
    assert radius == pytest.approx(outer_diameter / 2, rel=1e-5), "tips reach the outer diameter"
    assert mesh.extents[2] == pytest.approx(thickness, rel=1e-5)
    assert mesh.extents[0] >= outer_diameter / 2 * (1 + math.cos(math.pi / teeth)) - 1e-4
    if teeth % 2 == 0:
        assert mesh.extents[0] == pytest.approx(outer_diameter, rel=1e-5)


# --- gear profile ------------------------------------------------------------------------------


@pytest.mark.parametrize("teeth", [6, 7, 12, 41, 42, 105, 200])
@pytest.mark.parametrize("pressure_angle", [14.5, 20.0, 25.0])
def test_gear_outline_is_a_simple_polygon_whose_area_converges_to_the_closed_form(teeth, pressure_angle):
    geo = gear_profile.gear_geometry(teeth, 40.0, pressure_angle)
    coarse = shapely.Polygon(gear_profile.gear_outline(geo, 2 * math.pi / circle_segments(geo.tip_radius)))
    fine = shapely.Polygon(gear_profile.gear_outline(geo, 1e-4, flank_points=1000))
    assert coarse.is_valid and fine.is_valid
    assert fine.area == pytest.approx(gear_profile.gear_area(geo), rel=1e-6)
    assert coarse.area == pytest.approx(gear_profile.gear_area(geo), rel=0.005)
    assert math.pi * geo.root_radius**2 < coarse.area < math.pi * geo.tip_radius**2


def test_gear_module_follows_the_outer_diameter():
    geo = gear_profile.gear_geometry(12, 30.0, 20.0)
    assert geo.module == pytest.approx(30.0 / 14)
    assert geo.pitch_radius == pytest.approx(15.0 - geo.module)
    assert geo.root_radius == pytest.approx(geo.pitch_radius - 1.25 * geo.module)


# --- hole pattern, lid -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "count, length, width, expect",
    [
        (1, 80, 40, [(0.0, 0.0)]),
        (2, 80, 40, "row along X"),
        (2, 40, 80, "row along Y"),
        (4, 80, 80, "corners"),
        (5, 80, 80, "ring"),
        (6, 100, 60, "grid"),
    ],
)
def test_hole_patterns_are_symmetric_and_inside(count, length, width, expect):
    centres = np.array(spread_centres(length, width, count, 3.0))
    assert len(centres) == count
    assert np.allclose(centres.mean(axis=0), 0, atol=1e-9), "symmetric about the centre"
    assert np.all(np.abs(centres[:, 0]) + 1.5 < length / 2) and np.all(np.abs(centres[:, 1]) + 1.5 < width / 2)
    if expect == "row along X":
        assert np.allclose(centres[:, 1], 0) and np.ptp(centres[:, 0]) > 0
    elif expect == "row along Y":
        assert np.allclose(centres[:, 0], 0) and np.ptp(centres[:, 1]) > 0
    elif expect == "corners":
        assert len({(abs(x), abs(y)) for x, y in np.round(centres, 6)}) == 1
    elif expect == "ring":
        radii = np.linalg.norm(centres, axis=1)
        assert np.allclose(radii, radii[0])
    elif expect == "grid":
        assert len(set(np.round(centres[:, 0], 6))) * len(set(np.round(centres[:, 1], 6))) == count


def test_too_many_holes_are_refused_with_a_reason():
    with pytest.raises(AgentError) as err:
        build_part(validate_spec(DesignSpec.named("plate_with_holes", {"length": 20, "width": 20, "hole_count": 40, "hole_diameter": 3})))
    assert err.value.stage == "designing" and err.value.reason == "invalid"
    assert "40 features 3 mm across do not fit on the 20 x 20 mm top face" in err.value.message


def test_box_with_lid_is_two_bodies_and_the_lip_fits_inside_with_the_clearance():
    params = {"length": 60, "width": 40, "height": 30, "wall": 2, "clearance": 0.3}
    mesh = build_part(validate_spec(DesignSpec.named("box_with_lid", params)))
    bodies = sorted(mesh.split(only_watertight=True), key=lambda b: b.extents[2], reverse=True)
    assert len(bodies) == 2
    box, lid = bodies
    assert np.allclose(box.extents, [60, 40, 30], atol=1e-4)
    lip = lid.slice_plane([0, 0, lid.bounds[0][2] + 2 + 0.5], [0, 0, 1])  # above the lid plate
    assert np.allclose(lip.extents[:2], [60 - 4 - 0.6, 40 - 4 - 0.6], atol=1e-4)
    assert lid.bounds[0][1] > box.bounds[1][1], "lid beside the box, not overlapping"


def test_unknown_kinds_and_bad_params_are_refused_with_reasons():
    with pytest.raises(AgentError) as err:
        validate_spec(DesignSpec.named("teapot", {"size": 3}))
    assert "names no solid types" in err.value.message and "cube" in err.value.message
    with pytest.raises(AgentError) as err:
        validate_spec(DesignSpec.named("tube", {"outer_diameter": 10, "inner_diameter": 12, "height": 3}))
    assert "inner diameter (12 mm) must be smaller than the outer diameter (10 mm)" in err.value.message


def test_tessellation_is_finer_for_larger_circles_and_keeps_vertices_on_the_axes():
    assert circle_segments(1.0) == 64
    assert circle_segments(50.0) > circle_segments(10.0)
    assert circle_segments(5000.0) == 256
    assert all(circle_segments(r) % 4 == 0 for r in (0.3, 7.0, 33.3, 120.0, 999.0))


# --- STL files ---------------------------------------------------------------------------------


def test_write_stl_is_binary_and_reads_back_closed(tmp_path):
    mesh = build_part(dev_spec("a 12 tooth gear, 30mm outer diameter, 5mm thick"))
    path = write_stl(mesh, tmp_path / "gear.stl")
    data = path.read_bytes()
    assert len(data) == 84 + 50 * len(mesh.faces), "binary STL: header, count, 50 bytes per triangle"
    assert int.from_bytes(data[80:84], "little") == len(mesh.faces)
    back = read_stl(path)
    assert back.is_watertight
    assert back.volume == pytest.approx(mesh.volume, rel=1e-5)
    assert [p.name for p in tmp_path.iterdir()] == ["gear.stl"], "no temporary file left behind"


def test_write_stl_replaces_an_existing_file_whole(tmp_path):
    path = tmp_path / "part.stl"
    path.write_bytes(b"old contents")
    write_stl(build_part(validate_spec(DesignSpec.named("cube", {"size": 10}))), path)
    assert len(path.read_bytes()) == 84 + 50 * 12


def test_stl_errors_are_agent_errors(tmp_path):
    cube = build_part(validate_spec(DesignSpec.named("cube", {"size": 10})))
    with pytest.raises(AgentError) as err:
        write_stl(cube, tmp_path / "missing" / "part.stl")
    assert err.value.reason == "failed"
    bad = tmp_path / "bad.stl"
    bad.write_bytes(b"solid nonsense\nthis is not an stl\n")
    with pytest.raises(AgentError) as err:
        read_stl(bad)
    assert err.value.reason == "invalid"
