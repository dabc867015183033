"""Printability: orientation, placement, copies, and each check's number and level."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import trimesh

from octoprint_aiagent.cad.build import BuildContext, build_document, build_part
from octoprint_aiagent.cad.mesh_io import manifold_to_trimesh
from octoprint_aiagent.cad.printability import COPY_GAP_MM, prepare_for_print
from octoprint_aiagent.model.document import check_part
from octoprint_aiagent.model.errors import AgentError
from octoprint_aiagent.model.printer import PrinterProfile, parse_bed
from octoprint_aiagent.model.spec import DesignSpec, validate_spec

PRINTER = PrinterProfile(name="test printer")  # 220 x 220 x 250, 0.4 mm nozzle

CHECKS = {"watertight", "bodies", "volume", "first_layer_contact", "overhang", "floating_islands", "thin_walls",
          "tip_over", "fits_build_volume"}


def part(kind, **params):
    return build_part(validate_spec(DesignSpec.named(kind, params)))


def build_doc(doc):
    return manifold_to_trimesh(build_document(check_part(doc).part, BuildContext()))


def prepare(mesh, printer=PRINTER, quantity=1):
    placed, report = prepare_for_print(mesh, printer, quantity)
    lo, hi = placed.bounds
    assert lo[2] == pytest.approx(0, abs=1e-6), "lowest point on the bed"
    assert np.allclose(lo[:2], -hi[:2], atol=1e-6), "centred on XY (0, 0)"
    assert np.allclose(report.bbox, placed.extents)
    return placed, report


def levels(report):
    return {c.name: c.level for c in report.checks}


def test_a_cube_passes_every_check_and_the_report_is_json():
    _placed, report = prepare(part("cube", size=20))
    assert report.ok and not report.errors and not report.warnings
    assert set(levels(report)) == CHECKS
    assert report.bbox == pytest.approx([20, 20, 20])
    assert report.volume_mm3 == pytest.approx(8000)
    assert report.watertight and report.bodies == 1
    assert report.check("first_layer_contact").value == pytest.approx(400)
    assert report.check("tip_over").value == pytest.approx(1.0)
    assert report.check("fits_build_volume").value == pytest.approx(220 / 20)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is True and {c["name"] for c in data["checks"]} == CHECKS
    assert all({"name", "level", "value", "unit", "message"} <= set(c) for c in data["checks"])


@pytest.mark.parametrize("rotate", [[180, 0, 0], [90, 0, 0], [0, 135, 0], [33, 47, 12]])
def test_an_upside_down_cone_is_stood_on_its_base(rotate):
    cone = build_doc({"cone": {"base_diameter": 40, "height": 30}, "rotate": rotate})
    placed, report = prepare(cone)
    assert report.orientation.startswith("rotated")
    assert placed.extents == pytest.approx([40, 40, 30], abs=0.05)
    base = math.pi * 20**2
    assert report.check("first_layer_contact").value == pytest.approx(base, rel=0.01)
    assert levels(report)["overhang"] == "ok"


def test_a_dome_lying_on_its_side_is_stood_on_its_flat_face():
    dome = build_doc({"dome": {"diameter": 30}, "rotate": [0, 90, 0]})
    placed, report = prepare(dome)
    assert placed.extents == pytest.approx([30, 30, 15], abs=0.05)
    assert report.check("first_layer_contact").value == pytest.approx(math.pi * 15**2, rel=0.01)


def test_a_tilted_box_lies_on_its_largest_face_aligned_with_the_axes():
    box = build_doc({"box": {"length": 50, "width": 30, "height": 10}, "rotate": [33, 47, 12]})
    placed, report = prepare(box)
    assert placed.extents == pytest.approx([50, 30, 10], abs=1e-3)
    assert report.check("first_layer_contact").value == pytest.approx(1500, rel=1e-4)


def test_a_t_shape_is_turned_onto_its_flat_top_so_nothing_overhangs():
    tee = build_doc({"union": [
        {"box": {"length": 10, "width": 10, "height": 20}},
        {"box": {"length": 60, "width": 30, "height": 5}, "translate": [0, 0, 20]}]})
    _placed, report = prepare(tee)
    assert report.check("first_layer_contact").value == pytest.approx(1800)
    assert report.check("overhang").value == pytest.approx(0)


def test_upright_parts_are_left_as_designed():
    for mesh in (part("cube", size=20), part("cup", diameter=40, height=50), part("gear", teeth=12, outer_diameter=30)):
        placed, report = prepare(mesh)
        assert report.orientation.startswith("kept")
        assert placed.extents == pytest.approx(mesh.extents)


def test_a_sphere_warns_about_contact_and_overhang_but_may_print():
    _placed, report = prepare(part("sphere", diameter=30))
    assert report.ok
    assert levels(report)["first_layer_contact"] == "warning"
    assert levels(report)["overhang"] == "warning"
    cap = 2 * math.pi * 15**2 * (1 - math.cos(math.radians(45)))  # below 45 degrees from straight down
    assert report.check("overhang").value == pytest.approx(cap, rel=0.15)


def test_a_part_too_large_says_at_what_scale_it_would_fit():
    _placed, report = prepare(part("box", length=300, width=30, height=10))
    assert not report.ok
    fit = report.check("fits_build_volume")
    assert fit.level == "error"
    assert fit.value == pytest.approx(220 / 300)
    assert "73.3%" in fit.message and "300.0 x 30.0 x 10.0" in fit.message


def test_a_part_too_tall_after_orientation_is_an_error():
    _placed, report = prepare(part("box", length=100, width=100, height=300))
    assert report.bbox[2] == pytest.approx(100), "laid on a large face first"
    assert report.check("fits_build_volume").value == pytest.approx(220 / 300)
    assert not report.ok


def test_a_part_that_fits_only_turned_is_turned():
    printer = parse_bed("250x200x200")
    _placed, report = prepare(part("box", length=100, width=240, height=10), printer)
    assert report.ok
    assert report.bbox == pytest.approx([240, 100, 10])


def test_circular_beds_measure_the_corners():
    delta = PrinterProfile(bed_x=200, bed_y=200, height=300, bed_shape="circular", origin="center")
    assert prepare(part("cylinder", diameter=190, height=5), delta)[1].ok
    _placed, report = prepare(part("box", length=150, width=150, height=5), delta)
    assert not report.ok
    assert report.check("fits_build_volume").value == pytest.approx(100 / math.hypot(75, 75))


def test_copies_are_arranged_in_a_grid_with_gaps():
    placed, report = prepare(part("cube", size=20), quantity=4)
    assert report.ok
    assert report.bbox == pytest.approx([40 + COPY_GAP_MM, 40 + COPY_GAP_MM, 20])
    assert report.bodies == 4 and report.volume_mm3 == pytest.approx(32000)
    assert len(placed.split()) == 4
    assert report.check("arrangement").value == 4


def test_copies_that_do_not_fit_say_how_many_would():
    _placed, report = prepare(part("cube", size=60), quantity=12)
    assert not report.ok
    arrangement = report.check("arrangement")
    assert arrangement.level == "error" and arrangement.value == 9
    assert "at most 9 fit" in arrangement.message


def test_copies_of_a_part_too_large_for_the_bed_fit_zero_times():
    _placed, report = prepare(part("box", length=300, width=30, height=10), quantity=2)
    assert report.check("arrangement").level == "error" and report.check("arrangement").value == 0
    with pytest.raises(AgentError):
        prepare_for_print(part("cube", size=5), PRINTER, quantity=0)


def test_floating_bodies_are_errors():
    doc = {"union": [{"box": {"length": 20, "width": 20, "height": 5}},
                     {"box": {"length": 5, "width": 5, "height": 5}, "translate": [5, 5, 10]}]}
    _placed, report = prepare(build_doc(doc))
    assert not report.ok
    assert report.check("floating_islands").value == 1
    assert report.check("bodies").value == 2


def test_a_box_and_its_lid_both_rest_on_the_bed():
    _placed, report = prepare(part("box_with_lid", length=60, width=40, height=30))
    assert report.ok and report.bodies == 2
    assert report.check("floating_islands").value == 0


@pytest.mark.parametrize("wall", [0.15, 0.3])
def test_walls_thinner_than_the_nozzle_are_measured(wall):
    tube = part("tube", outer_diameter=20, inner_diameter=20 - 2 * wall, height=10)
    _placed, report = prepare(tube)
    thin = report.check("thin_walls")
    assert thin.level == "warning"
    assert wall <= thin.value <= wall + 0.4 / 16 + 1e-9


def test_a_thin_fin_on_a_thick_block_is_found():
    doc = {"union": [{"box": {"length": 20, "width": 20, "height": 5}},
                     {"box": {"length": 20, "width": 0.25, "height": 10}, "translate": [0, 9.8, 0]}]}
    _placed, report = prepare(build_doc(doc))
    assert report.check("thin_walls").level == "warning"


@pytest.mark.parametrize("kind, params", [
    ("gear", {"teeth": 12, "outer_diameter": 30}),
    ("plate_with_holes", {"length": 80, "width": 80, "hole_count": 9, "hole_diameter": 3}),
    ("open_box", {"length": 60, "width": 40, "height": 20, "wall": 0.8}),
    ("pyramid", {"base": 40, "height": 30}),
    ("sphere", {"diameter": 10}),
])
def test_no_thin_wall_false_alarms(kind, params):
    assert prepare(part(kind, **params))[1].check("thin_walls").level == "ok"


def test_tall_narrow_parts_warn_about_tipping():
    _placed, report = prepare(part("cylinder", diameter=5, height=100))
    tip = report.check("tip_over")
    assert tip.level == "warning" and tip.value == pytest.approx(20, rel=0.01)


def test_open_meshes_are_errors():
    cube = part("cube", size=20)
    open_cube = trimesh.Trimesh(cube.vertices, cube.faces[1:], process=False)
    _placed, report = prepare(open_cube)
    assert not report.ok
    assert levels(report)["watertight"] == "error"
    assert report.check("thin_walls").value is None


def test_degenerate_input_is_refused():
    with pytest.raises(AgentError):
        prepare_for_print(trimesh.Trimesh(), PRINTER)
    flat = trimesh.Trimesh([[0, 0, 0], [1, 0, 0], [0, 1, 0]], [[0, 1, 2]], process=False)
    with pytest.raises(AgentError) as err:
        prepare_for_print(flat, PRINTER)
    assert err.value.stage == "checking"
