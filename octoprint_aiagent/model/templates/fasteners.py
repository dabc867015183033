"""Fasteners by their standard's name: "an M8 hex nut", "a washer for an M5 bolt", "an M6 bolt
30 mm long". Sizes come from ``model.standards`` (ISO 4032/4035, 7089/7093, 4017/4014, 4762,
273); threads are true ISO 68-1 helices, made looser or tighter by the printer's fit clearance
(``clearance`` here overrides it). Each stands in the orientation that prints best: nuts and
washers flat, bolts and screws on their head, so the thread rises from the bed."""

from __future__ import annotations

from .. import standards
from ..nodes import NodeType, table
from ..params import Param, choice, flag, length
from ..solids import CLEARANCE

SIZE = Param("size", "thread", "thread", "ISO metric size, e.g. M8 (or M8x1 for a fine pitch)", required=True)

# Hex standoffs as sold (not an ISO standard; common brass/nylon standoff widths across flats).
STANDOFF_AF = {2: 4.0, 2.5: 5.0, 3: 5.5, 4: 7.0, 5: 8.0, 6: 10.0, 8: 13.0}


def _hexagon(across_flats: float) -> dict:
    return {"regular_polygon": {"sides": 6, "across_flats": across_flats}}


def _fit(p: dict) -> dict:
    return {"clearance": p["clearance"]} if p.get("clearance") is not None else {}


def _nut(p: dict) -> dict:
    nut = standards.hex_nut(p["size"], thin=p["thin"])
    return {"extrude": {"sketch": _hexagon(nut.s), "height": nut.m}, "features": [{"hole": {"thread": p["size"], **_fit(p)}}]}


def _washer(p: dict) -> dict:
    w = standards.washer(p["size"], large=p["large"])  # ISO 7089's hole is already clear of the screw
    return {"extrude": {"sketch": {"ring": {"outer_diameter": w.d2, "inner_diameter": w.d1}}, "height": w.h}}


def _threaded(p: dict, start: float, length: float) -> dict:
    return {"thread": {"size": p["size"], "length": length, **_fit(p)}, "translate": [0.0, 0.0, start]}


def _bolt(p: dict) -> dict:
    bolt = standards.hex_bolt(p["size"], p["length"], partly_threaded=p["partly_threaded"])
    head = {"extrude": {"sketch": _hexagon(bolt.s), "height": bolt.k}}
    shank = bolt.length - bolt.thread_length
    parts = [head, _threaded(p, bolt.k + shank, bolt.thread_length)]
    if shank > 0:  # ISO 4014: a plain shank under the head, the thread at the end
        parts.append({"cylinder": {"diameter": bolt.thread.major_diameter, "height": shank + 0.01}, "translate": [0.0, 0.0, bolt.k - 0.01]})
    return {"union": parts}


def _cap_screw(p: dict) -> dict:
    screw = standards.socket_head_cap_screw(p["size"])
    head = {"cylinder": {"diameter": screw.dk, "height": screw.k},
            "features": [{"pocket": {"sketch": _hexagon(screw.s), "depth": screw.t}, "on": "bottom"}]}
    return {"union": [head, _threaded(p, screw.k, p["length"])]}


def _standoff(p: dict) -> dict:
    d = standards.parse_metric(p["size"]).major_diameter
    af = p.get("across_flats") or STANDOFF_AF.get(d, round(2 * d, 1))
    body = {"extrude": {"sketch": _hexagon(af), "height": p["length"]}} if p["shape"] == "hex" else {
        "cylinder": {"diameter": af, "height": p["length"]}}
    return dict(body, features=[{"hole": {"thread": p["size"], **_fit(p)}}])


def _spacer(p: dict) -> dict:
    hole = standards.clearance_hole(p["size"], "medium").diameter
    outer = p.get("outer_diameter") or round(hole + 2 * max(1.2, hole / 2), 1)
    return {"cylinder": {"diameter": outer, "height": p["length"]}, "features": [{"hole": {"screw": p["size"], **_fit(p)}}]}


def _spacer_fits(p: dict):
    if p.get("outer_diameter") is not None and p["outer_diameter"] <= standards.clearance_hole(p["size"], "medium").diameter + 0.8:
        return f"a spacer {p['outer_diameter']:g} mm across leaves no wall around an {p['size']} clearance hole"
    return None


def _bolt_fits(p: dict):
    d = standards.parse_metric(p["size"]).major_diameter
    if p["length"] < d:
        return f"an {p['size']} screw {p['length']:g} mm long is shorter than it is thick"
    return None


FASTENERS = table(
    NodeType("hex_nut", "an ISO 4032 hex nut (ISO 4035 thin nut if thin), threaded", (
        SIZE, flag("thin", "a thin (jam) nut, ISO 4035"), CLEARANCE,
    ), shape="hex", expand=_nut),
    NodeType("washer", "an ISO 7089 plain washer (ISO 7093 if large)", (
        SIZE, flag("large", "a large (ISO 7093) washer"),
    ), shape="round", expand=_washer),
    NodeType("hex_bolt", "a hex head bolt, ISO 4017 threaded to the head (ISO 4014 with a shank if partly threaded)", (
        SIZE, length("length", "length", "length under the head", required=True),
        flag("partly_threaded", "a plain shank under the head (ISO 4014)"), CLEARANCE,
    ), _bolt_fits, shape="bolt", expand=_bolt),
    NodeType("cap_screw", "an ISO 4762 socket head cap screw", (
        SIZE, length("length", "length", "length under the head", required=True), CLEARANCE,
    ), _bolt_fits, shape="bolt", expand=_cap_screw),
    NodeType("threaded_rod", "a threaded rod (studding)", (
        SIZE, length("length", "length", "length", required=True), CLEARANCE,
    ), shape="round", expand=lambda p: {"thread": {"size": p["size"], "length": p["length"], **_fit(p)}}),
    NodeType("standoff", "a standoff with a tapped hole through it, for a screw size", (
        SIZE, length("length", "length", "length", required=True),
        Param("across_flats", "length", "across_flats", "width across flats (left out: the usual for the size)"),
        choice("shape", "hexagonal or round", ("hex", "round")), CLEARANCE,
    ), shape="hex", expand=_standoff),
    NodeType("spacer", "a round spacer with a clearance hole for a screw", (
        SIZE, length("length", "length", "length", required=True),
        Param("outer_diameter", "length", "diameter", "outside diameter (left out: a wall about half the screw wide)"),
        CLEARANCE,
    ), _spacer_fits, shape="round", expand=_spacer),
)
