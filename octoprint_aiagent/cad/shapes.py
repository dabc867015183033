"""Parametric parts: one builder per kind of ``agent.spec.KINDS``, registered in ``BUILDERS``.

A builder takes the validated parameters (mm) and returns a manifold3d solid in its printing
pose; ``build_part`` turns it into a watertight trimesh centred on XY (0, 0) with z from 0.
Curves are tessellated by ``csg.circle_segments`` with vertices on the axes, so extents are exact
and volumes within 1% of the true solid (chords cut slightly inside the curve).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Callable

import manifold3d
import numpy as np
import trimesh

from ..model.errors import AgentError
from ..model.spec import DesignSpec, validate_spec
from . import gear as gear_profile
from .csg import build_csg_manifold, circle_segments
from .mesh_io import manifold_to_trimesh

STAGE = "designing"
M = manifold3d.Manifold
CS = manifold3d.CrossSection
Params = Mapping[str, float]

LID_GAP_MM = 5.0  # between the box and its lid on the bed
HOLE_MIN_WEB_MM = 1.0  # material left between two holes


def _circle(radius: float, segments: int = 0) -> manifold3d.CrossSection:
    return CS.circle(radius, segments or circle_segments(radius))


def _rectangle(x: float, y: float) -> manifold3d.CrossSection:
    return CS.square((x, y), True)


def _cube(p: Params) -> manifold3d.Manifold:
    return M.cube([p["size"]] * 3)


def _box(p: Params) -> manifold3d.Manifold:
    return M.cube([p["length"], p["width"], p["height"]])


def _cylinder(p: Params) -> manifold3d.Manifold:
    return M.extrude(_circle(p["diameter"] / 2), p["height"])


def _sphere(p: Params) -> manifold3d.Manifold:
    r = p["diameter"] / 2
    return M.sphere(r, circle_segments(r))


def _dome(p: Params) -> manifold3d.Manifold:
    r = p["diameter"] / 2
    return M.sphere(r, circle_segments(r)).trim_by_plane((0.0, 0.0, 1.0), 0.0)


def _cone(p: Params) -> manifold3d.Manifold:
    r1, r2 = p["base_diameter"] / 2, p["top_diameter"] / 2
    return M.cylinder(p["height"], r1, r2, circle_segments(max(r1, r2)))


def _pyramid(p: Params) -> manifold3d.Manifold:
    return M.extrude(_rectangle(p["base"], p["base"]), p["height"], scale_top=(0.0, 0.0))


def _hex_prism(p: Params) -> manifold3d.Manifold:
    # A hexagon's corners lie on a circle of radius across_flats / sqrt(3); one corner on +X.
    return M.extrude(_circle(p["across_flats"] / math.sqrt(3), 6), p["height"])


def _triangular_prism(p: Params) -> manifold3d.Manifold:
    s, length = p["side"], p["length"]
    triangle = CS([np.array([[-s / 2, 0.0], [s / 2, 0.0], [0.0, s * math.sqrt(3) / 2]])])
    # Extruded along Z, then turned so the prism lies along X on one rectangular face:
    # (u, v, w) -> (w, u, v).
    turn = [[0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
    return M.extrude(triangle, length).transform(turn)


def _tube(p: Params) -> manifold3d.Manifold:
    # Same segment count for both circles, so the wall keeps the cylinders' volume ratio.
    n = circle_segments(p["outer_diameter"] / 2)
    ring = _circle(p["outer_diameter"] / 2, n) - _circle(p["inner_diameter"] / 2, n)
    return M.extrude(ring, p["height"])


def _floor(p: Params) -> float:
    return p.get("floor") or p["wall"]


def _open_box(p: Params) -> manifold3d.Manifold:
    wall, floor = p["wall"], _floor(p)
    outer = M.cube([p["length"], p["width"], p["height"]], True)
    cavity = M.cube([p["length"] - 2 * wall, p["width"] - 2 * wall, p["height"]], True)
    return (outer - cavity.translate((0.0, 0.0, floor))).translate((0.0, 0.0, p["height"] / 2))


def _cup(p: Params) -> manifold3d.Manifold:
    r, wall, floor = p["diameter"] / 2, p["wall"], _floor(p)
    n = circle_segments(r)
    outer = M.extrude(_circle(r, n), p["height"])
    cavity = M.extrude(_circle(r - wall, n), p["height"]).translate((0.0, 0.0, floor))
    return outer - cavity


def _gear(p: Params) -> manifold3d.Manifold:
    geo = gear_profile.gear_geometry(int(p["teeth"]), p["outer_diameter"], p["pressure_angle"])
    arc_step = 2 * math.pi / circle_segments(geo.tip_radius)
    section = CS([gear_profile.gear_outline(geo, arc_step)])
    if p["bore"] > 0:
        section = section - _circle(p["bore"] / 2)
    return M.extrude(section, p["thickness"])


def hole_centres(length: float, width: float, count: int, hole_diameter: float) -> list[tuple[float, float]]:
    """A symmetric pattern, inset from the edges: one in the centre, a row, corners, a grid, or
    a ring; whichever keeps the holes furthest apart. Raises AgentError if they do not fit."""
    inset = max(hole_diameter, 0.1 * min(length, width))  # centre to the nearest edge
    span_x, span_y = length - 2 * inset, width - 2 * inset
    if count == 1:
        return [(0.0, 0.0)]
    candidates = []  # (smallest distance between holes, centres)
    for cols in range(1, count + 1):
        if count % cols:
            continue
        rows = count // cols
        gap_x = span_x / (cols - 1) if cols > 1 else math.inf
        gap_y = span_y / (rows - 1) if rows > 1 else math.inf
        xs = np.linspace(-span_x / 2, span_x / 2, cols) if cols > 1 else np.zeros(1)
        ys = np.linspace(-span_y / 2, span_y / 2, rows) if rows > 1 else np.zeros(1)
        candidates.append((min(gap_x, gap_y), [(float(x), float(y)) for y in ys for x in xs]))
    if count >= 3:
        radius = min(span_x, span_y) / 2
        angles = math.pi / 2 + 2 * math.pi * np.arange(count) / count
        ring = [(float(radius * math.cos(a)), float(radius * math.sin(a))) for a in angles]
        candidates.append((2 * radius * math.sin(math.pi / count), ring))
    # Ties keep the earlier candidate: a row along X before a column along Y.
    spacing, centres = max(candidates, key=lambda c: c[0])
    if spacing < hole_diameter + HOLE_MIN_WEB_MM:
        raise AgentError(
            STAGE,
            f"{count} holes of {hole_diameter:g} mm do not fit on a {length:g} x {width:g} mm plate "
            f"(they would be {max(spacing, 0):.1f} mm apart, centre to centre)",
            hint="use fewer or smaller holes, or a larger plate",
        )
    return centres


def _plate_with_holes(p: Params) -> manifold3d.Manifold:
    r = p["hole_diameter"] / 2
    hole = _circle(r)
    holes = [hole.translate(c) for c in hole_centres(p["length"], p["width"], int(p["hole_count"]), p["hole_diameter"])]
    section = _rectangle(p["length"], p["width"]) - CS.batch_boolean(holes, manifold3d.OpType.Add)
    return M.extrude(section, p["thickness"])


def lid_lip_height(height: float, wall: float) -> float:
    """How far the lid's lip reaches into the box: deep enough to locate, never to the floor."""
    return min(max(3.0, 2 * wall), (height - wall) / 2)


def _box_with_lid(p: Params) -> manifold3d.Manifold:
    length, width, wall, gap = p["length"], p["width"], p["wall"], p["clearance"]
    box = _open_box({**p, "floor": wall})
    lip_x, lip_y = length - 2 * wall - 2 * gap, width - 2 * wall - 2 * gap
    if min(lip_x, lip_y) <= 0:
        raise AgentError(STAGE, f"a clearance of {gap:g} mm leaves no room for the lid's lip", hint="use a smaller clearance")
    lip = _rectangle(lip_x, lip_y)
    if min(lip_x, lip_y) > 2 * wall:  # a rim, not a solid plug, when there is room for one
        lip = lip - _rectangle(lip_x - 2 * wall, lip_y - 2 * wall)
    lid = M.cube([length, width, wall], True).translate((0.0, 0.0, wall / 2))
    lid = lid + M.extrude(lip, lid_lip_height(p["height"], wall)).translate((0.0, 0.0, wall))
    # Side by side across the shorter side, lip up, so the pair stays compact.
    shift = (0.0, width + LID_GAP_MM, 0.0) if length >= width else (length + LID_GAP_MM, 0.0, 0.0)
    return box + lid.translate(shift)


BUILDERS: dict[str, Callable[[Params], manifold3d.Manifold]] = {
    "cube": _cube,
    "box": _box,
    "cylinder": _cylinder,
    "sphere": _sphere,
    "dome": _dome,
    "cone": _cone,
    "pyramid": _pyramid,
    "hex_prism": _hex_prism,
    "triangular_prism": _triangular_prism,
    "tube": _tube,
    "open_box": _open_box,
    "cup": _cup,
    "gear": _gear,
    "plate_with_holes": _plate_with_holes,
    "box_with_lid": _box_with_lid,
}


def build_part(spec: DesignSpec) -> trimesh.Trimesh:
    """A spec -> watertight mesh, exact size, centred on XY (0, 0), standing on z=0."""
    spec = validate_spec(spec)
    if spec.kind == "csg":
        solid = build_csg_manifold(spec.csg)
    elif spec.kind in BUILDERS:
        solid = BUILDERS[spec.kind](spec.params)
    else:
        raise AgentError(STAGE, f"no builder for a {spec.kind}", reason="failed")
    if solid.status() != manifold3d.Error.NoError or solid.is_empty():
        raise AgentError(STAGE, f"manifold3d could not build the {spec.kind}: {solid.status()}", reason="failed")
    lo, hi = np.array(solid.bounding_box()).reshape(2, 3)
    centre = (lo + hi) / 2
    return manifold_to_trimesh(solid.translate((-centre[0], -centre[1], -lo[2])))
