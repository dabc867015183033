"""CSG documents: built exactly, validated strictly, refused with the path of the bad node."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

from octoprint_aiagent.cad.csg import MAX_DEPTH, MAX_NODES, PRIMITIVES, build_csg, csg_json_schema, validate_csg
from octoprint_aiagent.cad.shapes import build_part
from octoprint_aiagent.model.errors import AgentError
from octoprint_aiagent.model.spec import DesignSpec

BOX = {"box": {"size": [20, 20, 10], "center": True}}


def solid(doc):
    mesh = build_csg(doc)
    assert mesh.is_watertight and mesh.is_winding_consistent
    return mesh


# --- building ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc, volume, extents",
    [
        ({"box": {"size": [10, 20, 30]}}, 6000, [10, 20, 30]),
        ({"cylinder": {"d": 10, "h": 20}}, math.pi * 25 * 20, [10, 10, 20]),
        ({"cylinder": {"r": 5, "r2": 2, "h": 9}}, math.pi * 9 / 3 * (25 + 10 + 4), [10, 10, 9]),
        ({"cone": {"r": 5, "h": 12}}, math.pi * 25 * 12 / 3, [10, 10, 12]),
        ({"sphere": {"d": 30}}, math.pi * 30**3 / 6, [30, 30, 30]),
        ({"torus": {"R": 20, "r": 5}}, 2 * math.pi**2 * 20 * 25, [50, 50, 10]),
        ({"extrude": {"polygon": [[0, 0], [30, 0], [30, 10], [10, 10], [10, 30], [0, 30]], "h": 4}}, 500 * 4, [30, 30, 4]),
        ({"extrude": {"polygon": [[0, 0], [0, 10], [10, 0]], "h": 2}}, 100, [10, 10, 2]),  # clockwise is fine
    ],
)
def test_primitives_have_exact_extents_and_volume_within_one_percent(doc, volume, extents):
    mesh = solid(doc)
    assert np.allclose(mesh.extents, extents, atol=1e-4)
    assert mesh.volume == pytest.approx(volume, rel=0.01)


def test_difference_union_intersection():
    hole = {"cylinder": {"d": 10, "h": 20, "center": True}}
    assert solid({"op": "difference", "children": [BOX, hole]}).volume == pytest.approx(4000 - math.pi * 25 * 10, rel=0.01)
    beside = {"box": {"size": [20, 20, 10], "center": True}, "translate": [10, 0, 0]}
    assert solid({"op": "union", "children": [BOX, beside]}).volume == pytest.approx(30 * 20 * 10, rel=1e-6)
    assert solid({"op": "intersection", "children": [BOX, beside]}).volume == pytest.approx(10 * 20 * 10, rel=1e-6)


def test_transforms_apply_scale_then_rotate_then_translate():
    mesh = solid({"box": {"size": [10, 20, 30]}, "scale": [2, 1, 1], "rotate": [0, 90, 0], "translate": [1, 2, 3]})
    # 20 x 20 x 30 after scaling; a quarter turn about Y puts the 30 mm along X and -X... along -Z.
    assert np.allclose(mesh.bounds, [[1, 2, -17], [31, 22, 3]], atol=1e-4)
    group = solid({"op": "union", "children": [BOX], "translate": [0, 0, 100], "scale": 0.5})
    assert np.allclose(group.bounds, [[-5, -5, 97.5], [5, 5, 102.5]], atol=1e-4)


def test_build_part_places_a_csg_part_on_the_bed():
    doc = {"sphere": {"r": 5}, "translate": [100, -50, 40]}
    mesh = build_part(DesignSpec("csg", csg=doc))
    assert np.allclose(mesh.bounds, [[-5, -5, 0], [5, 5, 10]], atol=1e-4)


def test_an_empty_result_is_refused():
    inside = {"box": {"size": [1, 1, 1], "center": True}}
    with pytest.raises(AgentError) as err:
        build_csg({"op": "difference", "children": [inside, BOX]})
    assert err.value.reason == "invalid" and "empty solid" in err.value.message


def test_scaling_beyond_the_coordinate_limit_is_refused():
    with pytest.raises(AgentError) as err:
        build_csg({"box": {"size": [900, 10, 10]}, "scale": 3})
    assert "beyond +-1000 mm" in err.value.message


# --- validation --------------------------------------------------------------------------------


def union(*children):
    return {"op": "union", "children": list(children)}


@pytest.mark.parametrize(
    "doc, message",
    [
        (union(BOX, BOX, {"cylinder": {"r": 2, "h": -1}}), "csg.children[2].cylinder.h must be > 0"),
        (union(BOX, {"cylinder": {"r": 2, "h": 0}}), "csg.children[1].cylinder.h must be > 0"),
        ({"sphere": {"r": 1}, "colour": "red"}, "csg has unknown key 'colour'"),
        ({"sphere": {"r": 1, "segments": 3}}, "csg.sphere has unknown key 'segments'"),
        ({"op": "xor", "children": [BOX]}, "csg.op must be one of union, difference, intersection"),
        ({"op": "union", "children": []}, "csg.children must be a non-empty list"),
        ({"op": "union"}, "csg.children must be a non-empty list"),
        ({"box": {"size": [1, 1, 1]}, "sphere": {"r": 1}}, "csg has more than one primitive"),
        ({"translate": [1, 2, 3]}, "csg has no primitive"),
        ("cube(10)", "csg must be an object"),
        (union(BOX, ["box"]), "csg.children[1] must be an object"),
        ({"cylinder": {"r": 1, "d": 2, "h": 1}}, "csg.cylinder needs exactly one of r or d"),
        ({"cylinder": {"h": 1}}, "csg.cylinder needs exactly one of r or d"),
        ({"cone": {"r": 1, "r2": 0.5, "d2": 1, "h": 1}}, "csg.cone takes r2 or d2, not both"),
        ({"box": {"size": [1, 1]}}, "csg.box.size must be a list of 3 numbers"),
        ({"box": {"size": [1, "1", 1]}}, "csg.box.size[1] must be a finite number"),
        ({"box": {"size": [1, True, 1]}}, "csg.box.size[1] must be a finite number"),
        ({"box": {"size": [1, float("nan"), 1]}}, "csg.box.size[1] must be a finite number"),
        ({"sphere": {"r": float("inf")}}, "csg.sphere.r must be a finite number"),
        ({"sphere": {"r": "__import__('os').system('true')"}}, "csg.sphere.r must be a finite number"),
        ({"box": {"size": [1, 1, 1], "center": "yes"}}, "csg.box.center must be true or false"),
        ({"box": {"size": [1, 1, 1]}, "translate": [0, 1001, 0]}, "csg.translate[1] must be within +-1000"),
        ({"box": {"size": [1, 1, 1]}, "rotate": [0, 0, 720]}, "csg.rotate[2] must be within +-360"),
        ({"box": {"size": [1, 1, 1]}, "scale": 0}, "csg.scale factors must be between 0.001 and 1000"),
        ({"box": {"size": [1, 1, 1]}, "scale": [1, -1, 1]}, "csg.scale factors must be between 0.001 and 1000"),
        ({"box": {"size": [3000, 1, 1]}}, "csg.box.size[0] must be at most 2000 mm"),
        ({"sphere": {"r": 1200}}, "csg.sphere reaches 1200 mm from its centre"),
        ({"torus": {"R": 5, "r": 5}}, "csg.torus.r (5) must be smaller than csg.torus.R (5)"),
        ({"torus": {"R": 900, "r": 200}}, "csg.torus reaches 1100 mm"),
        ({"extrude": {"polygon": [[0, 0], [10, 10], [10, 0], [0, 10]], "h": 1}}, "csg.extrude.polygon crosses itself"),
        ({"extrude": {"polygon": [[0, 0], [10, 10]], "h": 1}}, "csg.extrude.polygon must be a list of 3 to 1000"),
        ({"extrude": {"polygon": [[0, 0], [5, 5], [10, 10]], "h": 1}}, "csg.extrude.polygon encloses no area"),
        ({"extrude": {"polygon": [[0, 0], [1, 0, 0], [0, 1]], "h": 1}}, "csg.extrude.polygon[1] must be an [x, y] point"),
        ({"extrude": {"polygon": [[0, 0], [1500, 0], [0, 1]], "h": 1}}, "csg.extrude.polygon[1][0] must be within +-1000"),
        ({"extrude": {"h": 1}}, "csg.extrude.polygon is required"),
    ],
)
def test_bad_documents_are_refused_naming_the_path(doc, message):
    with pytest.raises(AgentError) as err:
        validate_csg(doc)
    assert err.value.stage == "designing" and err.value.reason == "invalid"
    assert message in err.value.message


def test_polygons_of_up_to_1000_points_are_accepted_and_more_refused():
    angles = np.linspace(0, 2 * np.pi, 1000, endpoint=False)
    ring = np.column_stack([10 * np.cos(angles), 10 * np.sin(angles)]).tolist()
    validate_csg({"extrude": {"polygon": ring, "h": 1}})
    with pytest.raises(AgentError):
        validate_csg({"extrude": {"polygon": ring + [[0.0, 0.0]], "h": 1}})


def test_node_count_is_limited():
    validate_csg(union(*[BOX] * (MAX_NODES - 1)))
    with pytest.raises(AgentError) as err:
        validate_csg(union(*[BOX] * MAX_NODES))
    assert f"more than {MAX_NODES} nodes" in err.value.message


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
def test_deep_nesting_is_refused_without_recursion(depth):
    doc = {"sphere": {"r": 1}}
    for _ in range(depth - 1):
        doc = union(doc)
    with pytest.raises(AgentError) as err:
        validate_csg(doc)
    assert f"nests deeper than {MAX_DEPTH} levels" in err.value.message


def test_nesting_up_to_the_limit_builds():
    doc = {"sphere": {"r": 1}}
    for _ in range(MAX_DEPTH - 1):
        doc = union(doc)
    assert solid(doc).volume == pytest.approx(4 / 3 * math.pi, rel=0.01)


def test_too_detailed_documents_are_refused_before_building():
    big = {"sphere": {"r": 500}}
    with pytest.raises(AgentError) as err:
        validate_csg(union(*[big] * 100))
    assert "too detailed" in err.value.message


def test_validation_does_not_change_the_document():
    doc = union(BOX, {"cylinder": {"d": 5, "h": 30}, "rotate": [90, 0, 0]})
    before = copy.deepcopy(doc)
    build_csg(doc)
    assert doc == before


# --- schema ------------------------------------------------------------------------------------


def test_schema_is_json_and_matches_the_validator_tables():
    schema = csg_json_schema()
    json.dumps(schema)
    variants = schema["$defs"]["node"]["anyOf"]
    described = {}
    for variant in variants[1:]:
        (name,) = variant["required"]
        described[name] = set(variant["properties"][name]["properties"])
        assert variant["additionalProperties"] is False
        assert variant["properties"][name]["additionalProperties"] is False
    assert described == {name: set(params) for name, params in PRIMITIVES.items()}
    operation = schema["$defs"]["operation"]
    assert operation["properties"]["op"]["enum"] == ["union", "difference", "intersection"]
    assert operation["additionalProperties"] is False


def test_schema_is_a_copy():
    csg_json_schema()["$defs"].clear()
    assert csg_json_schema()["$defs"]
