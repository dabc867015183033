"""Solids: every solid stands on z=0, centred on the Z axis (a sketch's origin goes on the axis),
the way BOSL2 anchors a shape at its BOTTOM. ``translate``/``rotate``/``mirror`` move it from
there; ``features`` add to it and cut into it (features.py). Compositions take a list:
``{"union": [a, b]}``, ``{"difference": [a, b, c]}`` (a minus b and c), ``{"intersection": [...]}``.
"""

from __future__ import annotations

from .nodes import NodeType, table
from .params import Param, angle, choice, count, length, node

COMPOSITIONS = ("union", "difference", "intersection")
# The gap a printed fit needs, per side (threads, holes for screws, lids): left out, the printer's
# "fit clearance" setting applies. Negative: an interference fit.
CLEARANCE = Param("clearance", "number", "clearance", "gap for a printed fit, per side, in mm (left out: the printer's setting)",
                  None, False, -1.0, 2.0)


def _cone_fits(p: dict):
    if p["top_diameter"] > 0 and p["top_diameter"] == p["base_diameter"]:
        return "a cone with equal diameters is a cylinder; use cylinder"
    return None


def _torus_fits(p: dict):
    if p["tube_diameter"] >= p["diameter"]:
        return f"the tube ({p['tube_diameter']:g} mm) must be thinner than the ring is across its centre line ({p['diameter']:g} mm)"
    return None


SOLIDS = table(
    NodeType("box", "a rectangular block: length along X, width along Y, height along Z", (
        length("length", "length", "size along X", required=True),
        length("width", "width", "size along Y", required=True),
        length("height", "height", "size along Z", required=True),
    ), shape="block"),
    NodeType("cylinder", "a solid cylinder standing on its end", (
        length("diameter", "diameter", "diameter", required=True),
        length("height", "height", "height", required=True),
    ), shape="round"),
    NodeType("cone", "a cone or truncated cone standing on its base", (
        length("base_diameter", "diameter", "diameter at the base", required=True),
        length("height", "height", "height", required=True),
        Param("top_diameter", "length0", "top_diameter", "diameter at the top (0 for a point)", 0.0),
    ), _cone_fits, shape="cone"),
    NodeType("sphere", "a solid ball", (length("diameter", "diameter", "diameter", required=True),), shape="ball"),
    NodeType("torus", "a ring with a round cross-section, lying flat", (
        length("diameter", "diameter", "diameter of the ring's centre line", required=True),
        length("tube_diameter", "thickness", "diameter of the tube", required=True),
    ), _torus_fits, shape="round"),
    NodeType("extrude", "a sketch pulled up along Z; top_scale below 1 tapers it (0: to a point)", (
        node("sketch", "sketch", "the outline"),
        length("height", "height", "height", required=True),
        Param("top_scale", "number", "scale", "size of the top relative to the bottom", 1.0, False, 0.0, 10.0),
    )),
    NodeType("revolve", "a profile turned about the Z axis; draw it at x >= 0 (x is the radius, y the height)", (
        node("sketch", "sketch", "the profile, at x >= 0"),
        angle("angle", "how far to turn, in degrees", 360.0, 1.0, 360.0),
    ), shape="round"),
    NodeType("thread", "an ISO metric threaded rod (external thread) standing on its end", (
        Param("size", "thread", "thread", "ISO metric thread, e.g. M8 or M8x1", required=True),
        length("length", "length", "length of the rod", required=True),
        CLEARANCE,
    ), shape="round"),
    NodeType("array", "copies of a solid in a row, each moved by spacing from the one before", (
        node("solid", "solid", "the solid to copy"),
        count("count", "count", "number of copies", required=True, minimum=1, maximum=100),
        Param("spacing", "vector3", "spacing", "[dx, dy, dz] mm between copies", required=True),
    )),
    NodeType("circular_array", "copies of a solid around the Z axis, each turned to face outward", (
        node("solid", "solid", "the solid to copy, drawn at the origin; it is moved out to the circle"),
        count("count", "count", "number of copies", required=True, minimum=1, maximum=100),
        length("diameter", "pattern_diameter", "diameter of the circle the copies stand on", required=True),
    )),
    NodeType("union", "solids joined", (node("of", "solids", "the solids"),)),
    NodeType("difference", "the first solid with the others taken out", (node("of", "solids", "the solids, first minus the rest"),)),
    NodeType("intersection", "what the solids have in common", (node("of", "solids", "the solids"),)),
)

# Keys any solid node may carry besides its type.
SOLID_PLACEMENT = {
    "translate": Param("translate", "vector3", "offset", "move by [x, y, z] mm"),
    "rotate": Param("rotate", "vector3", "angle", "turn by [x, y, z] degrees, about X, then Y, then Z", maximum=360.0),
    "mirror": choice("mirror", "mirror across the plane normal to this axis", ("x", "y", "z")),
}
