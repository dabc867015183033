"""Enclosures: a box and a lid that fits it, the lid slipped on or screwed down into posts, with
standoffs for a board when one is named; and the XYZ calibration cube makers print first.

Board mounting holes are from the makers' own mechanical drawings: Raspberry Pi 4 Model B and
Pi 3 B/B+ (raspberrypi.com, "Raspberry Pi 4 Model B mechanical drawing": 85 x 56 mm board, M2.5
holes 3.5 mm in from the edges on a 58 x 49 mm rectangle), Raspberry Pi Zero (65 x 30 mm, 58 x
23 mm), Arduino Uno Rev3 (arduino.cc, "UNO R3" DXF: 68.6 x 53.3 mm, four 3.2 mm holes)."""

from __future__ import annotations

from .. import standards
from ..nodes import NodeType, table
from ..params import Param, choice, length

# board -> (length, width, hole size, hole centres from the board's lower-left corner)
BOARDS = {
    "raspberry_pi_4": (85.0, 56.0, "M2.5", ((3.5, 3.5), (61.5, 3.5), (3.5, 52.5), (61.5, 52.5))),
    "raspberry_pi_zero": (65.0, 30.0, "M2.5", ((3.5, 3.5), (61.5, 3.5), (3.5, 26.5), (61.5, 26.5))),
    "arduino_uno": (68.6, 53.3, "M3", ((14.0, 2.5), (15.3, 50.7), (66.1, 7.6), (66.1, 35.5))),
}
STANDOFF_HEIGHT_MM = 5.0
POST_WALLS = 2.5  # a screw post is this many screw diameters across


def _shell(p: dict) -> dict:
    return {"box": {"length": p["length"], "width": p["width"], "height": p["height"]},
            "features": [{"shell": {"wall": p["wall"], "open": ["top"]}}]}


def _posts(p: dict) -> tuple[list, float, float]:
    """Screw posts in the inside corners: (solids, their diameter, inset of their centres)."""
    d = standards.parse_metric(p["screw"]).major_diameter
    post = round(POST_WALLS * d + 1, 1)
    inset = p["wall"] + post / 2
    x, y = p["length"] / 2 - inset, p["width"] / 2 - inset
    height = p["height"] - p["wall"]
    posts = [{"cylinder": {"diameter": post, "height": height}, "translate": [sx * x, sy * y, p["wall"] - 0.01],
              "features": [{"hole": {"thread": p["screw"], "depth": min(height - 1, 3 * d)}}]}
             for sx in (-1, 1) for sy in (-1, 1)]
    return posts, post, inset


def _standoffs(p: dict) -> list:
    if not p.get("board"):
        return []
    board_l, board_w, size, holes = BOARDS[p["board"]]
    return [{"cylinder": {"diameter": 6.0, "height": STANDOFF_HEIGHT_MM},
             "translate": [hx - board_l / 2, hy - board_w / 2, p["wall"] - 0.01],
             "features": [{"hole": {"thread": size, "depth": STANDOFF_HEIGHT_MM - 0.5}}]} for hx, hy in holes]


def _enclosure(p: dict) -> dict:
    length_, width, wall = p["length"], p["width"], p["wall"]
    gap = 5.0
    if p["lid"] == "slip":
        box = {"box_with_lid": {"length": length_, "width": width, "height": p["height"], "wall": wall, "clearance": 0.2}}
        parts = [box] + [dict(s, translate=[s["translate"][0], s["translate"][1] - (width + gap) / 2, s["translate"][2]])
                         for s in _standoffs(p)]
        return {"union": parts}
    posts, _post, inset = _posts(p)
    box = {"union": [_shell(p)] + posts + _standoffs(p)}
    lid = {"box": {"length": length_, "width": width, "height": wall},
           "features": [{"hole": {"screw": p["screw"], "countersink": True}, "pattern": {"corners": {"inset": inset}}}],
           "translate": [0.0, width + gap, 0.0]}
    return {"union": [box, lid]}


def _enclosure_fits(p: dict):
    inside = (p["length"] - 2 * p["wall"], p["width"] - 2 * p["wall"])
    if p.get("board"):
        board_l, board_w, _size, _holes = BOARDS[p["board"]]
        if board_l + 2 > inside[0] or board_w + 2 > inside[1]:
            return (f"a {p['board'].replace('_', ' ')} board ({board_l:g} x {board_w:g} mm) does not fit inside "
                    f"({inside[0]:g} x {inside[1]:g} mm)")
    if min(inside) <= 0 or p["height"] <= 2 * p["wall"]:
        return f"walls of {p['wall']:g} mm leave no room inside"
    return None


def _calibration_cube(p: dict) -> dict:
    s = p["size"]
    letters = [("X", "front"), ("Y", "right"), ("Z", "top")]
    return {"box": {"length": s, "width": s, "height": s},
            "features": [{"text": {"text": letter, "height": round(s / 2, 2), "relief": p["depth"], "style": "engraved"}, "on": face}
                         for letter, face in letters]}


ENCLOSURES = table(
    NodeType("enclosure", "a box and a lid that fits it: slipped on, or screwed into posts in the corners", (
        length("length", "length", "outside size along X", required=True),
        length("width", "width", "outside size along Y", required=True),
        length("height", "height", "outside height of the box", required=True),
        length("wall", "wall", "wall thickness", 2.0),
        choice("lid", "a slip-on lid, or one screwed down", ("slip", "screw")),
        Param("screw", "thread", "thread", "screws for a screwed lid", "M3"),
        Param("board", "choice", "choice", "standoffs for this board", choices=tuple(BOARDS)),
    ), _enclosure_fits, shape="block", expand=_enclosure),
    NodeType("calibration_cube", "the XYZ calibration cube: X, Y and Z engraved on the faces they measure", (
        length("size", "size", "edge length", required=True, minimum=8.0),
        length("depth", "depth", "depth of the letters", 0.6),
    ), shape="block", expand=_calibration_cube),
)
