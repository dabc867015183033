"""Sketches: 2D outlines in a plane, centred on their origin unless drawn from points. Solids
are made from them (``extrude``, ``revolve``) and features cut or raise them on a face
(``pocket``, ``boss``). Any sketch may carry ``translate`` ([x, y] mm) and ``rotate`` (degrees).
"""

from __future__ import annotations

from .nodes import NodeType, table
from .params import Param, angle, count, flag, length, length0, node


def _corners_fit(p: dict):
    smaller = min(p["length"], p["width"])
    for name in ("corner_radius", "chamfer"):
        if p.get(name, 0) * 2 >= smaller:
            return f"a {name.replace('_', ' ')} of {p[name]:g} mm does not fit a {p['length']:g} x {p['width']:g} mm rectangle"
    return None


def _ring_fits(p: dict):
    if p["inner_diameter"] >= p["outer_diameter"]:
        return f"the inner diameter ({p['inner_diameter']:g} mm) must be smaller than the outer diameter ({p['outer_diameter']:g} mm)"
    return None


def _slot_fits(p: dict):
    if p["width"] > p["length"]:
        return f"a slot {p['length']:g} mm long cannot be {p['width']:g} mm wide (the length is end to end)"
    return None


def _gear_fits(p: dict):
    if p["teeth"] < 6:
        return "a spur gear needs at least 6 teeth"
    return None


SKETCHES = table(
    NodeType("rect", "a rectangle, length along X and width along Y, optionally with rounded or chamfered corners", (
        length("length", "length", "size along X", required=True),
        length("width", "width", "size along Y", required=True),
        length0("corner_radius", "radius", "radius of rounded corners (0: sharp)"),
        length0("chamfer", "chamfer", "corner chamfer size (0: sharp)"),
    ), _corners_fit, shape="block"),
    NodeType("circle", "a circle", (length("diameter", "diameter", "diameter", required=True),), shape="round"),
    NodeType("regular_polygon", "a regular polygon with a flat side at the bottom (-Y); give one of its sizes", (
        count("sides", "count", "number of sides", required=True, minimum=3, maximum=64),
        length("across_flats", "across_flats", "distance between opposite sides (even sides) or side to corner (odd)"),
        length("across_corners", "across_corners", "diameter of the circle through its corners"),
        length("side", "side", "length of one side"),
    ), one_of=(("across_flats", "across_corners", "side"),), shape="polygon"),
    NodeType("polygon", "a polygon through the given points, in order, as drawn (not centred)", (
        Param("points", "points", "points", "[x, y] points in mm, at least 3", required=True, minimum=0),
    ), shape="polygon"),
    NodeType("slot", "an obround slot: a rectangle with round ends, length end to end along X", (
        length("length", "length", "length end to end", required=True),
        length("width", "width", "width (the ends' diameter)", required=True),
    ), _slot_fits, shape="slot"),
    NodeType("ring", "an annulus between two circles", (
        length("outer_diameter", "diameter", "outside diameter", required=True),
        length("inner_diameter", "inner_diameter", "inside diameter", required=True),
    ), _ring_fits, shape="round"),
    NodeType("gear", "an involute spur gear outline (standard full-depth teeth from the tip diameter)", (
        count("teeth", "count", "number of teeth", required=True, minimum=6, maximum=200),
        length("outer_diameter", "diameter", "tip (outside) diameter", required=True),
        angle("pressure_angle", "pressure angle", 20.0, 14.5, 25.0),
    ), _gear_fits, shape="gear"),
    NodeType("text", "letters in the plugin's font, centred; height is the height of a capital letter", (
        Param("text", "text", "text", "the letters", required=True),
        length("height", "text_height", "height of a capital letter", required=True, minimum=1.0, maximum=500.0),
        length0("spacing", "spacing", "extra space between letters", maximum=50.0),
    ), shape="text"),
    NodeType("offset", "another sketch grown (positive distance) or shrunk (negative)", (
        node("sketch", "sketch", "the sketch to offset"),
        Param("distance", "number", "offset", "mm to grow (positive) or shrink (negative)", required=True, minimum=-100.0, maximum=100.0),
        flag("round", "round the grown corners (false: keep them sharp)", True),
    )),
    NodeType("union", "several sketches together", (node("of", "sketches", "the sketches"),)),
    NodeType("difference", "the first sketch with the others taken out", (node("of", "sketches", "the sketches, first minus the rest"),)),
)

# Keys any sketch node may carry besides its type.
SKETCH_PLACEMENT = {
    "translate": Param("translate", "vector2", "offset", "move by [x, y] mm"),
    "rotate": angle("rotate", "turn by degrees about its origin"),
}
