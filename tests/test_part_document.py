"""The part document: validated strictly (errors name the node), built exactly, every feature
measured on the mesh (extents, volume, holes found in sections), and property tests: random valid
documents build watertight with their stated sizes on the mesh; broken ones are refused by path."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from octoprint_aiagent.cad import edges, features, sketches, solids
from octoprint_aiagent.cad.build import BuildContext, build_document
from octoprint_aiagent.cad.measure import measure
from octoprint_aiagent.cad.mesh_io import manifold_to_trimesh
from octoprint_aiagent.model.document import MAX_DEPTH, MAX_NODES, SOLID_TYPES, check_part
from octoprint_aiagent.model.errors import AgentError
from octoprint_aiagent.model.features import FEATURES
from octoprint_aiagent.model.patterns import MAX_INSTANCES, PATTERNS
from octoprint_aiagent.model.sketches import SKETCHES
from octoprint_aiagent.model.solids import COMPOSITIONS
from octoprint_aiagent.model.templates import TEMPLATES


def build(doc, **context):
    solid = build_document(check_part(doc).part, BuildContext(**context))
    mesh = manifold_to_trimesh(solid)
    assert mesh.is_watertight and mesh.is_winding_consistent
    return solid, measure(solid)


def box(length=40, width=30, height=10, **more):
    return {"box": {"length": length, "width": width, "height": height}, **more}


def refused(doc, *words, **context):
    with pytest.raises(AgentError) as err:
        build_document(check_part(doc).part, BuildContext(**context))
    for word in words:
        assert word in err.value.message, err.value.message
    assert err.value.reason == "invalid"
    return err.value


# --- every word of the language has its builder -------------------------------------------------


def test_every_table_entry_has_a_builder():
    assert set(SOLID_TYPES) == set(solids.BUILDERS) | set(TEMPLATES) | set(COMPOSITIONS)
    assert set(SKETCHES) == set(sketches.BUILDERS) | {"union", "difference"}
    assert set(FEATURES) == set(features.TOOLS) | set(edges.MODIFIERS)
    assert set(PATTERNS) == set(features.PATTERNS)


# --- solids and sketches ----------------------------------------------------------------------


@pytest.mark.parametrize("doc, extents, volume", [
    (box(10, 20, 30), (10, 20, 30), 6000),
    ({"cylinder": {"diameter": 10, "height": 20}}, (10, 10, 20), math.pi * 25 * 20),
    ({"cone": {"base_diameter": 10, "top_diameter": 4, "height": 9}}, (10, 10, 9), math.pi * 9 / 3 * (25 + 10 + 4)),
    ({"sphere": {"diameter": 30}}, (30, 30, 30), math.pi * 30**3 / 6),
    ({"torus": {"diameter": 40, "tube_diameter": 10}}, (50, 50, 10), 2 * math.pi**2 * 20 * 25),
    ({"extrude": {"sketch": {"polygon": {"points": [[0, 0], [30, 0], [30, 10], [10, 10], [10, 30], [0, 30]]}}, "height": 4}},
     (30, 30, 4), 500 * 4),
    ({"extrude": {"sketch": {"polygon": {"points": [[0, 0], [0, 10], [10, 0]]}}, "height": 2}}, (10, 10, 2), 100),
    ({"extrude": {"sketch": {"rect": {"length": 20, "width": 20}}, "height": 30, "top_scale": 0}}, (20, 20, 30), 4000),
    ({"extrude": {"sketch": {"rect": {"length": 20, "width": 10, "corner_radius": 3}}, "height": 2}}, (20, 10, 2),
     (200 - (4 - math.pi) * 9) * 2),
    ({"extrude": {"sketch": {"regular_polygon": {"sides": 6, "across_flats": 10}}, "height": 5}}, (10 / math.cos(math.pi / 6), 10, 5),
     math.sqrt(3) / 2 * 100 * 5),
    ({"extrude": {"sketch": {"slot": {"length": 30, "width": 10}}, "height": 1}}, (30, 10, 1), 20 * 10 + math.pi * 25),
    ({"extrude": {"sketch": {"offset": {"sketch": {"rect": {"length": 10, "width": 10}}, "distance": 2}}, "height": 1}}, (14, 14, 1),
     100 + 4 * 20 + math.pi * 4),
    ({"revolve": {"sketch": {"rect": {"length": 5, "width": 10}, "translate": [7.5, 5]}}}, (20, 20, 10), math.pi * (100 - 25) * 10),
    ({"union": [box(20, 20, 10), box(20, 20, 10, translate=[10, 0, 0])]}, (30, 20, 10), 6000),
    ({"intersection": [box(20, 20, 10), box(20, 20, 10, translate=[10, 0, 0])]}, (10, 20, 10), 2000),
    ({"difference": [box(20, 20, 10), {"cylinder": {"diameter": 10, "height": 10}}]}, (20, 20, 10), 4000 - math.pi * 250),
    ({"array": {"solid": box(5, 5, 5), "count": 4, "spacing": [10, 0, 0]}}, (35, 5, 5), 500),
    ({"circular_array": {"solid": box(4, 4, 4), "count": 6, "diameter": 30}}, None, 6 * 64),
])
def test_solids_have_exact_extents_and_volume_within_one_percent(doc, extents, volume):
    _, m = build(doc)
    if extents is not None:
        assert np.allclose(m.extents, extents, atol=1e-3)
    assert m.volume == pytest.approx(volume, rel=0.01)


def test_moves_apply_mirror_then_rotate_then_translate():
    solid, _ = build(box(10, 20, 30, rotate=[0, 90, 0], translate=[1, 2, 3]))
    lo, hi = np.asarray(solid.bounding_box()).reshape(2, 3)
    assert np.allclose([lo, hi], [[1, -8, -2], [31, 12, 8]], atol=1e-4)
    lopsided = {"extrude": {"sketch": {"polygon": {"points": [[0, 0], [10, 0], [0, 5]]}}, "height": 1}, "mirror": "x"}
    lo, hi = np.asarray(build(lopsided)[0].bounding_box()).reshape(2, 3)
    assert lo[0] == pytest.approx(-10) and hi[0] == pytest.approx(0)


def test_templates_are_re_anchored_on_the_bed_and_centred():
    solid, _ = build({"triangular_prism": {"side": 20, "length": 50}})
    lo, hi = np.asarray(solid.bounding_box()).reshape(2, 3)
    assert lo[2] == pytest.approx(0) and np.allclose(lo[:2], -hi[:2])


# --- features, measured -------------------------------------------------------------------------


def test_a_hole_through_and_a_blind_one():
    _, m = build(box(features=[{"hole": {"diameter": 8}}]))
    assert m.hole_diameters("z") == pytest.approx([8], abs=0.05)
    assert m.volume == pytest.approx(12000 - math.pi * 16 * 10, rel=0.005)
    _, m = build(box(features=[{"hole": {"diameter": 8, "depth": 2}, "on": "bottom"}]))
    assert m.hole_diameters("z") == []  # blind: not in the sections higher up
    assert m.volume == pytest.approx(12000 - math.pi * 16 * 2, rel=0.005)


@pytest.mark.parametrize("face, axis", [("front", "y"), ("back", "y"), ("left", "x"), ("right", "x"), ("bottom", "z")])
def test_holes_go_in_along_their_face(face, axis):
    _, m = build(box(30, 30, 30, features=[{"hole": {"diameter": 6}, "on": face}]))
    assert m.hole_diameters(axis) == pytest.approx([6], abs=0.05)


@pytest.mark.parametrize("pattern, count", [
    ({"grid": {"columns": 4, "rows": 3}}, 12), ({"circle": {"count": 6, "diameter": 20}}, 6), ({"corners": {"inset": 5}}, 4),
    ({"row": {"count": 3, "spacing": 10}}, 3), ({"spread": {"count": 5}}, 5), ({"corners": {}}, 4),
])
def test_patterns_make_every_hole(pattern, count):
    _, m = build(box(60, 40, 5, features=[{"hole": {"diameter": 3}, "pattern": pattern}]))
    assert m.hole_diameters("z") == pytest.approx([3] * count, abs=0.05)


def test_pattern_positions_are_where_they_were_asked():
    _, m = build(box(60, 40, 5, features=[{"hole": {"diameter": 3}, "pattern": {"corners": {"inset": 5}}}]))
    centres = sorted((round(h.centre[0], 1), round(h.centre[1], 1)) for h in m.holes if h.axis == "z")
    assert centres == [(-25, -15), (-25, 15), (25, -15), (25, 15)]
    _, m = build({"cylinder": {"diameter": 40, "height": 5}, "features": [{"hole": {"diameter": 3}, "pattern": {"circle": {"count": 5, "diameter": 30}}}]})
    assert [math.hypot(*h.centre) for h in m.holes if h.axis == "z"] == pytest.approx([15] * 5, abs=0.05)
    _, m = build(box(features=[{"hole": {"diameter": 4}, "from_edge": {"left": 5, "back": 6}}]))
    (hole,) = [h for h in m.holes if h.axis == "z"]
    assert hole.centre == pytest.approx((-15, 9), abs=0.05)


def test_pocket_slot_groove_cut_into_the_face():
    _, m = build(box(features=[{"pocket": {"sketch": {"rect": {"length": 10, "width": 6}}, "depth": 3}}]))
    assert m.volume == pytest.approx(12000 - 180)
    _, m = build(box(features=[{"slot": {"length": 20, "width": 6, "depth": 2}}]))
    assert m.volume == pytest.approx(12000 - (14 * 6 + math.pi * 9) * 2, rel=0.002)
    _, m = build(box(features=[{"groove": {"width": 6, "depth": 2}}]))
    assert m.volume == pytest.approx(12000 - 40 * 6 * 2) and m.bodies == 1
    _, m = build(box(features=[{"groove": {"width": 6, "depth": 2, "along": "width"}}]))
    assert m.volume == pytest.approx(12000 - 30 * 6 * 2)


def test_boss_rib_rim_and_add_stand_on_the_face():
    _, m = build(box(features=[{"boss": {"sketch": {"circle": {"diameter": 10}}, "height": 5}}]))
    assert m.extents[2] == pytest.approx(15) and m.volume == pytest.approx(12000 + math.pi * 25 * 5, rel=0.002)
    _, m = build(box(features=[{"rib": {"thickness": 2, "height": 8}}]))
    assert m.extents == pytest.approx((40, 30, 18)) and m.volume == pytest.approx(12000 + 40 * 2 * 8)
    _, m = build({"cylinder": {"diameter": 40, "height": 4}, "features": [{"rim": {"width": 2, "height": 1}}]})
    assert m.volume == pytest.approx(math.pi * 400 * 4 + math.pi * (400 - 324), rel=0.005)
    _, m = build(box(features=[{"add": {"solid": {"cylinder": {"diameter": 6, "height": 10}}}, "on": "front"}]))
    assert m.extents[1] == pytest.approx(40, abs=0.01) and m.bodies == 1


def test_a_cube_cut_out_of_a_corner_sits_flush_with_it():
    _, m = build({"cube": {"size": 25}, "features": [{"cut": {"solid": {"cube": {"size": 10}}}, "flush": ["left", "front"]}]})
    assert m.volume == pytest.approx(25**3 - 1000) and m.extents == pytest.approx((25, 25, 25))


def test_fillets_and_chamfers():
    _, m = build(box(60, 40, 20, features=[{"fillet": {"radius": 5}}]))
    assert m.volume == pytest.approx(20 * (2400 - (4 - math.pi) * 25), rel=0.002)
    _, m = build({"cube": {"size": 20}, "features": [{"fillet": {"radius": 2, "edges": "all"}}]})
    assert m.volume == pytest.approx(16**3 + 6 * 256 * 2 + 12 * math.pi * 16 + 4 / 3 * math.pi * 8, rel=0.01)
    _, m = build(box(60, 40, 20, features=[{"chamfer": {"size": 2}}]))
    assert m.volume == pytest.approx(20 * (2400 - 4 * 2), rel=1e-6)
    # Corners seen from above are not limited by the thickness: a thin plate takes large ones.
    _, m = build(box(60, 40, 3, features=[{"fillet": {"radius": 8}}]))
    assert m.volume == pytest.approx(3 * (2400 - (4 - math.pi) * 64), rel=0.002)
    _, m = build(box(60, 40, 3, features=[{"chamfer": {"size": 5}}]))
    assert m.volume == pytest.approx(3 * (2400 - 2 * 25), rel=1e-6)
    _, m = build({"cylinder": {"diameter": 20, "height": 10}, "features": [{"fillet": {"radius": 2, "edges": "top"}}]})
    assert m.extents == pytest.approx((20, 20, 10), abs=1e-3)
    assert m.volume < math.pi * 100 * 10


def test_shells_leave_walls_and_a_floor():
    _, m = build({"cylinder": {"diameter": 50, "height": 20}, "features": [{"shell": {"wall": 2, "floor": 3}}]})
    assert m.volume == pytest.approx(math.pi * 625 * 20 - math.pi * 23**2 * 17, rel=0.005)
    _, m = build(box(features=[{"shell": {"wall": 2, "open": ["top", "front"]}}]))
    assert m.volume == pytest.approx(12000 - 36 * 28 * 8, rel=1e-6)  # no front wall: the cavity runs out


def test_the_groups_apply_in_order_whatever_the_list_says():
    # A hole listed before the boss still goes through it; the fillet rounds the block, not the boss.
    _, m = build(box(features=[{"hole": {"diameter": 4}}, {"boss": {"sketch": {"circle": {"diameter": 12}}, "height": 5}},
                               {"fillet": {"radius": 3}}]))
    assert m.hole_diameters("z") == pytest.approx([4], abs=0.05)
    # A template's own shell and the user's fillet: the box is rounded first, then hollowed.
    _, m = build({"open_box": {"length": 60, "width": 40, "height": 20}, "features": [{"fillet": {"radius": 5}}]})
    assert m.bodies == 1 and m.volume < 11712


def test_text_is_raised_or_engraved_and_fits_the_face():
    plain = 60 * 20 * 2
    _, m = build(box(60, 20, 2, features=[{"text": {"text": "ANNA", "relief": 1}}]))
    assert m.extents[2] == pytest.approx(3) and m.volume > plain
    _, m = build(box(60, 20, 2, features=[{"text": {"text": "ANNA", "relief": 0.6, "style": "engraved"}}]))
    assert m.extents[2] == pytest.approx(2) and m.volume < plain
    ctx = BuildContext()
    solid = build_document(check_part(box(60, 20, 2, features=[{"text": {"text": "ANNA", "height": 10}}])).part, ctx)
    top = solid.slice(2.3)
    assert top.bounds()[3] - top.bounds()[1] == pytest.approx(10, abs=0.05), "cap height as asked"


def test_screw_holes_follow_the_standards_plus_the_fit_clearance():
    ctx = BuildContext(clearance=0.2)
    solid = build_document(check_part(box(features=[{"hole": {"screw": "M3"}}])).part, ctx)
    assert measure(solid).hole_diameters("z") == pytest.approx([3.4 + 0.4], abs=0.05)
    assert any("ISO 273" in n and "3.8" in n for n in ctx.notes)


# --- refusals that name the sizes ----------------------------------------------------------------


def test_a_hole_wider_than_its_face_is_refused_naming_both():
    refused(box(50, 50, 3, features=[{"hole": {"diameter": 60}}]), "60 x 60 mm", "50 x 50 mm top face")


def test_a_feature_off_the_part_is_refused():
    refused(box(features=[{"hole": {"diameter": 4}, "at": [100, 0]}]), "does not cut into the part")
    refused(box(features=[{"add": {"solid": box(5, 5, 5)}, "at": [200, 0]}]), "does not join the part")


def test_a_cut_that_splits_the_part_is_refused():
    refused(box(features=[{"groove": {"width": 6, "depth": 10}}]), "cuts the part into 2 pieces")


def test_walls_thinner_than_the_nozzle_are_refused():
    refused(box(features=[{"shell": {"wall": 0.3}}]), "0.3 mm", "0.4 mm nozzle")
    refused(box(features=[{"shell": {"wall": 0.5}}]), nozzle=0.6)


def test_rounding_a_shape_that_is_not_a_prism_is_refused():
    refused({"sphere": {"diameter": 20}, "features": [{"fillet": {"radius": 1}}]}, "same outline all the way up")
    refused(box(features=[{"fillet": {"radius": 20}}]), "too large")


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("doc, words", [
    ({"cube": {}}, "part.cube.size is required"),
    ({"cube": {"size": "big"}}, "part.cube.size must be a number"),
    ({"cube": {"size": True}}, "part.cube.size must be a number"),
    ({"cube": {"size": 5000}}, "part.cube.size is 5000 mm; it must be from 0.1 to 1000 mm"),
    ({"cube": {"size": 10, "colour": "red"}}, "part.cube has no parameter 'colour'"),
    ({"cube": {"size": 10}, "sparkle": 1}, "part has an unknown key 'sparkle'"),
    ({"teapot": {}}, "part names no solid types"),
    ({"cube": {"size": 1}, "box": {}}, "part names 2 ("),
    ({"union": []}, "part.union must be a non-empty list"),
    (box(features=[{"hole": {}}]), "part.features[0].hole needs exactly one of diameter, screw, thread (it has none)"),
    (box(features=[{"hole": {"diameter": 3, "screw": "M3"}}]), "exactly one of diameter, screw, thread"),
    (box(features=[{"hole": {"screw": "M7"}}]), "part.features[0].hole.screw: M7"),
    (box(features=[{"fillet": {"radius": 1}, "on": "top"}]), "a fillet takes no placement"),
    (box(features=[{"hole": {"diameter": 3}, "on": "inside"}]), "part.features[0].on must be one of"),
    (box(features=[{"hole": {"diameter": 3}, "pattern": {"circle": {"count": 3}}}]), "pattern.circle.diameter is required"),
    (box(translate=[0, 0, 1e6]), "part.translate[2] must be within +-1000"),
    ({"extrude": {"sketch": {"polygon": {"points": [[0, 0], [1, 1], [2, 2]]}}, "height": 1}}, "encloses no area"),
    ({"tube": {"outer_diameter": 5, "inner_diameter": 6, "height": 1}}, "must be smaller than the outer diameter"),
])
def test_bad_documents_are_refused_naming_the_node(doc, words):
    with pytest.raises(AgentError) as err:
        check_part(doc)
    assert words in err.value.message and err.value.reason == "invalid"


def test_node_depth_and_copies_are_limited():
    with pytest.raises(AgentError, match=f"more than {MAX_NODES} nodes"):
        check_part({"union": [box(1, 1, 1)] * (MAX_NODES + 1)})
    deep: dict = box(1, 1, 1)
    for _ in range(10_000):  # far deeper than Python's stack: refused without recursing that far
        deep = {"union": [deep]}
    with pytest.raises(AgentError, match=f"deeper than {MAX_DEPTH} levels"):
        check_part(deep)
    with pytest.raises(AgentError, match=f"more than {MAX_INSTANCES} times"):
        check_part(box(features=[{"hole": {"diameter": 1}, "pattern": {"grid": {"columns": 50, "rows": 50}}}]))


def test_checking_fills_defaults_without_changing_what_it_was_given():
    doc = box(features=[{"hole": {"diameter": 3}, "pattern": {"circle": {"count": 3, "diameter": 20}}}])
    before = copy.deepcopy(doc)
    checked = check_part(doc)
    assert doc == before
    assert checked.part["features"][0]["pattern"]["circle"]["start_angle"] == 90.0
    assert [d.path for d in checked.defaults] == ["part.features[0].pattern.circle.start_angle"]


# --- properties ----------------------------------------------------------------------------------

SIZE = st.floats(5.0, 120.0)
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def plates_with_holes(draw):
    """A block with round through holes on its top, each well inside the face and apart."""
    length, width, height = draw(SIZE), draw(SIZE), draw(st.floats(2.0, 30.0))
    d = draw(st.floats(1.0, max(1.0, min(length, width) / 4)))
    n = draw(st.integers(1, 4))
    xs = np.linspace(-length / 2 + d, length / 2 - d, n + 2)[1:-1] if n > 1 else [0.0]
    holes = [{"hole": {"diameter": d}, "at": [float(x), 0.0]} for x in xs]
    spacing = (length - 2 * d) / (n + 1)
    return box(length, width, height, features=holes), (length, width, height), d, n, spacing


@PROPERTY
@given(plates_with_holes())
def test_random_plates_build_watertight_with_their_sizes_on_the_mesh(case):
    doc, extents, d, n, spacing = case
    if n > 1 and spacing < d + 0.5:
        return  # holes that would touch are not this property's business
    _, m = build(doc)
    assert m.extents == pytest.approx(extents, abs=1e-3)
    assert m.hole_diameters("z") == pytest.approx([d] * n, rel=0.01, abs=0.02)
    assert m.bodies == 1


@st.composite
def broken_documents(draw):
    """A valid document with one thing wrong, and the path the refusal must name."""
    doc = box(features=[{"hole": {"diameter": 4}}, {"fillet": {"radius": 2}}])
    which = draw(st.sampled_from(["size", "type", "key", "feature", "pattern"]))
    if which == "size":
        doc["box"]["height"] = draw(st.sampled_from([0, -5, 1e9, float("inf")]))
        return doc, "part.box.height"
    if which == "type":
        doc["features"][0]["hole"]["diameter"] = draw(st.sampled_from(["4", None, [4], {"mm": 4}]))
        return doc, "part.features[0].hole"
    if which == "key":
        doc["features"][1][draw(st.text(min_size=1, max_size=8).filter(lambda k: k != "fillet"))] = 1
        return doc, "part.features[1]"
    if which == "feature":
        doc["features"].append({draw(st.sampled_from(["drill", "weld", "paint"])): {}})
        return doc, "part.features[2]"
    doc["features"][0]["pattern"] = {"grid": {"columns": draw(st.integers(-5, 0)), "rows": 2}}
    return doc, "part.features[0].pattern.grid.columns"


@PROPERTY
@given(broken_documents())
def test_broken_documents_are_refused_naming_the_node(case):
    doc, path = case
    with pytest.raises(AgentError) as err:
        check_part(doc)
    assert path in err.value.message, err.value.message
