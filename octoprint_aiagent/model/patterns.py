"""Patterns: one feature repeated at several places on its face, as placements (build123d's
``GridLocations``, ``PolarLocations``), in the face's coordinates around the feature's centre.
"""

from __future__ import annotations

from .nodes import NodeType, table
from .params import Param, angle, choice, count, length

MAX_INSTANCES = 400  # features made by all patterns of a document together


def _grid_size(p: dict):
    if p["columns"] * p["rows"] < 2:
        return "a grid of one is a single feature; leave the pattern out"
    return None


PATTERNS = table(
    NodeType("grid", "columns along u and rows along v; left out, the spacing spreads them evenly over the face", (
        count("columns", "count", "number of columns (along u)", required=True, maximum=50),
        count("rows", "count", "number of rows (along v)", required=True, maximum=50),
        Param("spacing_u", "length", "spacing", "centre to centre along u"),
        Param("spacing_v", "length", "spacing", "centre to centre along v"),
    ), _grid_size),
    NodeType("circle", "evenly spaced on a circle (a bolt circle)", (
        count("count", "count", "how many", required=True, minimum=2, maximum=100),
        length("diameter", "pattern_diameter", "diameter of the circle through their centres", required=True),
        angle("start_angle", "angle of the first one from +u, counter-clockwise", 90.0),
    )),
    NodeType("corners", "one near each corner of the face, inset from both sides", (
        length("inset", "inset", "from each side to the centres (left out: as far in as the feature is wide)"),
    )),
    NodeType("row", "in a straight line, centred", (
        count("count", "count", "how many", required=True, minimum=2, maximum=100),
        length("spacing", "spacing", "centre to centre (left out: spread evenly over the face)"),
        choice("along", "along the face's longer side (length) or shorter side (width)", ("length", "width")),
    )),
    NodeType("spread", "a number of them arranged evenly over the face, as far apart as they fit", (
        count("count", "count", "how many", required=True, minimum=1, maximum=100),
    )),
)
