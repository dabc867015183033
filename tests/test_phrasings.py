"""Requests nobody here wrote into the eval files: at least three phrasings of every feature, of
composition, and of the CAD terms people who know CAD use ("sketch ... and extrude it", "draw a
circle ... and cut it through", "a polygon through the points ...", "rotate it 90 degrees about
X"). Each is read offline, built, and measured on the mesh against a volume worked out by hand
(or, for a box bevelled on every edge, the convex hull of its corners, computed independently).
Every number in each request must have a role in the spec."""

from __future__ import annotations

import itertools
import math
import re

import manifold3d
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import ConvexHull

from octoprint_aiagent.cad.build import BuildContext, build_document
from octoprint_aiagent.cad.measure import measure
from octoprint_aiagent.language.drawing import _xyz_angles
from octoprint_aiagent.language.parser import parse_prompt
from octoprint_aiagent.model.document import check_part
from octoprint_aiagent.model.errors import AgentError


def disc(d: float) -> float:
    return math.pi * d * d / 4


def obround(length: float, width: float) -> float:
    return (length - width) * width + disc(width)


def bevelled_block(length: float, width: float, height: float, c: float) -> float:
    corners = []
    for sx, sy, sz in itertools.product((-1, 1), repeat=3):
        x, y, z = length / 2, width / 2, height / 2
        corners += [(sx * (x - c), sy * (y - c), sz * z), (sx * (x - c), sy * y, sz * (z - c)), (sx * x, sy * (y - c), sz * (z - c))]
    return ConvexHull(np.array(corners)).volume


FILLET = 4 - math.pi  # what rounding one corner of a square to radius 1 takes away

# (request, the feature or solid it must make, volume in mm^3)
PHRASINGS = [
    ("a 40 mm cube with a 10 mm hole drilled straight through the centre", "hole", 64000 - disc(10) * 40),
    ("a 60 x 40 x 10 mm block, 8 mm hole through the middle from top to bottom", "hole", 24000 - disc(8) * 10),
    ("drill a 6 mm hole through the middle of a 30 x 30 x 5 mm plate", "hole", 4500 - disc(6) * 5),
    ("a 50 x 50 x 20 block with a 12 mm wide hole 10 mm deep in the top", "hole", 50000 - disc(12) * 10),
    ("a 40 x 40 x 10 mm plate with a round pocket 20 mm across and 4 mm deep", "pocket", 16000 - disc(20) * 4),
    ("a block 60 x 40 x 15 with a 30 x 20 mm recess 5 mm deep in the top", "pocket", 36000 - 30 * 20 * 5),
    ("a 50 mm square plate, 6 mm thick, with a square pocket of 20 mm, 3 mm deep", "pocket", 15000 - 20 * 20 * 3),
    ("a 80 x 30 x 10 block with a slot 30 mm long and 8 mm wide cut through it", "slot", 24000 - obround(30, 8) * 10),
    ("a plate 100 x 40 x 5 mm with a 40 mm long, 6 mm wide slot through the middle", "slot", 20000 - obround(40, 6) * 5),
    ("cut a 10 mm slot 30 mm long right through a 60 x 40 x 10 block", "slot", 24000 - obround(30, 10) * 10),
    ("a 60x40x10 mm block with a 6 mm wide groove 2 mm deep across the top", "groove", 24000 - 6 * 2 * 40),
    ("a 60 x 40 x 10 block with a channel 5 mm wide and 3 mm deep along the top", "groove", 24000 - 5 * 3 * 60),
    ("a 50 x 30 x 8 bar with a 4 mm groove, 2 mm deep, running along its length", "groove", 12000 - 4 * 2 * 50),
    ("a 50 x 50 x 5 plate with a 10 mm boss 8 mm tall in the middle", "boss", 12500 + disc(10) * 8),
    ("a plate 60 x 40 x 4 mm with a round peg 6 mm wide and 10 mm high on top", "boss|add", 9600 + disc(6) * 10),
    ("a block 40 x 30 x 10 mm; on the top face draw a circle of radius 5 mm and extrude it 8 mm", "boss", 12000 + disc(10) * 8),
    ("a 60 x 40 x 5 plate with a rib 3 mm thick and 10 mm tall along the middle", "rib", 12000 + 3 * 10 * 60),
    ("a plate 80 x 20 x 4 with a 2 mm thick, 8 mm high stiffening rib down the middle", "rib", 6400 + 2 * 8 * 80),
    ("a 100 x 50 x 3 base plate with a stiffener 4 mm thick, 12 mm tall, standing along the middle", "rib", 15000 + 4 * 12 * 100),
    ("a 50 x 50 x 4 plate with a 2 mm wide, 6 mm tall rim around the edge", "rim", 10000 + (2500 - 46 * 46) * 6),
    ("a plate 60 x 60 x 3 with a raised edge 2 mm wide and 5 mm high all around", "rim", 10800 + (3600 - 56 * 56) * 5),
    ("a 80 x 40 x 3 mm plate with a border 3 mm wide and 4 mm tall around the perimeter", "rim", 9600 + (3200 - 74 * 34) * 4),
    ("a box 40 x 40 x 20 with all vertical edges rounded to 4 mm", "fillet", 32000 - FILLET * 16 * 20),
    ("a 50 x 30 x 10 block with its vertical corners filleted at 5 mm radius", "fillet", 15000 - FILLET * 25 * 10),
    ("a 30 mm cube with all its edges rounded, 2 mm radius", "fillet",
     26**3 + 6 * 26**2 * 2 + 3 * math.pi * 4 * 26 + 4 / 3 * math.pi * 8),
    ("a 60 x 40 x 15 block, round the vertical edges with a 6 mm radius", "fillet", 36000 - FILLET * 36 * 15),
    ("a 50 x 30 x 20 box with the vertical edges chamfered 3 mm", "chamfer", 30000 - 2 * 9 * 20),
    ("a 40 x 40 x 10 mm block with 2 mm chamfers on all edges", "chamfer", bevelled_block(40, 40, 10, 2)),
    ("a 40 mm cube, bevel its vertical edges by 2 mm", "chamfer", 64000 - 2 * 4 * 40),
    ("a 40 mm cube hollowed out with 2 mm walls, open at the top", "shell", 64000 - 36 * 36 * 38),
    ("a 60 x 40 x 30 block shelled to 1.6 mm walls, open on top", "shell", 72000 - 56.8 * 36.8 * 28.4),
    ("a 50 mm cube hollowed out with 3 mm walls, closed on all sides", "shell", 125000 - 44**3),
    ("a cylinder 40 mm across and 30 mm tall, shell the top face inward by 7.5 mm", "shell", disc(40) * 30 - disc(25) * 22.5),
    ("a 100 x 60 x 4 plate with a 3 by 2 grid of 8 mm holes", "grid", 24000 - 6 * disc(8) * 4),
    ("a plate 80 x 80 x 5 with eight 5 mm holes evenly spaced on a 60 mm circle", "circle", 32000 - 8 * disc(5) * 5),
    ("a 70 x 50 x 4 mm plate with 3.5 mm holes at each corner, 5 mm in from the edges", "corners", 14000 - 4 * disc(3.5) * 4),
    ("a plate 120 x 30 x 3 with a row of five 4 mm holes 20 mm apart", "row", 10800 - 5 * disc(4) * 3),
    ("a plate 120 x 30 x 3 with a row of 5 holes 4 mm wide, 20 mm apart", "row", 10800 - 5 * disc(4) * 3),
    ("a plate 80 x 80 x 5 with 6 holes of 5 mm on a 60 mm circle", "circle", 32000 - 6 * disc(5) * 5),
    ("a 30 mm cylinder 10 mm tall with a 15 mm cylinder 20 mm tall on top of it", "add", disc(30) * 10 + disc(15) * 20),
    ("a 60 x 40 x 10 block with a 15 mm cube on top in the middle", "add", 24000 + 15**3),
    ("a 40 mm cube with a 15 mm cube cut out of one corner", "cut", 64000 - 15**3),
    ("a rod 10 mm across and 50 mm long with a 25 mm flange 3 mm thick at one end", "add", disc(10) * 50 + disc(25) * 3),
]

CAD_TERMS = [
    ("sketch a rectangle 50 by 75 mm and extrude it 15 mm", "box", 50 * 75 * 15),
    ("extrude a circle of radius 10 mm by 5 mm", "cylinder", disc(20) * 5),
    ("sketch a circle with a diameter of 30 mm and pull it up 12 mm", "cylinder", disc(30) * 12),
    ("a block 40 x 30 x 10; on the top face draw a circle of radius 7.5 mm and cut it through", "hole", 12000 - disc(15) * 10),
    ("a block 40 x 30 x 10 mm with a circle of diameter 8 mm drawn on the top face and cut 4 mm deep", "hole",
     12000 - disc(8) * 4),
    ("a block 40 x 30 x 10 mm; on the top face draw a rectangle 10 by 20 mm and cut it 3 mm deep", "pocket", 12000 - 600),
    ("a polygon through the points (0,0), (40,0), (40,10), (10,40), extruded 5 mm", "extrude", 950 * 5),
    ("a triangle with corners at (0,0), (30,0) and (0,20), 4 mm thick", "extrude", 300 * 4),
    ("draw a polygon with vertices (0,0), (50,0), (50,30), (25,45), (0,30) and extrude it 6 mm", "extrude", 1875 * 6),
    ("a 20 mm cube, rotate it 90 degrees about X", "cube", 8000),
    ("a cylinder 20 mm across and 30 mm tall, rotated 90 degrees about the X axis", "cylinder", disc(20) * 30),
    ("a 20 mm cube, translate it so its centre is at the origin", "cube", 8000),
    ("a 20 mm cube moved 10 mm along X", "cube", 8000),
    ("a 20 mm cube, move it by (10, 5, 0)", "cube", 8000),
]


def _numbers(prompt: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", prompt)


def _kinds(node) -> set:
    """Every node type and pattern named anywhere in a document."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            found |= _kinds(value)
    elif isinstance(node, list):
        for value in node:
            found |= _kinds(value)
    return found


@pytest.mark.parametrize("prompt, what, volume", PHRASINGS + CAD_TERMS, ids=[p[0] for p in PHRASINGS + CAD_TERMS])
def test_each_phrasing_builds_what_it_says(prompt, what, volume):
    spec = parse_prompt(prompt)
    assert any(w in _kinds(spec.part) for w in what.split("|")), spec.part
    solid = build_document(spec.part, BuildContext())
    assert solid.status() == manifold3d.Error.NoError
    assert measure(solid).volume == pytest.approx(volume, rel=0.01)
    said = " ".join(r.said for r in spec.roles)
    for number in _numbers(prompt):
        assert number in said or any(float(number) == r.value for r in spec.roles), f"'{number}' has no role: {spec.roles}"


def test_each_feature_has_three_phrasings():
    counts: dict = {}
    for _prompt, what, _volume in PHRASINGS:
        counts[what.split("|")[0]] = counts.get(what.split("|")[0], 0) + 1
    thin = {k: n for k, n in counts.items() if n < 3 and k not in ("corners", "row", "grid", "circle", "cut")}
    assert not thin
    assert sum(counts[k] for k in ("corners", "row", "grid", "circle")) >= 3


def test_a_turn_or_a_move_is_kept_as_placement_with_its_numbers():
    spec = parse_prompt("a cylinder 20 mm across and 30 mm tall, rotated 90 degrees about the X axis")
    assert spec.part["rotate"] == [90.0, 0.0, 0.0]
    (turn,) = [r for r in spec.roles if r.path == "rotate"]
    assert turn.value == 90 and "about X" in turn.role and "laid on the bed" in turn.role
    spec = parse_prompt("a 20 mm cube moved 10 mm along X and 5 mm along Y")
    assert spec.part["translate"] == [10.0, 5.0, 0.0]
    spec = parse_prompt("a 20 mm cube, translate it so its centre is at the origin")
    assert "translate" not in spec.part and any("where the part sits" in n for n in spec.notes)


def test_turns_in_any_order_are_kept_as_one_equivalent_turn():
    spec = parse_prompt("a box 10 x 20 x 30 mm, rotate it 90 degrees about Z, then rotate it 90 degrees about X")
    box = manifold3d.Manifold.cube((10.0, 20.0, 30.0))
    stepwise = box.rotate((0.0, 0.0, 90.0)).rotate((90.0, 0.0, 0.0))
    at_once = box.rotate(tuple(spec.part["rotate"]))
    assert np.allclose(stepwise.bounding_box(), at_once.bounding_box(), atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("xyz"), st.sampled_from([15.0, 30.0, 45.0, 90.0, 135.0, 180.0, 270.0])), min_size=1, max_size=4))
def test_equivalent_turn_matches_the_turns_one_after_another(turns):
    """Checked against manifold3d's own rotation of an asymmetric solid, not against our matrices."""
    solid = manifold3d.Manifold.cube((3.0, 5.0, 7.0)).translate((1.0, 2.0, 4.0))
    stepwise = solid
    matrix = np.eye(3)
    for axis, degrees in turns:
        angles = [0.0, 0.0, 0.0]
        angles["xyz".index(axis)] = degrees
        stepwise = stepwise.rotate(tuple(angles))
        c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
        step = {"x": [[1, 0, 0], [0, c, -s], [0, s, c]], "y": [[c, 0, s], [0, 1, 0], [-s, 0, c]], "z": [[c, -s, 0], [s, c, 0], [0, 0, 1]]}[axis]
        matrix = np.array(step) @ matrix
    at_once = solid.rotate(tuple(_xyz_angles(matrix)))
    assert np.allclose(stepwise.bounding_box(), at_once.bounding_box(), atol=1e-4)
    assert stepwise.volume() == pytest.approx(at_once.volume())


@pytest.mark.parametrize("prompt, words", [
    ("revolve a rectangle 10 by 20 mm around the Z axis", "revolving"),
    ("a 20 mm cube rotated 45 degrees", "which axis"),
    ("a 20 mm cube, rotate it 10 mm about X", "a turn is an angle"),
    ("a 20 mm cube moved 10 mm", "which axis"),
    ("a plate 50 x 50 x 3 with a 5 mm hole at (10,10)", "(10, 10)"),
    ("a shape through (0,0), (10,0), 5 mm thick", "at least 3 points"),
    ("a polygon through the points (0,0), (40,0), (0,40)", "how thick"),
    ("a block 40 x 30 x 10; on the top face draw a circle of radius 5 mm", "cut in (a hole) or extruded out (a boss)"),
    ("a 40 mm cube hollowed out with 2 mm walls, closed on all sides and open on the top", "closed and open"),
])
def test_cad_terms_that_cannot_be_read_are_refused_saying_why(prompt, words):
    with pytest.raises(AgentError) as err:
        parse_prompt(prompt)
    assert err.value.stage == "understanding" and words in err.value.message + (err.value.hint or "")


@pytest.mark.parametrize("prompt, what", [
    # Once built silently wrong (issue "Part language"): each feature is now in the part.
    ("a 40 mm cube hollowed out, 2 mm walls", "shell"),
    ("a 20 mm cube with a filleted top", "fillet"),
    ("a cylinder 40 mm across and 30 mm tall, shell the top face inward by 7.5 mm", "shell"),
])
def test_a_feature_said_with_its_object_is_never_dropped(prompt, what):
    try:
        spec = parse_prompt(prompt)
    except AgentError as err:  # refused for a missing size is fine; dropped is not
        assert what in err.message
        return
    assert what in _kinds(spec.part)


def test_a_feature_word_in_the_objects_own_words_is_refused_rather_than_dropped():
    with pytest.raises(AgentError, match="shell"):
        parse_prompt("a 40 mm cube hollowed out")


@pytest.mark.parametrize("prompt, text", [
    ("a name tag 60 x 20 x 2 mm with ANNA in raised 1 mm letters", {"text": "ANNA", "style": "raised", "relief": 1.0}),
    ("a name tag 60 x 20 x 2 mm with the name ANNA in raised letters 1 mm high", {"text": "ANNA", "style": "raised", "relief": 1.0}),
    ("a 60 x 20 x 3 mm label with BOB JONES engraved 0.6 mm deep", {"text": "BOB JONES", "style": "engraved", "relief": 0.6}),
    ("a PETG tag 50 x 15 x 2 with TOM in raised 8 mm letters", {"text": "TOM", "style": "raised", "height": 8.0}),
    ("a plate 60 x 30 x 3 with 'M3' engraved on the top, 8 mm tall", {"text": "M3", "style": "engraved", "height": 8.0}),
])
def test_text_in_capitals_quotes_or_named_and_how_far_it_stands_out(prompt, text):
    # Letters under 3 mm tall would not be legible, so "raised 1 mm letters" stand out 1 mm;
    # once a request speaks of letters, a word in capitals (not PETG, not M3) is what they say.
    spec = parse_prompt(prompt)
    (feature,) = [f["text"] for f in spec.part["features"]]
    assert {k: feature[k] for k in text} == text
    solid = build_document(spec.part, BuildContext())
    assert solid.status() == manifold3d.Error.NoError and len(solid.decompose()) == 1


# Requests as a maker types them, each with what it must make and its volume by hand.
MAKERS = [
    ("a hollow cube 30 mm with 2 mm walls", {"shell": {"wall": 2.0, "open": []}}, 30**3 - 26**3),
    ("a 40 mm cube with 2 mm walls", {"shell": {"wall": 2.0, "open": []}}, 40**3 - 36**3),
    ("a cylinder with diameter 20 and height 40 with a 5 mm chamfer on the top edge", {"chamfer": {"size": 5.0, "edges": "top"}},
     disc(20) * 35 + math.pi * 5 / 3 * (10**2 + 10 * 5 + 5**2)),
    ("a 10x10x50mm rectangular rod", {"box": {"length": 10.0, "width": 10.0, "height": 50.0}}, 5000),
    ("a plate 100x50x5 with 4 M4 holes in the corners", {"hole": {"screw": "M4"}, "pattern": {"corners": {}}},
     100 * 50 * 5 - 4 * disc(4.5) * 5),
    ("a name tag saying 'LEO', 50 x 20 x 3 mm", {"box": {"length": 50.0, "width": 20.0, "height": 3.0}}, None),
    ("a coaster 100 mm in diameter and 5 mm thick with a 2 mm rim", {"rim": {"width": 2.0, "height": 2.0}},
     disc(100) * 5 + (disc(100) - disc(96)) * 2),
    ("a hook for my towel rail, which is 25 mm across", {"rail_hook": {"rail_diameter": 25.0}}, None),
    ("a 60mm x 60mm x 2mm square plate with a 5mm radius on the corners", {"fillet": {"radius": 5.0, "edges": "vertical"}},
     (3600 - 25 * (4 - math.pi)) * 2),
    ("a cylinder 30 mm across and 10 mm tall with a 1 mm chamfer", {"chamfer": {"size": 1.0, "edges": "all"}},
     disc(30) * 10 - 2 * 2 * math.pi * (15 - 1 / 3) * 0.5),
    ("a 3 mm thick disk with a diameter of 60 mm and 6 holes of 4 mm around a 45 mm circle",
     {"pattern": {"circle": {"count": 6, "diameter": 45.0}}}, (disc(60) - 6 * disc(4)) * 3),
    ("a 50 mm cube with a 30 mm cylinder cut out of the middle", {"hole": {"diameter": 30.0}}, 50**3 - disc(30) * 50),
    ("a 60 x 40 x 10 plate with a 20 mm diameter cylinder cut out", {"hole": {"diameter": 20.0}}, 24000 - disc(20) * 10),
]


def _holds(node, want) -> bool:
    """Is ``want`` (a node type with some of its values) somewhere in ``node``?"""
    if isinstance(node, dict):
        if all(k in node and (node[k] == v if not isinstance(v, dict) else _holds(node[k], v)) for k, v in want.items()):
            return True
        return any(_holds(v, want) for v in node.values())
    return isinstance(node, list) and any(_holds(v, want) for v in node)


@pytest.mark.parametrize("prompt, holds, volume", MAKERS, ids=[m[0] for m in MAKERS])
def test_makers_phrasings_make_what_they_say(prompt, holds, volume):
    spec = parse_prompt(prompt)
    assert _holds(spec.part, holds), spec.part
    solid = build_document(spec.part, BuildContext())
    assert solid.status() == manifold3d.Error.NoError
    if volume is not None:
        assert measure(solid).volume == pytest.approx(volume, rel=0.01)


@pytest.mark.parametrize("prompt, assumed", [
    ("a knob 25 mm across for a 6 mm D shaft", "height"),
    ("a knob for a 6 mm D-shaft", "diameter"),
    ("a phone stand", "device_thickness"),
    ("a wall hook with two screw holes", "screw"),
    ("a coaster 100 mm in diameter and 5 mm thick with a 2 mm rim", "features[0].rim.height"),
])
def test_a_size_left_out_is_a_listed_assumption(prompt, assumed):
    assert assumed in {a.field for a in parse_prompt(prompt).assumptions}


@pytest.mark.parametrize("prompt, centre", [
    ("a 60 x 40 x 5 plate with a 6 mm hole 10 mm from the left and 12 mm from the front", (-20.0, -8.0)),
    ("a 60 x 40 x 5 plate with a 6 mm hole 15 mm in from the right side", (15.0, 0.0)),
    ("a 60 x 40 x 5 plate with a 6 mm hole 8 mm from the back edge", (0.0, 12.0)),
])
def test_a_hole_measured_from_a_named_side_is_there_on_the_part(prompt, centre):
    solid = build_document(parse_prompt(prompt).part, BuildContext())
    lo, hi = np.asarray(solid.bounding_box()).reshape(2, 3)
    middle = (lo[:2] + hi[:2]) / 2
    rings = sorted(solid.slice((lo[2] + hi[2]) / 2).to_polygons(), key=lambda r: np.ptp(np.asarray(r)[:, 0]))
    hole = np.asarray(rings[0])
    assert np.ptp(hole[:, 0]) == pytest.approx(6.0, abs=0.05)
    assert (hole.min(axis=0) + hole.max(axis=0)) / 2 - middle == pytest.approx(centre, abs=0.01)


def test_a_part_on_top_of_another_is_the_other_with_it_added():
    spec = parse_prompt("a cylinder 20 mm diameter 30 mm tall standing on a 50 x 50 x 5 mm base plate")
    assert spec.part["box"] == {"length": 50.0, "width": 50.0, "height": 5.0}
    solid = build_document(spec.part, BuildContext())
    assert measure(solid).volume == pytest.approx(50 * 50 * 5 + disc(20) * 30, rel=0.01)
    assert {r.value for r in spec.roles} >= {20.0, 30.0, 50.0, 5.0}
    cubes = parse_prompt("a 20 mm cube on top of a 40 mm cube")
    assert cubes.part["cube"] == {"size": 40.0} and measure(build_document(cubes.part, BuildContext())).volume == pytest.approx(72000)


@pytest.mark.parametrize("prompt", ["a box 50x50x50 with a 20mm hole on each side", "a 40 mm cube with a 5 mm hole in every face"])
def test_a_feature_on_every_face_is_asked_face_by_face_not_made_once(prompt):
    # It once made one hole and dropped the rest.
    with pytest.raises(AgentError, match="one face at a time"):
        parse_prompt(prompt)


def test_holes_measured_from_each_side_are_still_an_inset():
    spec = parse_prompt("a 40 x 40 x 10 plate with 3 mm holes 5 mm from each side")
    assert spec.part["features"][0]["pattern"] == {"corners": {"inset": 5.0}}
    assert measure(build_document(spec.part, BuildContext())).volume == pytest.approx(16000 - 4 * disc(3) * 10, rel=0.005)


def test_holes_without_a_number_or_a_place_are_a_question():
    # It once made one hole of "3 mm holes".
    with pytest.raises(AgentError, match="I understood holes but not how many"):
        parse_prompt("a 40 x 40 x 10 plate with 3 mm holes")


def test_a_cylinder_has_no_vertical_edges_to_round():
    # Rounding them changed nothing; it passed as if done.
    part = {"cylinder": {"diameter": 20, "height": 10}, "features": [{"fillet": {"radius": 2, "edges": "vertical"}}]}
    with pytest.raises(AgentError, match="a cylinder has no vertical edges to round"):
        build_document(check_part(part).part, BuildContext())
