"""The everyday parts: cubes, tubes, cups, trays, gears, plates with holes, boxes with lids.
Each expands into sketches, solids and features (see the package docstring)."""

from __future__ import annotations

from ..nodes import NodeType, table
from ..params import Param, angle, count, length, length0

LID_GAP_MM = 5.0  # between a box and its lid on the bed


def _smaller(inner: str, outer: str, what: str):
    def check(p):
        if p[inner] >= p[outer]:
            return f"the {what} ({p[inner]:g} mm) must be smaller than the {outer.replace('_', ' ')} ({p[outer]:g} mm)"
        return None

    return check


def _floor(p: dict) -> float:
    return p.get("floor") or p["wall"]


def _walls_fit(p):
    inner_l, inner_w = p["length"] - 2 * p["wall"], p["width"] - 2 * p["wall"]
    if inner_l <= 0 or inner_w <= 0 or _floor(p) >= p["height"]:
        return f"walls of {p['wall']:g} mm leave no room inside a {p['length']:g} x {p['width']:g} x {p['height']:g} mm box"
    return None


def _cup_fits(p):
    if 2 * p["wall"] >= p["diameter"] or _floor(p) >= p["height"]:
        return f"walls of {p['wall']:g} mm leave no room inside a {p['diameter']:g} mm cup"
    return None


def _gear_fits(p):
    module = p["outer_diameter"] / (p["teeth"] + 2)
    root = module * (p["teeth"] - 2.5)
    if p.get("bore", 0) and p["bore"] >= root - 2 * module:
        return f"the bore ({p['bore']:g} mm) leaves no material below the teeth (root diameter {root:.1f} mm)"
    return None


def _holes_fit(p):
    if p["hole_diameter"] * 2 >= min(p["length"], p["width"]):
        return f"holes of {p['hole_diameter']:g} mm do not fit a {p['length']:g} x {p['width']:g} mm plate"
    return None


def lid_lip_height(height: float, wall: float) -> float:
    """How far the lid's lip reaches into the box: deep enough to locate, never to the floor."""
    return min(max(3.0, 2 * wall), (height - wall) / 2)


def _box(length_, width, height) -> dict:
    return {"box": {"length": length_, "width": width, "height": height}}


def _shelled(solid: dict, wall: float, floor: float) -> dict:
    return dict(solid, features=[{"shell": {"wall": wall, "floor": floor, "open": ["top"]}}])


def _box_with_lid(p: dict) -> dict:
    length_, width, wall, gap = p["length"], p["width"], p["wall"], p["clearance"]
    box = _shelled(_box(length_, width, p["height"]), wall, wall)
    lip_x, lip_y = length_ - 2 * wall - 2 * gap, width - 2 * wall - 2 * gap
    lip = {"rect": {"length": lip_x, "width": lip_y}}
    if min(lip_x, lip_y) > 2 * wall:  # a rim, not a solid plug, when there is room for one
        lip = {"difference": [lip, {"rect": {"length": lip_x - 2 * wall, "width": lip_y - 2 * wall}}]}
    lid = dict(_box(length_, width, wall), features=[
        {"boss": {"sketch": lip, "height": lid_lip_height(p["height"], wall)}, "on": "top"}])
    # Side by side across the shorter side, lip up, so the pair stays compact.
    shift = [0.0, width + LID_GAP_MM, 0.0] if length_ >= width else [length_ + LID_GAP_MM, 0.0, 0.0]
    return {"union": [box, dict(lid, translate=shift)]}


def _lid_fits(p):
    if min(p["length"], p["width"]) - 2 * p["wall"] - 2 * p["clearance"] <= 0:
        return f"a clearance of {p['clearance']:g} mm leaves no room for the lid's lip"
    return _walls_fit(p)


def _gear(p: dict) -> dict:
    outline = {"gear": {"teeth": p["teeth"], "outer_diameter": p["outer_diameter"], "pressure_angle": p["pressure_angle"]}}
    if p["bore"] > 0:
        outline = {"difference": [outline, {"circle": {"diameter": p["bore"]}}]}
    return {"extrude": {"sketch": outline, "height": p["thickness"]}}


_TUBE = (
    length("outer_diameter", "diameter", "outside diameter", required=True),
    length("inner_diameter", "inner_diameter", "inside (hole) diameter", required=True),
    length("height", "height", "length along the axis (thickness for a washer)", required=True),
)
_WALL = length("wall", "wall", "wall thickness", 2.0)
_FLOOR = Param("floor", "length0", "floor", "floor thickness (0: same as the wall)", 0.0, False, 0.0)

BASIC = table(
    NodeType("cube", "a cube", (length("size", "size", "edge length", required=True),),
             shape="block", expand=lambda p: _box(p["size"], p["size"], p["size"])),
    NodeType("dome", "a hemisphere standing on its flat face", (length("diameter", "diameter", "diameter of the flat face", required=True),),
             shape="ball", expand=lambda p: {"intersection": [
                 {"sphere": {"diameter": p["diameter"]}, "translate": [0.0, 0.0, -p["diameter"] / 2]},
                 _box(p["diameter"] * 1.1, p["diameter"] * 1.1, p["diameter"])]}),
    NodeType("pyramid", "a square pyramid", (
        length("base", "side", "side of the square base", required=True),
        length("height", "height", "height", required=True),
    ), shape="pyramid", expand=lambda p: {"extrude": {"sketch": {"rect": {"length": p["base"], "width": p["base"]}},
                                                      "height": p["height"], "top_scale": 0.0}}),
    NodeType("hex_prism", "a hexagonal prism standing on a hexagonal face", (
        length("across_flats", "across_flats", "distance across flats", required=True),
        length("height", "height", "height", required=True),
    ), shape="hex", expand=lambda p: {"extrude": {"sketch": {"regular_polygon": {"sides": 6, "across_flats": p["across_flats"]}},
                                                  "height": p["height"]}}),
    NodeType("triangular_prism", "an equilateral triangular prism lying on a rectangular face", (
        length("side", "side", "side of the triangle", required=True),
        length("length", "length", "length of the prism", required=True),
    ), shape="triangle", expand=lambda p: {"extrude": {"sketch": {"regular_polygon": {"sides": 3, "side": p["side"]}},
                                                       "height": p["length"]}, "rotate": [90.0, 0.0, 90.0]}),
    NodeType("tube", "a tube, pipe, spacer, ring or washer", _TUBE, _smaller("inner_diameter", "outer_diameter", "inner diameter"),
             shape="round", open_top=True, expand=lambda p: {"extrude": {"sketch": {"ring": {"outer_diameter": p["outer_diameter"],
                                                                              "inner_diameter": p["inner_diameter"]}},
                                                          "height": p["height"]}}),
    NodeType("open_box", "an open-top box or tray with walls", (
        length("length", "length", "outside size along X", required=True),
        length("width", "width", "outside size along Y", required=True),
        length("height", "height", "outside height", required=True),
        _WALL, _FLOOR,
    ), _walls_fit, shape="block", open_top=True, expand=lambda p: _shelled(_box(p["length"], p["width"], p["height"]), p["wall"], _floor(p))),
    NodeType("cup", "an open-top cylindrical cup", (
        length("diameter", "diameter", "outside diameter", required=True),
        length("height", "height", "outside height", required=True),
        _WALL, _FLOOR,
    ), _cup_fits, shape="round", open_top=True, expand=lambda p: _shelled({"cylinder": {"diameter": p["diameter"], "height": p["height"]}},
                                                           p["wall"], _floor(p))),
    NodeType("gear", "an involute spur gear", (
        count("teeth", "count", "number of teeth", required=True, minimum=6, maximum=200),
        length("outer_diameter", "diameter", "tip (outside) diameter", required=True),
        length("thickness", "thickness", "face width", 5.0),
        length0("bore", "bore", "centre hole diameter (0: none)"),
        angle("pressure_angle", "pressure angle in degrees", 20.0, 14.5, 25.0),
    ), _gear_fits, shape="gear", expand=_gear),
    NodeType("plate_with_holes", "a rectangular plate with a symmetric pattern of through holes", (
        length("length", "length", "size along X", required=True),
        length("width", "width", "size along Y", required=True),
        length("thickness", "thickness", "thickness", 3.0),
        count("hole_count", "count", "number of holes", 4, maximum=100),
        length("hole_diameter", "diameter", "hole diameter", 3.0),
    ), _holes_fit, shape="block", expand=lambda p: dict(_box(p["length"], p["width"], p["thickness"]), features=[
        {"hole": {"diameter": p["hole_diameter"]}, "pattern": {"spread": {"count": p["hole_count"]}}}])),
    NodeType("box_with_lid", "a box and a separate lid that fits over it", (
        length("length", "length", "outside size along X", required=True),
        length("width", "width", "outside size along Y", required=True),
        length("height", "height", "outside height of the box", required=True),
        _WALL,
        Param("clearance", "length0", "clearance", "gap between lid and box for the fit", 0.2, False, 0.0, 2.0),
    ), _lid_fits, shape="block", expand=_box_with_lid),
    NodeType("triangular_plate", "an equilateral triangle lying flat, as thick as given", (
        length("side", "side", "side of the triangle", required=True),
        length("thickness", "thickness", "thickness", required=True),
    ), shape="triangle", expand=lambda p: {"extrude": {"sketch": {"regular_polygon": {"sides": 3, "side": p["side"]}},
                                                       "height": p["thickness"]}}),
)
