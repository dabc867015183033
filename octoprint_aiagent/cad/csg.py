"""Free-form parts as data: a CSG document in JSON, validated strictly, built with manifold3d.

A document is a tree. An operation node is ``{"op": "union"|"difference"|"intersection",
"children": [...]}``; a primitive node holds exactly one of ``box``, ``cylinder``, ``sphere``,
``cone``, ``torus`` or ``extrude``. Any node may carry ``scale`` (a factor or [sx, sy, sz]),
``rotate`` ([rx, ry, rz] degrees, about X then Y then Z) and ``translate`` ([x, y, z] mm), applied
in that order, as OpenSCAD's ``translate(rotate(scale(...)))`` would. Boxes, cylinders, cones and
extrusions start at z=0 with their corner (box) or axis (the others) at the origin unless
``"center": true``; spheres and tori are centred on the origin.

The document is never code: it is checked against fixed tables and turned into manifold3d calls.
Validation walks the tree with an explicit stack, so a hostile 10,000-deep nesting is refused
without touching the Python stack.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from typing import Any

import manifold3d
import numpy as np
import trimesh

from ..model.errors import AgentError
from .mesh_io import manifold_to_trimesh

STAGE = "designing"
MAX_NODES = 500
MAX_DEPTH = 32
MAX_COORD_MM = 1000.0
MAX_POLYGON_POINTS = 1000
MAX_TRIANGLES = 2_000_000  # estimated before building, so a document cannot ask for gigabytes

# Tessellation: the chord of a circle may sit at most SAGITTA_MM inside the true curve; the
# floor keeps small circles within 0.2% (cylinders) or 0.6% (spheres) of the exact volume.
SAGITTA_MM = 0.05
MIN_SEGMENTS = 64
MAX_SEGMENTS = 256

OPS = ("union", "difference", "intersection")
TRANSFORMS = ("translate", "rotate", "scale")

# Primitive parameters: name -> (kind, required). Kinds: "len" > 0, "len0" >= 0, "size3" three
# lengths, "flag" boolean, "polygon" a simple polygon. "r"/"d" pairs are resolved in _check_radii.
PRIMITIVES: dict[str, dict[str, tuple[str, bool]]] = {
    "box": {"size": ("size3", True), "center": ("flag", False)},
    "cylinder": {"r": ("len", False), "d": ("len", False), "r2": ("len0", False), "d2": ("len0", False),
                 "h": ("len", True), "center": ("flag", False)},
    "cone": {"r": ("len", False), "d": ("len", False), "r2": ("len0", False), "d2": ("len0", False),
             "h": ("len", True), "center": ("flag", False)},
    "sphere": {"r": ("len", False), "d": ("len", False)},
    "torus": {"R": ("len", True), "r": ("len", True)},
    "extrude": {"polygon": ("polygon", True), "h": ("len", True), "center": ("flag", False)},
}


def circle_segments(radius: float) -> int:
    """Segments for a full circle of ``radius``: a multiple of 4, so that vertices sit on the
    axes and bounding boxes come out exact."""
    ratio = min(SAGITTA_MM / max(radius, 1e-9), 1.0)
    n = math.ceil(math.pi / math.acos(1.0 - ratio))
    n = 4 * math.ceil(n / 4)
    return max(MIN_SEGMENTS, min(MAX_SEGMENTS, n))


# --------------------------------------------------------------------------------------------
# Schema for LLMs and API users (validate_csg is the authority; the schema documents the shape).

_NUM = {"type": "number"}
_VEC3 = {"type": "array", "items": _NUM, "minItems": 3, "maxItems": 3}
_RADII = {"r": _NUM, "d": _NUM, "r2": _NUM, "d2": _NUM, "h": _NUM, "center": {"type": "boolean"}}


def _primitive_schema(name: str, props: dict, required: list) -> dict:
    body = {"type": "object", "properties": props, "required": required, "additionalProperties": False}
    node = {name: body, "translate": _VEC3, "rotate": _VEC3, "scale": {"anyOf": [_NUM, _VEC3]}}
    return {"type": "object", "properties": node, "required": [name], "additionalProperties": False}


CSG_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "CSG part",
    "description": (
        "A solid built from primitives (mm) combined by union, difference (first child minus the "
        "others) and intersection. Transforms apply scale, then rotate (degrees about X, Y, Z), "
        "then translate. box/cylinder/cone/extrude start at z=0 (box corner at the origin) unless "
        "center is true; sphere and torus are centred. Give cylinders and cones r or d."
    ),
    "$ref": "#/$defs/node",
    "$defs": {
        "node": {
            "anyOf": [
                {"$ref": "#/$defs/operation"},
                _primitive_schema("box", {"size": _VEC3, "center": {"type": "boolean"}}, ["size"]),
                _primitive_schema("cylinder", _RADII, ["h"]),
                _primitive_schema("cone", _RADII, ["h"]),
                _primitive_schema("sphere", {"r": _NUM, "d": _NUM}, []),
                _primitive_schema("torus", {"R": _NUM, "r": _NUM}, ["R", "r"]),
                _primitive_schema(
                    "extrude",
                    {
                        "polygon": {"type": "array", "items": {"type": "array", "items": _NUM, "minItems": 2, "maxItems": 2},
                                    "minItems": 3, "maxItems": MAX_POLYGON_POINTS},
                        "h": _NUM,
                        "center": {"type": "boolean"},
                    },
                    ["polygon", "h"],
                ),
            ]
        },
        "operation": {
            "type": "object",
            "properties": {
                "op": {"type": "string", "enum": list(OPS)},
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "minItems": 1},
                "translate": _VEC3,
                "rotate": _VEC3,
                "scale": {"anyOf": [_NUM, _VEC3]},
            },
            "required": ["op", "children"],
            "additionalProperties": False,
        },
    },
}


def csg_json_schema() -> dict:
    """The JSON schema of a CSG document (a copy: callers may embed or edit it)."""
    return copy.deepcopy(CSG_SCHEMA)


# --------------------------------------------------------------------------------------------
# Validation


def _fail(message: str) -> AgentError:
    return AgentError(STAGE, message, reason="invalid", hint="see the CSG document schema for the allowed nodes and keys")


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(f"{path} must be a finite number, not {value!r}")
    return float(value)


def _length(value: Any, path: str, zero_ok: bool = False) -> float:
    v = _number(value, path)
    if v < 0 or (v == 0 and not zero_ok):
        raise _fail(f"{path} must be {'>= 0' if zero_ok else '> 0'}, not {v:g}")
    if v > 2 * MAX_COORD_MM:
        raise _fail(f"{path} must be at most {2 * MAX_COORD_MM:g} mm, not {v:g}")
    return v


def _vector(value: Any, path: str, bound: float) -> list:
    if not isinstance(value, list) or len(value) != 3:
        raise _fail(f"{path} must be a list of 3 numbers")
    out = [_number(v, f"{path}[{i}]") for i, v in enumerate(value)]
    for i, v in enumerate(out):
        if abs(v) > bound:
            raise _fail(f"{path}[{i}] must be within +-{bound:g}, not {v:g}")
    return out


def _check_transforms(node: dict, path: str) -> None:
    if "translate" in node:
        _vector(node["translate"], f"{path}.translate", MAX_COORD_MM)
    if "rotate" in node:
        _vector(node["rotate"], f"{path}.rotate", 360.0)
    if "scale" in node:
        factors = node["scale"] if isinstance(node["scale"], list) else None
        if factors is None:
            factors = [_number(node["scale"], f"{path}.scale")]
        else:
            _vector(factors, f"{path}.scale", 1000.0)
        for v in factors:
            if not 0.001 <= v <= 1000.0:
                raise _fail(f"{path}.scale factors must be between 0.001 and 1000, not {v:g}")


def _check_polygon(points: Any, path: str) -> int:
    import shapely

    if not isinstance(points, list) or not 3 <= len(points) <= MAX_POLYGON_POINTS:
        raise _fail(f"{path} must be a list of 3 to {MAX_POLYGON_POINTS} [x, y] points")
    for i, p in enumerate(points):
        if not isinstance(p, list) or len(p) != 2:
            raise _fail(f"{path}[{i}] must be an [x, y] point")
        for j, v in enumerate(p):
            if abs(_number(v, f"{path}[{i}][{j}]")) > MAX_COORD_MM:
                raise _fail(f"{path}[{i}][{j}] must be within +-{MAX_COORD_MM:g} mm")
    if shapely.MultiPoint(points).convex_hull.area <= 1e-6:
        raise _fail(f"{path} encloses no area")
    if not shapely.LinearRing(points).is_simple:
        raise _fail(f"{path} crosses itself; give the outline of a simple polygon")
    return len(points)


def _check_radii(name: str, body: dict, path: str) -> None:
    if ("r" in body) == ("d" in body) and name != "torus":
        raise _fail(f"{path} needs exactly one of r or d")
    if "r2" in body and "d2" in body:
        raise _fail(f"{path} takes r2 or d2, not both")
    if name == "torus" and body["r"] >= body["R"]:
        raise _fail(f"{path}.r ({body['r']:g}) must be smaller than {path}.R ({body['R']:g})")
    if name in ("sphere", "torus"):
        reach = body.get("R", 0) + body.get("r", body.get("d", 0) / 2)
        if reach > MAX_COORD_MM:
            raise _fail(f"{path} reaches {reach:g} mm from its centre; the limit is {MAX_COORD_MM:g} mm")


def _estimated_triangles(name: str, body: dict) -> int:
    radius = body.get("R", body.get("r", body.get("d", 0) / 2))
    n = circle_segments(radius) if radius else 0
    if name == "sphere":
        return n * n // 2
    if name == "torus":
        return 2 * n * circle_segments(body["r"])
    if name == "extrude":
        return 4 * len(body["polygon"])
    return 4 * n + 12


def _check_primitive(name: str, body: Any, path: str) -> int:
    """Check one primitive's parameters; return its estimated triangle count."""
    if not isinstance(body, dict):
        raise _fail(f"{path} must be an object")
    table = PRIMITIVES[name]
    for key in body:
        if key not in table:
            raise _fail(f"{path} has unknown key {key!r} (allowed: {', '.join(table)})")
    for key, (kind, required) in table.items():
        if key not in body:
            if required:
                raise _fail(f"{path}.{key} is required")
            continue
        where = f"{path}.{key}"
        if kind == "len":
            _length(body[key], where)
        elif kind == "len0":
            _length(body[key], where, zero_ok=True)
        elif kind == "size3":
            if not isinstance(body[key], list) or len(body[key]) != 3:
                raise _fail(f"{where} must be a list of 3 numbers")
            for i, v in enumerate(body[key]):
                _length(v, f"{where}[{i}]")
        elif kind == "flag" and not isinstance(body[key], bool):
            raise _fail(f"{where} must be true or false")
        elif kind == "polygon":
            _check_polygon(body[key], where)
    if name in ("cylinder", "cone", "sphere", "torus"):
        _check_radii(name, body, path)
    return _estimated_triangles(name, body)


def _walk(doc: Any) -> Iterator[tuple[Any, str, int]]:
    """Yield (node, path, depth) in document order, refusing oversized trees as it goes."""
    stack = [(doc, "csg", 1)]
    count = 0
    while stack:
        node, path, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise _fail(f"csg has more than {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            raise _fail(f"{path} nests deeper than {MAX_DEPTH} levels")
        yield node, path, depth
        children = node.get("children") if isinstance(node, dict) else None
        if isinstance(children, list):
            # Pushed in reverse so they pop in document order; never more than the node limit.
            shown = list(enumerate(children[: MAX_NODES + 1]))
            stack.extend((child, f"{path}.children[{i}]", depth + 1) for i, child in reversed(shown))


def validate_csg(doc: Any) -> None:
    """Raise AgentError (stage "designing", reason "invalid") naming the first bad node's path."""
    triangles = 0
    for node, path, _depth in _walk(doc):
        if not isinstance(node, dict):
            raise _fail(f"{path} must be an object")
        if "op" in node:
            for key in node:
                if key not in ("op", "children") + TRANSFORMS:
                    raise _fail(f"{path} has unknown key {key!r}")
            if node["op"] not in OPS:
                raise _fail(f"{path}.op must be one of {', '.join(OPS)}, not {node['op']!r}")
            children = node.get("children")
            if not isinstance(children, list) or not children:
                raise _fail(f"{path}.children must be a non-empty list")
        else:
            found = [k for k in node if k in PRIMITIVES]
            for key in node:
                if key not in PRIMITIVES and key not in TRANSFORMS:
                    raise _fail(f"{path} has unknown key {key!r}")
            if len(found) != 1:
                what = "no" if not found else "more than one"
                raise _fail(f"{path} has {what} primitive; give 'op' and 'children' or one of {', '.join(PRIMITIVES)}")
            triangles += _check_primitive(found[0], node[found[0]], f"{path}.{found[0]}")
            if triangles > MAX_TRIANGLES:
                raise _fail(f"csg is too detailed (more than {MAX_TRIANGLES} triangles)")
        _check_transforms(node, path)


# --------------------------------------------------------------------------------------------
# Building


def _radius(body: dict, radius_key: str, diameter_key: str, default: float) -> float:
    if radius_key in body:
        return float(body[radius_key])
    if diameter_key in body:
        return float(body[diameter_key]) / 2.0
    return default


def _build_primitive(name: str, body: dict) -> manifold3d.Manifold:
    M, CS = manifold3d.Manifold, manifold3d.CrossSection
    center = bool(body.get("center", False))
    if name == "box":
        return M.cube(body["size"], center)
    if name in ("cylinder", "cone"):
        r1 = _radius(body, "r", "d", 0.0)
        r2 = _radius(body, "r2", "d2", r1 if name == "cylinder" else 0.0)
        return M.cylinder(body["h"], r1, r2, circle_segments(max(r1, r2)), center)
    if name == "sphere":
        r = _radius(body, "r", "d", 0.0)
        return M.sphere(r, circle_segments(r))
    if name == "torus":
        tube = CS.circle(body["r"], circle_segments(body["r"])).translate((body["R"], 0.0))
        return tube.revolve(circle_segments(body["R"] + body["r"]))
    if name == "extrude":
        section = CS([np.asarray(body["polygon"], dtype=float)], manifold3d.FillRule.EvenOdd)
        solid = M.extrude(section, body["h"])
        return solid.translate((0.0, 0.0, -body["h"] / 2.0)) if center else solid
    raise AssertionError(name)  # unreachable after validate_csg


def _transformed(solid: manifold3d.Manifold, node: dict) -> manifold3d.Manifold:
    if "scale" in node:
        s = node["scale"]
        solid = solid.scale(s if isinstance(s, list) else [s, s, s])
    if "rotate" in node:
        solid = solid.rotate(node["rotate"])
    if "translate" in node:
        solid = solid.translate(node["translate"])
    return solid


def _build_node(node: dict) -> manifold3d.Manifold:
    # Recursion is bounded by MAX_DEPTH, which validate_csg enforced.
    if "op" in node:
        parts = [_build_node(child) for child in node["children"]]
        if node["op"] == "union":
            solid = manifold3d.Manifold.batch_boolean(parts, manifold3d.OpType.Add)
        elif node["op"] == "intersection":
            solid = manifold3d.Manifold.batch_boolean(parts, manifold3d.OpType.Intersect)
        else:
            solid = manifold3d.Manifold.batch_boolean(parts, manifold3d.OpType.Subtract)
    else:
        name = next(k for k in node if k in PRIMITIVES)
        solid = _build_primitive(name, node[name])
    return _transformed(solid, node)


def build_csg_manifold(doc: Any) -> manifold3d.Manifold:
    """Validate and build; the result stays in the document's coordinates."""
    validate_csg(doc)
    solid = _build_node(doc)
    if solid.status() != manifold3d.Error.NoError:
        raise AgentError(STAGE, f"manifold3d could not build the CSG document: {solid.status()}", reason="failed")
    if solid.is_empty() or solid.volume() <= 0:
        raise _fail("the CSG document makes an empty solid (check what the difference or intersection removes)")
    lo, hi = np.array(solid.bounding_box()).reshape(2, 3)
    if max(np.abs(lo).max(), np.abs(hi).max()) > MAX_COORD_MM:
        raise _fail(f"the CSG part reaches beyond +-{MAX_COORD_MM:g} mm (check translate and scale)")
    return solid


def build_csg(doc: Any) -> trimesh.Trimesh:
    """A CSG document -> watertight trimesh in the document's coordinates."""
    return manifold_to_trimesh(build_csg_manifold(doc))
