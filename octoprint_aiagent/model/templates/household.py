"""Things people print for the house: hooks, cable clips, knobs, a phone stand. Each is a
side profile (a union of rectangles, rings and turned rectangles) pulled out to its width, so it
prints lying on the profile: layers run along the hook's arm and the clip's jaws, where the load
is. Sizes a request leaves out are the defaults below, listed as assumptions."""

from __future__ import annotations

import math

from ..nodes import NodeType, table
from ..params import Param, angle, choice, count, length

SCREW = Param("screw", "thread", "thread", "the screw it is fixed with, e.g. M4 (left out: no screw holes)")


def _rect(x0: float, y0: float, x1: float, y1: float) -> dict:
    """An axis-aligned rectangle by its corners."""
    return {"rect": {"length": x1 - x0, "width": y1 - y0}, "translate": [(x0 + x1) / 2, (y0 + y1) / 2]}


def _profile(parts: list, width: float, features: list = ()) -> dict:
    node: dict = {"extrude": {"sketch": {"union": parts} if len(parts) > 1 else parts[0], "height": width}}
    if features:
        node["features"] = list(features)
    return node


def _screw_holes(p: dict, face: str, spots: list) -> list:
    """Countersunk holes through a plate, at (u, v) spots on its face."""
    if not p.get("screw"):
        return []
    return [{"hole": {"screw": p["screw"], "countersink": True}, "on": face, "at": list(spot)} for spot in spots]


def _wall_hook(p: dict) -> dict:
    t, h, d, lip, w = p["thickness"], p["height"], p["depth"], p["lip"], p["width"]
    # Side view: the back plate against the wall (x 0..t), the arm along the bottom, the tip up.
    parts = [_rect(0, 0, t, h), _rect(0, 0, d, t), _rect(d - t, 0, d, lip)]
    # Holes through the back plate, from its wall side (left: u runs along -Y, v along the width).
    spots = [(h / 2 - (t + (h - t) * f), 0.0) for f in (0.35, 0.8)]
    return _profile(parts, w, _screw_holes(p, "left", spots))


def _door_hook(p: dict) -> dict:
    t, door, w, drop, reach, lip = p["thickness"], p["door_thickness"] + 1.0, p["width"], p["drop"], p["depth"], p["lip"]
    back = 30.0
    # Side view, the door's top edge at y = 0 between x = 0 and x = door: a bridge over it, a leg
    # down each side, and a hook at the bottom of the room-side leg.
    parts = [
        _rect(-t, 0, door + t, t),  # the bridge on the door's top edge
        _rect(-t, -back, 0, t),  # down the back of the door
        _rect(door, -drop, door + t, t),  # down the front
        _rect(door, -drop - t, door + t + reach, -drop),  # the hook's arm
        _rect(door + reach, -drop - t, door + t + reach, -drop + lip),  # its tip
    ]
    return _profile(parts, w)


def _rail_hook(p: dict) -> dict:
    r, t, w, reach, lip = p["rail_diameter"] / 2 + p["fit"], p["thickness"], p["width"], p["depth"], p["lip"]
    outer = r + t
    # A ring around the rail, open at the top so it snaps on (70 % of the rail's width), a stem
    # down from it and a hook at the bottom.
    opening = _rect(-0.35 * p["rail_diameter"], 0, 0.35 * p["rail_diameter"], outer + 1)
    ring = {"difference": [{"ring": {"outer_diameter": 2 * outer, "inner_diameter": 2 * r}}, opening]}
    stem_bottom = -outer - reach
    parts = [ring, _rect(-t / 2, stem_bottom, t / 2, -r), _rect(-t / 2, stem_bottom, reach, stem_bottom + t),
             _rect(reach - t, stem_bottom, reach, stem_bottom + lip)]
    return _profile(parts, w)


def _cable_clip(p: dict) -> dict:
    d, wall, w, n = p["cable_diameter"] + 2 * p["fit"], p["wall"], p["width"], p["count"]
    base = wall * 1.5
    pitch = d + 2 * wall
    parts, features = [], []
    for i in range(n):  # one C per cable, side by side, open at the top so the cable snaps in
        x = (i - (n - 1) / 2) * pitch
        # The ring sinks a wall's thickness into the base, so the two are one piece.
        ring = {"ring": {"outer_diameter": d + 2 * wall, "inner_diameter": d}, "translate": [x, base + d / 2]}
        gap = _rect(x - 0.375 * p["cable_diameter"], base + d / 2, x + 0.375 * p["cable_diameter"], base + d + 2 * wall)
        parts.append({"difference": [ring, gap]})
    span = n * pitch
    if p["mount"] == "screw":
        tab = max(3.0 * 2.5, 12.0)
        parts.append(_rect(-span / 2 - tab, 0, span / 2, base))
        # The screw goes down through the tab: the base strip's underside is the solid's front face.
        features = _screw_holes(dict(p, screw=p.get("screw") or "M3"), "front", [(-span / 2 - tab / 2, 0.0)])
    else:  # a wide pad to stick down
        parts.append(_rect(-span / 2 - 4, 0, span / 2 + 4, base))
    return _profile(parts, w, features)


def _knob(p: dict) -> dict:
    d, h, shaft = p["diameter"], p["height"], p["shaft_diameter"] + 2 * p["fit"]
    outline: dict = {"circle": {"diameter": d}}
    if p["grip"] == "knurled":  # scallops around the rim: one per 4 mm or so of circumference
        n = max(8, int(math.pi * d / 4))
        notch = 0.08 * d
        outline = {"difference": [outline] + [
            {"circle": {"diameter": notch}, "translate": [d / 2 * math.cos(2 * math.pi * i / n), d / 2 * math.sin(2 * math.pi * i / n)]}
            for i in range(n)]}
    if p["shaft"] == "d":
        flat = (p.get("flat") or 0.75 * p["shaft_diameter"]) + p["fit"]
        bore = {"difference": [{"circle": {"diameter": shaft}}, _rect(flat - shaft / 2, -shaft, shaft, shaft)]}
    elif p["shaft"] == "hex":
        bore = {"regular_polygon": {"sides": 6, "across_flats": shaft}}
    else:
        bore = {"circle": {"diameter": shaft}}
    depth = p.get("bore_depth") or round(0.75 * h, 2)
    features = [{"pocket": {"sketch": bore, "depth": depth}, "on": "bottom"}]
    if p.get("set_screw"):  # across the bore, halfway up it: in from the side, as far as the middle
        features.append({"hole": {"thread": p["set_screw"], "depth": d / 2}, "on": "right", "at": [0.0, depth / 2 - h / 2]})
    return {"extrude": {"sketch": outline, "height": h}, "features": features}


def _phone_stand(p: dict) -> dict:
    gap, t, w, a = p["device_thickness"] + 2.0, p["thickness"], p["width"], math.radians(p["angle"])
    lip, rest, base = 14.0, 110.0, p["depth"]
    # Side view: a base, a lip in front, the slot the phone stands in, and the back rest leaning at
    # the angle from the slot, long enough to hold a phone up.
    slab = {"rect": {"length": rest, "width": t}, "translate": [rest / 2, -t / 2]}  # pivots on its lower end
    leaning = {"union": [slab], "rotate": p["angle"], "translate": [t + gap + t * math.sin(a), t]}
    parts = [_rect(0, 0, base, t), _rect(0, 0, t, lip), leaning]
    return _profile(parts, w)


def _fits_hook(p: dict):
    if p.get("lip") is not None and p["lip"] <= p["thickness"]:
        return "the hook's tip must stand higher than the hook is thick"
    return None


_HOOK = (length("width", "width", "width", 20.0), length("thickness", "thickness", "thickness", 5.0),
         length("depth", "depth", "how far the hook reaches out", 25.0), length("lip", "height", "height of the hook's tip", 12.0))

HOUSEHOLD = table(
    NodeType("wall_hook", "a hook to screw to a wall: a back plate with screw holes, an arm and a tip", (
        length("height", "height", "height of the back plate", 50.0), *_HOOK, SCREW,
    ), _fits_hook, shape="hook", expand=_wall_hook),
    NodeType("door_hook", "an over-the-door hook for a door of the given thickness", (
        length("door_thickness", "thickness", "thickness of the door", required=True),
        length("drop", "height", "how far below the door's top edge the hook hangs", 60.0), *_HOOK,
    ), _fits_hook, shape="hook", expand=_door_hook),
    NodeType("rail_hook", "a hook that snaps onto a round rail or pipe of the given diameter", (
        length("rail_diameter", "diameter", "diameter of the rail", required=True), *_HOOK,
        Param("fit", "number", "clearance", "gap around the rail per side", 0.3, False, 0.0, 2.0),
    ), _fits_hook, shape="hook", expand=_rail_hook),
    NodeType("cable_clip", "a clip that holds cables of the given diameter, screwed down or stuck down", (
        length("cable_diameter", "diameter", "diameter of the cable", required=True),
        count("count", "count", "number of cables side by side", 1, maximum=10),
        choice("mount", "screwed down (a tab with a screw hole) or stuck down (a wide pad)", ("screw", "adhesive")),
        length("width", "width", "width of the clip", 8.0), length("wall", "wall", "wall thickness", 1.6),
        Param("screw", "thread", "thread", "the screw (left out: M3)"),
        Param("fit", "number", "clearance", "gap around the cable per side", 0.2, False, 0.0, 2.0),
    ), shape="clip", expand=_cable_clip),
    NodeType("knob", "a knob with a bore for a shaft (round, D-shaped or hex), round or knurled", (
        length("diameter", "diameter", "diameter", 25.0),  # a volume or a lamp knob: fingers and thumb around it
        length("height", "height", "height", 15.0),
        length("shaft_diameter", "diameter", "diameter of the shaft", required=True),
        choice("shaft", "shape of the shaft", ("round", "d", "hex")),
        Param("flat", "length", "across_flats", "a D shaft's width across its flat (left out: 75 % of the shaft)"),
        Param("bore_depth", "length", "depth", "depth of the bore (left out: three quarters of the height)"),
        choice("grip", "smooth or knurled rim", ("smooth", "knurled")),
        Param("set_screw", "thread", "thread", "a tapped hole for a set screw into the bore, e.g. M3"),
        Param("fit", "number", "clearance", "gap around the shaft per side", 0.15, False, -0.5, 1.0),
    ), shape="round", expand=_knob),
    NodeType("phone_stand", "a stand that holds a phone or tablet leaning back at an angle", (
        # a phone in a case is 9-12 mm: 12 holds most, and is shown as an assumption to correct
        length("device_thickness", "thickness", "thickness of the phone or tablet (with its case)", 12.0),
        angle("angle", "angle of the back rest from the table, in degrees", 65.0, 40.0, 85.0),
        length("width", "width", "width of the stand", 70.0),
        length("depth", "depth", "depth of the base", 90.0),
        length("thickness", "thickness", "thickness of its plates", 5.0),
    ), shape="stand", expand=_phone_stand),
)
