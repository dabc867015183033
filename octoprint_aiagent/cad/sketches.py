"""Sketch nodes (model/sketches.py) -> manifold3d cross-sections, one builder per type."""

from __future__ import annotations

import math
from typing import Callable

import manifold3d
import numpy as np

from ..model.document import node_type
from ..model.params import invalid
from . import gear as gear_profile
from .curves import circle_segments

CS = manifold3d.CrossSection
Params = dict


def circle(diameter: float) -> manifold3d.CrossSection:
    return CS.circle(diameter / 2, circle_segments(diameter / 2))


def _rect(p: Params, path: str) -> manifold3d.CrossSection:
    length, width, r, c = p["length"], p["width"], p.get("corner_radius", 0.0), p.get("chamfer", 0.0)
    rect = CS.square((length, width), True)
    if r > 0:  # shrink, then grow back with round joins: exact arcs of radius r at the corners
        return rect.offset(-r, manifold3d.JoinType.Miter).offset(r, manifold3d.JoinType.Round, 2.0, circle_segments(r))
    if c > 0:
        x, y = length / 2, width / 2
        return CS([np.array([[-x + c, -y], [x - c, -y], [x, -y + c], [x, y - c], [x - c, y], [-x + c, y], [-x, y - c], [-x, -y + c]])])
    return rect


def _regular_polygon(p: Params, path: str) -> manifold3d.CrossSection:
    n = p["sides"]
    if p.get("side") is not None:
        radius = p["side"] / (2 * math.sin(math.pi / n))
    elif p.get("across_corners") is not None:
        radius = p["across_corners"] / 2
    else:  # across flats: side to side (even), side to opposite corner (odd)
        af = p["across_flats"]
        radius = af / (2 * math.cos(math.pi / n)) if n % 2 == 0 else af / (1 + math.cos(math.pi / n))
    # A flat side at the bottom: the first corner at -90 degrees plus half a step.
    angles = -math.pi / 2 + math.pi / n + 2 * math.pi * np.arange(n) / n
    return CS([np.column_stack([radius * np.cos(angles), radius * np.sin(angles)])])


def _polygon(p: Params, path: str) -> manifold3d.CrossSection:
    points = np.asarray(p["points"], dtype=float)
    section = CS([points], manifold3d.FillRule.Positive if _shoelace(points) > 0 else manifold3d.FillRule.Negative)
    if abs(section.area() - abs(_shoelace(points))) > 1e-6 * max(1.0, abs(_shoelace(points))):
        raise invalid(f"{path}.points cross each other; give the outline of a simple polygon, point by point around it")
    return section


def _shoelace(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _slot(p: Params, path: str) -> manifold3d.CrossSection:
    length, width = p["length"], p["width"]
    end = circle(width)
    return CS.hull(end.translate((-(length - width) / 2, 0.0)) + end.translate(((length - width) / 2, 0.0)))


def _ring(p: Params, path: str) -> manifold3d.CrossSection:
    # The same segment count for both circles keeps the ring's area ratio exact.
    n = circle_segments(p["outer_diameter"] / 2)
    return CS.circle(p["outer_diameter"] / 2, n) - CS.circle(p["inner_diameter"] / 2, n)


def _gear(p: Params, path: str) -> manifold3d.CrossSection:
    geo = gear_profile.gear_geometry(int(p["teeth"]), p["outer_diameter"], p["pressure_angle"])
    return CS([gear_profile.gear_outline(geo, 2 * math.pi / circle_segments(geo.tip_radius))])


def _text(p: Params, path: str) -> manifold3d.CrossSection:
    from .text import text_outline

    return text_outline(p["text"], p["height"], spacing=p.get("spacing", 0.0))


def _offset(p: Params, path: str) -> manifold3d.CrossSection:
    join = manifold3d.JoinType.Round if p["round"] else manifold3d.JoinType.Miter
    grown = build_sketch(p["sketch"], f"{path}.sketch").offset(p["distance"], join, 2.0, circle_segments(abs(p["distance"])))
    if grown.is_empty():
        raise invalid(f"{path}: shrinking by {-p['distance']:g} mm leaves nothing of the sketch")
    return grown


BUILDERS: dict[str, Callable[[Params, str], manifold3d.CrossSection]] = {
    "rect": _rect, "circle": lambda p, path: circle(p["diameter"]), "regular_polygon": _regular_polygon,
    "polygon": _polygon, "slot": _slot, "ring": _ring, "gear": _gear, "text": _text, "offset": _offset,
}


def build_sketch(node: dict, path: str) -> manifold3d.CrossSection:
    """A checked sketch node -> its cross-section, moved as the node says."""
    kind = node_type(node)
    value = node[kind]
    if kind in ("union", "difference"):
        parts = [build_sketch(s, f"{path}.{kind}[{i}]") for i, s in enumerate(value)]
        op = manifold3d.OpType.Add if kind == "union" else manifold3d.OpType.Subtract
        section = CS.batch_boolean(parts, op)
    else:
        section = BUILDERS[kind](value, f"{path}.{kind}")
    if node.get("rotate"):
        section = section.rotate(node["rotate"])
    if node.get("translate"):
        section = section.translate(tuple(node["translate"]))
    if section.is_empty() or section.area() <= 0:
        raise invalid(f"{path} leaves an empty outline (check what its difference takes away)")
    return section
