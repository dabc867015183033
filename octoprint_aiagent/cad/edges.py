"""Features that reshape the base solid: fillets and chamfers of its edges, and shells.

They work on prisms, solids with the same outline all the way up (blocks, plates, cylinders,
tubes, gears, any extruded outline), which is what makers round and hollow: vertical edges are
rounded or bevelled in the outline (build123d's way: 2D offsets), a shell is the outline shrunk
by the wall. All edges of a block or a cylinder can be rounded or bevelled too. Anything else is
refused with a sentence, never approximated silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import manifold3d
import numpy as np

from ..model.params import invalid
from .curves import circle_segments
from .sketches import circle

M = manifold3d.Manifold
CS = manifold3d.CrossSection
ROUND, MITER = manifold3d.JoinType.Round, manifold3d.JoinType.Miter
SAME = 1e-4  # relative: two areas or volumes this close are the same
OPEN_MARGIN_MM = 1.0


@dataclass(frozen=True)
class Prism:
    section: manifold3d.CrossSection  # in world XY
    z0: float
    height: float

    @property
    def size(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.section.bounds()
        return x1 - x0, y1 - y0

    def extrude(self, section: manifold3d.CrossSection) -> manifold3d.Manifold:
        return M.extrude(section, self.height).translate((0.0, 0.0, self.z0))


def prism_of(solid: manifold3d.Manifold) -> Optional[Prism]:
    """The solid as an outline pulled straight up, or None if it is not one."""
    lo, hi = np.asarray(solid.bounding_box()).reshape(2, 3)
    height = hi[2] - lo[2]
    mid = solid.slice(lo[2] + height / 2)
    area = mid.area()
    if area <= 0 or abs(solid.volume() - area * height) > SAME * solid.volume():
        return None
    if any(abs(solid.slice(lo[2] + f * height).area() - area) > SAME * area for f in (0.05, 0.95)):
        return None
    return Prism(mid, lo[2], height)


def _is_block(prism: Prism) -> bool:
    w, d = prism.size
    return abs(prism.section.area() - w * d) <= SAME * w * d


def _is_disc(prism: Prism) -> bool:
    w, d = prism.size
    circle_area = np.pi * w * w / 4
    return abs(w - d) <= SAME * w and abs(prism.section.area() - circle_area) <= 0.01 * circle_area and len(prism.section.to_polygons()) == 1


def _need_prism(solid, path: str, what: str) -> Prism:
    prism = prism_of(solid)
    if prism is None:
        raise invalid(f"{path}: {what} works on parts with the same outline all the way up (blocks, plates, cylinders, "
                      "extruded outlines); apply it to the base part before other shapes are added")
    return prism


def _fits(size: float, prism: Prism, path: str, what: str, edges: str) -> None:
    """Roundings or bevels must leave some of each side they meet on: two on each side of the
    outline; up its height, none (vertical edges), one (top or bottom edges) or two (all)."""
    w, d = prism.size
    h = prism.height
    on_height = {"vertical": 0, "top": 1, "bottom": 1}.get(edges, 2)
    if 2 * size >= min(w, d) or on_height * size >= h:
        raise invalid(f"{path}: {size:g} mm is too large to {what} a {w:.4g} x {d:.4g} x {h:.4g} mm part")


def fillet(solid: manifold3d.Manifold, p: dict, ctx, path: str) -> manifold3d.Manifold:
    r, edges = p["radius"], p["edges"]
    prism = _need_prism(solid, path, "rounding edges")
    if edges == "vertical" and _is_disc(prism):  # it would change nothing: say so rather than pass
        raise invalid(f"{path}: a cylinder has no vertical edges to round; round its top or bottom edges (edges: all, top or bottom)")
    if edges == "vertical":
        _fits(r, prism, path, "round the corners of", edges)
        opened = prism.section.offset(-r, MITER)
        if opened.is_empty():
            raise invalid(f"{path}: a {r:g} mm radius is too large for the part's outline")
        return prism.extrude(opened.offset(r, ROUND, 2.0, circle_segments(r)))
    _fits(r, prism, path, "round the edges of", edges)
    if _is_block(prism):
        return _rounded_block(prism, r, edges)
    if _is_disc(prism):
        return _revolved(prism, r, edges, rounded=True)
    raise invalid(f"{path}: rounding {edges} edges works on blocks and cylinders; for this outline, round its vertical edges")


def chamfer(solid: manifold3d.Manifold, p: dict, ctx, path: str) -> manifold3d.Manifold:
    c, edges = p["size"], p["edges"]
    prism = _need_prism(solid, path, "bevelling edges")
    if edges == "vertical" and _is_disc(prism):  # it would change nothing: say so rather than pass
        raise invalid(f"{path}: a cylinder has no vertical edges to bevel; bevel its top or bottom edges (edges: all, top or bottom)")
    if edges == "vertical":
        _fits(c, prism, path, "bevel the corners of", edges)
        return prism.extrude(_cut_corners(prism.section, c))
    _fits(c, prism, path, "bevel the edges of", edges)
    if _is_block(prism):
        return _chamfered_block(prism, c, edges)
    if _is_disc(prism):
        return _revolved(prism, c, edges, rounded=False)
    raise invalid(f"{path}: bevelling {edges} edges works on blocks and cylinders; for this outline, bevel its vertical edges")


def shell(solid: manifold3d.Manifold, p: dict, ctx, path: str) -> manifold3d.Manifold:
    wall, opened = p["wall"], p["open"]
    floor = p.get("floor") or wall
    for name, size in (("walls", wall), ("floor", floor)):
        if size < ctx.nozzle:
            raise invalid(f"{path}: {name} of {size:g} mm are thinner than the {ctx.nozzle:g} mm nozzle", hint=f"make them at least {ctx.nozzle:g} mm")
    prism = _need_prism(solid, path, "hollowing out")
    w, d = prism.size
    inner = prism.section.offset(-wall, MITER)
    if inner.is_empty() or inner.area() <= 0:
        raise invalid(f"{path}: walls of {wall:g} mm leave no room inside a part {w:.4g} x {d:.4g} mm across")
    bottom = prism.z0 - OPEN_MARGIN_MM if "bottom" in opened else prism.z0 + floor
    top = prism.z0 + prism.height + OPEN_MARGIN_MM if "top" in opened else prism.z0 + prism.height - floor
    if top <= bottom:
        raise invalid(f"{path}: a floor of {floor:g} mm leaves no room inside a part {prism.height:g} mm tall")
    for side in (s for s in opened if s not in ("top", "bottom")):
        inner = _opened_towards(inner, side, max(w, d) + OPEN_MARGIN_MM, path)
    return solid - M.extrude(inner, top - bottom).translate((0.0, 0.0, bottom))


_SIDES = {"left": (-1, 0), "right": (1, 0), "front": (0, -1), "back": (0, 1)}


def _opened_towards(inner: CS, side: str, reach: float, path: str) -> CS:
    hull = inner.hull()
    if hull.area() > inner.area() * (1 + SAME):
        raise invalid(f"{path}: opening the {side} side works on simple convex outlines (blocks, cylinders)")
    dx, dy = _SIDES[side]
    return CS.hull(inner + inner.translate((dx * reach, dy * reach)))


def _cut_corners(section: CS, c: float) -> CS:
    """Every convex corner of the outline bevelled ``c`` mm along both edges."""
    rings = []
    for ring in section.to_polygons():
        pts = np.asarray(ring, dtype=float)
        out = []
        n = len(pts)
        orientation = np.sign(_area(pts))
        for i in range(n):
            prev, here, nxt = pts[i - 1], pts[i], pts[(i + 1) % n]
            a, b = prev - here, nxt - here
            turn = np.sign(b[0] * a[1] - b[1] * a[0]) * orientation  # > 0: a convex corner
            if turn <= 0:
                out.append(here)
                continue
            la, lb = np.linalg.norm(a), np.linalg.norm(b)
            out.append(here + a / la * min(c, la / 2))
            out.append(here + b / lb * min(c, lb / 2))
        rings.append(np.asarray(out))
    return CS(rings, manifold3d.FillRule.EvenOdd)


def _area(pts: np.ndarray) -> float:
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _block_centre(prism: Prism) -> tuple[float, float]:
    x0, y0, x1, y1 = prism.section.bounds()
    return (x0 + x1) / 2, (y0 + y1) / 2


def _rounded_block(prism: Prism, r: float, edges: str) -> manifold3d.Manifold:
    w, d = prism.size
    cx, cy = _block_centre(prism)
    ball = M.sphere(r, circle_segments(r))
    xs, ys = (cx - w / 2 + r, cx + w / 2 - r), (cy - d / 2 + r, cy + d / 2 - r)
    z0, z1 = prism.z0, prism.z0 + prism.height
    parts = []
    for z, rounded in ((z0, edges in ("all", "bottom")), (z1, edges in ("all", "top"))):
        if rounded:
            level = z0 + r if z == z0 else z1 - r
            parts += [ball.translate((x, y, level)) for x in xs for y in ys]
        else:  # a sharp face: a thin slab of the full outline
            slab = M.cube([w, d, 1e-3], True).translate((cx, cy, z + (5e-4 if z == z0 else -5e-4)))
            parts.append(slab)
    return M.hull(M.batch_boolean(parts, manifold3d.OpType.Add))


def _chamfered_block(prism: Prism, c: float, edges: str) -> manifold3d.Manifold:
    w, d = prism.size
    cx, cy = _block_centre(prism)
    z0, h = prism.z0, prism.height
    lo = c if edges in ("all", "bottom") else 0.0
    hi = c if edges in ("all", "top") else 0.0
    core = M.cube([w, d, h - lo - hi], True).translate((cx, cy, z0 + lo + (h - lo - hi) / 2))
    faces = [M.cube([w - 2 * c, d - 2 * c, 1e-3], True).translate((cx, cy, z)) for z in (z0 + 5e-4, z0 + h - 5e-4)]
    if edges == "all":  # the sides bevelled too: the core's vertical edges
        core = M.extrude(_cut_corners(CS.square((w, d), True), c), h - 2 * c).translate((cx, cy, z0 + c))
    return M.hull(core + faces[0] + faces[1]) if lo or hi else core


def _revolved(prism: Prism, size: float, edges: str, rounded: bool) -> manifold3d.Manifold:
    """A cylinder with its circular edges rounded or bevelled: a profile turned about its axis."""
    w, _ = prism.size
    cx, cy = _block_centre(prism)
    r, h = w / 2, prism.height
    profile = CS.square((r, h))
    corners = [(r, 0.0)] * (edges in ("all", "bottom")) + [(r, h)] * (edges in ("all", "top"))
    for x, y in corners:
        sy = 1 if y == 0 else -1
        notch = CS.square((size, size)).translate((x - size, y if sy > 0 else y - size))
        if rounded:
            keep = circle(2 * size).translate((x - size, y + sy * size))
            profile = profile - (notch - keep)
        else:
            keep = CS([np.array([[x - size, y], [x, y + sy * size], [x - size, y + sy * size]])], manifold3d.FillRule.EvenOdd)
            profile = profile - (notch - keep)
    solid = M.revolve(profile, circle_segments(r))
    return solid.translate((cx, cy, prism.z0))


MODIFIERS = {"fillet": fillet, "chamfer": chamfer, "shell": shell}
