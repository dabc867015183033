"""Features: what is done to a solid, listed in its ``features``.

A feature is placed on a named face of the solid as built so far (its bounding box's top,
bottom, front (-Y), back, left (-X) or right), in that face's own coordinates: u to the right and
v up as you look at the face from outside (top: u = +X, v = +Y; front: u = +X, v = +Z). Its centre
is the middle of the face's outline (the centroid) unless moved: ``at`` [u, v] mm from there,
``from_edge`` {"left": 6, "front": 6} mm from those sides to the feature's centre, or ``flush``
["left", "front"] to put the feature's own edge on those sides (a corner cut). ``pattern``
repeats it (patterns.py); ``rotate`` turns it about the face's normal.

They apply in three groups, whatever their order in the list: first those that reshape the
base (fillet, chamfer, shell), then those that add material (boss, rib, rim, add, raised text),
then those that remove it (hole, pocket, slot, groove, cut, engraved text), each group in list
order. So a hole goes through a boss, and a fillet rounds the block, not the boss on it.
"""

from __future__ import annotations

from .nodes import NodeType, table
from .params import FACES, Param, angle, choice, flag, length, length0, node
from .solids import CLEARANCE

FITS = ("normal", "close", "loose")  # ISO 273's medium, fine and coarse clearance holes
EDGES = ("vertical", "all", "top", "bottom")
ALONG = ("length", "width")  # the face's longer side, or its shorter one


def _depth(description: str = "depth into the part (left out: all the way through)") -> Param:
    return Param("depth", "length", "depth", description)


def _hole_fits(p: dict):
    if p.get("screw") is None and (p.get("counterbore") or p.get("countersink") or p.get("nut_trap") or p.get("insert")):
        return "a counterbore, countersink, nut trap or insert needs the screw size (e.g. screw: \"M3\")"
    if p.get("counterbore") and p.get("countersink"):
        return "a hole has a counterbore or a countersink, not both"
    cb = [p.get("counterbore_diameter"), p.get("counterbore_depth")]
    if any(v is not None for v in cb) and None in cb:
        return "a counterbore needs both its diameter and its depth"
    d = p.get("diameter")
    for name in ("counterbore_diameter", "countersink_diameter"):
        if d is not None and p.get(name) is not None and p[name] <= d:
            return f"the {name.replace('_', ' ')} ({p[name]:g} mm) must be larger than the hole ({d:g} mm)"
    return None


def _shell_fits(p: dict):
    if "bottom" in p["open"] and "top" in p["open"] and p.get("floor"):
        return "a shell open at the top and the bottom has no floor"
    return None


FEATURES = table(
    NodeType("hole", "a round hole: give its diameter, or the screw it is for (a clearance hole), or a thread to tap", (
        length("diameter", "diameter", "diameter"),
        Param("screw", "thread", "thread", "the screw it is for, e.g. M3: an ISO 273 clearance hole"),
        Param("thread", "thread", "thread", "an ISO metric internal thread, e.g. M8 (a tapped hole)"),
        Param("fit", "choice", "fit", "clearance hole fit for the screw (ISO 273; left out: normal)", choices=FITS),
        _depth(),
        flag("counterbore", "a counterbore for the screw's socket head (ISO 4762)"),
        flag("countersink", "a countersink for the screw's flat head (ISO 10642)"),
        flag("nut_trap", "a hexagonal pocket for the screw's nut (ISO 4032) where the hole comes out"),
        flag("insert", "sized for a heat-set insert for the screw instead of the screw itself"),
        Param("counterbore_diameter", "length", "diameter", "counterbore diameter"),
        Param("counterbore_depth", "length", "depth", "counterbore depth"),
        Param("countersink_diameter", "length", "diameter", "countersink diameter at the face"),
        CLEARANCE,
    ), _hole_fits, one_of=(("diameter", "screw", "thread"),), group="cut"),
    NodeType("pocket", "a sketch cut into the face (a square hole, a round recess)", (
        node("sketch", "sketch", "the outline of the pocket"),
        _depth(),
    ), group="cut"),
    NodeType("slot", "an obround slot (rounded ends) cut into the face", (
        length("length", "length", "length end to end", required=True),
        length("width", "width", "width", required=True),
        _depth(),
    ), group="cut"),
    NodeType("groove", "a straight channel across the face, from side to side unless its length is given", (
        length("width", "width", "width", required=True),
        length("depth", "depth", "depth", required=True),
        choice("along", "which way it runs: along the face's longer side (length) or shorter side (width)", ALONG),
        length("length", "length", "length (left out: the whole face)"),
    ), group="cut"),
    NodeType("cut", "a solid taken out of the part: its top goes on the face and it reaches into the part", (
        node("solid", "solid", "the solid to take out"),
    ), group="cut"),
    NodeType("boss", "a sketch raised from the face (a peg, a round boss)", (
        node("sketch", "sketch", "the outline of the boss"),
        length("height", "height", "how far it stands out", required=True),
    ), group="add"),
    NodeType("rib", "a straight wall standing on the face, along its middle unless moved", (
        length("thickness", "thickness", "thickness", required=True),
        length("height", "height", "how far it stands out", required=True),
        choice("along", "which way it runs: along the face's longer side (length) or shorter side (width)", ALONG),
        length("length", "length", "length (left out: the whole face)"),
    ), group="add"),
    NodeType("rim", "a raised border around the edge of the face", (
        length("width", "width", "width of the border", required=True),
        length("height", "height", "how far it stands out", required=True),
    ), group="add"),
    NodeType("add", "a solid placed on the face: its bottom on the face, standing out from it", (
        node("solid", "solid", "the solid to add"),
    ), group="add"),
    NodeType("text", "letters on the face, raised or engraved; left out, their height fits the face", (
        Param("text", "text", "text", "the letters", required=True),
        length("height", "text_height", "height of a capital letter (left out: as large as fits the face)", minimum=1.0, maximum=500.0),
        length("relief", "relief", "how far the letters stand out or go in", 0.6),
        choice("style", "raised (embossed) or engraved", ("raised", "engraved")),
        length0("margin", "margin", "room left around the text when fitting it", 2.0),
    ), group="text"),
    NodeType("fillet", "round the solid's edges (vertical: the corners seen from above)", (
        length("radius", "radius", "radius", required=True),
        choice("edges", "which edges", EDGES),
    ), group="modify"),
    NodeType("chamfer", "bevel the solid's edges at 45 degrees", (
        length("size", "chamfer", "how much is cut off each edge", required=True),
        choice("edges", "which edges", EDGES),
    ), group="modify"),
    NodeType("shell", "hollow the solid out, leaving walls; open on the faces named", (
        length("wall", "wall", "wall thickness", required=True),
        Param("floor", "length", "floor", "floor (and ceiling) thickness (left out: the wall's)"),
        Param("open", "faces", "faces", "the faces left open", ["top"]),
    ), _shell_fits, group="modify"),
)

# Keys a feature may carry besides its type: where it goes (see the module docstring).
FEATURE_PLACEMENT = {
    "on": choice("on", "the face it is on", FACES),
    "at": Param("at", "vector2", "offset", "[u, v] mm from the middle of the face"),
    "from_edge": Param("from_edge", "distances", "inset", "mm from the named sides of the part to the feature's centre"),
    "flush": Param("flush", "faces", "faces", "sides of the part the feature's own edge sits on"),
    "rotate": angle("rotate", "turn it about the face's normal, in degrees"),
    "pattern": node("pattern", "pattern", "repeat it (patterns.py)", required=False),
}
# Features that act on the whole solid take no placement; these take some of it.
PLACED_BY = {
    "fillet": (), "chamfer": (), "shell": (), "rim": ("on",), "groove": ("on", "at", "from_edge"),
    "rib": ("on", "at", "from_edge"),
}
