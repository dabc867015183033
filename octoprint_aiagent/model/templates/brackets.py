"""Brackets: L (corner) brackets with an optional gusset, T brackets and flat mending plates,
with screw holes sized for the screw named (ISO 273 clearance holes; the builder adds the fit
clearance). Legs are measured on the outside; holes sit in the free part of each leg."""

from __future__ import annotations

from ..nodes import NodeType, table
from ..params import Param, count, flag, length

SCREW = Param("screw", "thread", "thread", "the screw the holes are for, e.g. M4 (left out: no holes)")


def _box(length_: float, width: float, height: float, **more) -> dict:
    return {"box": {"length": length_, "width": width, "height": height}, **more}


def _holes(p: dict, span: float, start: float, face: str, v_axis: bool, offsets: tuple) -> list:
    """``count`` holes for the screw, evenly in the free span of a leg, one per offset across it."""
    if not p.get("screw"):
        return []
    n = p["holes"]
    spots = [start + span * (i + 0.5) / n for i in range(n)]
    return [{"hole": {"screw": p["screw"], "countersink": p["countersink"]}, "on": face,
             "at": [off, s] if v_axis else [s, off]} for s in spots for off in offsets]


def _l_bracket(p: dict) -> dict:
    a, b, t, w = p["length"], p.get("length_2") or p["length"], p["thickness"], p["width"]
    offsets = (-w / 4, w / 4) if p["gusset"] else (0.0,)  # beside the gusset, not through it
    # Built standing: the first leg flat (its free part from x = -a/2 + t), the second upright at
    # its left end, holes through its outer (left) face, where u runs along -Y and v up.
    flat = _box(a, w, t, features=_holes(p, a - t, -a / 2 + t, "top", False, offsets))
    upright = _box(t, w, b, translate=[-a / 2 + t / 2, 0.0, 0.0],
                   features=_holes(p, b - t, t - b / 2, "left", True, offsets))
    parts = [flat, upright]
    if p["gusset"]:
        g = min(a, b) * 0.5
        corner = [[-a / 2 + t, t], [-a / 2 + t + g, t], [-a / 2 + t, t + g]]
        parts.append({"extrude": {"sketch": {"polygon": {"points": corner}}, "height": t},
                      "rotate": [90.0, 0.0, 0.0], "translate": [0.0, t / 2, 0.0]})
    return {"union": parts}


def _t_bracket(p: dict) -> dict:
    length_, w, t, h = p["length"], p["width"], p["thickness"], p["height"]
    web = p.get("web_thickness") or t
    side = (w - web) / 2
    offsets = (-(web / 2 + side / 2), web / 2 + side / 2)  # on the flanges either side of the web
    features = [{"rib": {"thickness": web, "height": h, "along": "length"}}]
    if p.get("screw"):
        features += [{"hole": {"screw": p["screw"], "countersink": p["countersink"]}, "at": [s, off]}
                     for s in _spots(length_, p["holes"]) for off in offsets]
    return _box(length_, w, t, features=features)


def _spots(span: float, n: int) -> list:
    return [-span / 2 + span * (i + 0.5) / n for i in range(n)]


def _mending_plate(p: dict) -> dict:
    features = [{"hole": {"screw": p["screw"], "countersink": p["countersink"]}, "at": [s, 0.0]} for s in _spots(p["length"], p["holes"])]
    return _box(p["length"], p["width"], p["thickness"], features=features)


def _legs_fit(p):
    for leg in ("length", "length_2"):
        if p.get(leg) is not None and p[leg] <= p["thickness"]:
            return f"a leg {p[leg]:g} mm long is no longer than the bracket is thick ({p['thickness']:g} mm)"
    return None


def _web_fits(p):
    if (p.get("web_thickness") or p["thickness"]) >= p["width"]:
        return f"a web {p.get('web_thickness') or p['thickness']:g} mm thick leaves no flange on a bracket {p['width']:g} mm wide"
    return None


_HOLES = (SCREW, count("holes", "count", "holes per leg (with a screw size)", 2, maximum=10),
          flag("countersink", "countersunk for flat head screws (ISO 10642)"))

BRACKETS = table(
    NodeType("l_bracket", "an L (corner) bracket: two legs at a right angle, measured on the outside", (
        length("length", "length", "length of the first leg", required=True),
        length("length_2", "length", "length of the second leg (left out: the same)"),
        length("width", "width", "width of both legs", required=True),
        length("thickness", "thickness", "thickness of both legs", required=True),
        flag("gusset", "a triangular gusset in the corner, for stiffness"),
        *_HOLES,
    ), _legs_fit, shape="bracket", expand=_l_bracket),
    NodeType("t_bracket", "a T bracket: a flat plate with a web standing along its middle, holes in the flanges", (
        length("length", "length", "length", required=True),
        length("width", "width", "width of the plate", required=True),
        length("thickness", "thickness", "thickness of the plate", required=True),
        length("height", "height", "how far the web stands up", required=True),
        Param("web_thickness", "length", "thickness", "thickness of the web (left out: the plate's)"),
        *_HOLES,
    ), _web_fits, shape="bracket", expand=_t_bracket),
    NodeType("mending_plate", "a flat mending plate with screw holes in a row", (
        length("length", "length", "length", required=True),
        length("width", "width", "width", required=True),
        length("thickness", "thickness", "thickness", 3.0),
        Param("screw", "thread", "thread", "the screw the holes are for, e.g. M4", required=True),
        count("holes", "count", "number of holes", 4, maximum=20),
        flag("countersink", "countersunk for flat head screws (ISO 10642)", True),
    ), shape="block", expand=_mending_plate),
)
