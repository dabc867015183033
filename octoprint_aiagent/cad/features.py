"""Feature nodes (model/features.py) applied to a solid: each is a tool built in the frame of its
face (faces.py), placed by ``at``/``from_edge``/``flush`` and repeated by its pattern, then
added to or taken from the solid. Every feature is measured as it is applied: one that cuts
nothing, adds something that does not touch, splits the part, or is wider than its face is an
error naming the sizes involved; a failure is never a silently different part."""

from __future__ import annotations

import math
from typing import Callable

import manifold3d
import numpy as np

from ..model.document import node_type
from ..model.features import FEATURES
from ..model.params import invalid
from . import holes
from .edges import MODIFIERS
from .faces import MARGIN_MM, SKIN_MM, Frame, Tool, frame_of, prism_cut
from .sketches import build_sketch

M = manifold3d.Manifold
CS = manifold3d.CrossSection
VOLUME_EPS = 1e-6  # mm3: less than this removed or added is nothing
GROUP_ORDER = ("modify", "add", "cut")


def apply_features(solid: manifold3d.Manifold, features: list, ctx, build) -> manifold3d.Manifold:
    """Apply ``features`` ((path, feature) pairs) in their groups' order (model/features.py):
    reshaping the base (edges, then shells), adding, removing; within a group, in list order."""
    def rank(item):
        path, feature = item
        kind = node_type(feature)
        return GROUP_ORDER.index(_group(feature, kind)), kind == "shell"

    for path, feature in sorted(features, key=rank):  # sorted() keeps list order within a rank
        kind = node_type(feature)
        if kind in MODIFIERS:
            solid = MODIFIERS[kind](solid, feature[kind], ctx, f"{path}.{kind}")
        else:
            solid = _place(solid, feature, kind, ctx, path, build)
    return solid


def _group(feature: dict, kind: str) -> str:
    group = FEATURES[kind].group
    if group == "text":
        return "cut" if feature[kind]["style"] == "engraved" else "add"
    return group


def _place(solid: manifold3d.Manifold, feature: dict, kind: str, ctx, path: str, build) -> manifold3d.Manifold:
    frame = frame_of(solid, feature.get("on", "top"))
    tool = TOOLS[kind](feature[kind], frame, ctx, f"{path}.{kind}", build)
    if feature.get("rotate"):
        tool = Tool(tool.solid.rotate((0.0, 0.0, feature["rotate"])), tool.removes)
    centres = positions(feature, frame, tool.solid, path, ctx)
    if kind in ("hole", "pocket", "slot", "cut") or (kind == "text" and tool.removes):
        _check_within(tool.solid, centres, frame, kind, path, strict=kind != "cut")
    placed = [tool.solid.translate((u, v, 0.0)) for u, v in centres]
    tools = frame.to_world(M.batch_boolean(placed, manifold3d.OpType.Add) if len(placed) > 1 else placed[0])
    before_volume, before_bodies = solid.volume(), _bodies(solid)
    after = solid - tools if tool.removes else solid + tools
    what = _describe(kind, feature[kind])
    if tool.removes and before_volume - after.volume() < VOLUME_EPS:
        raise invalid(f"{path}: the {what} does not cut into the part on {frame.describe()}; move it onto the part")
    if not tool.removes and after.volume() - before_volume < VOLUME_EPS:
        raise invalid(f"{path}: the {what} adds nothing: it lies inside the part on {frame.describe()}")
    bodies = _bodies(after)
    if bodies > before_bodies:
        if tool.removes:
            raise invalid(f"{path}: the {what} cuts the part into {bodies} pieces", hint="make it shallower or narrower")
        raise invalid(f"{path}: the {what} does not join the part on {frame.describe()}: it stands apart or touches it only at "
                      "a point or an edge (a ball on a flat face), so it would print as a separate piece",
                      hint="move it onto the face, or give it a flat side to stand on (a dome rather than a sphere)")
    return after


def _bodies(solid: manifold3d.Manifold) -> int:
    return len(solid.decompose())


def _describe(kind: str, p: dict) -> str:
    size = p.get("diameter") or p.get("width") or p.get("thickness")
    return f"{size:g} mm {kind}" if size else kind


def _check_within(tool: manifold3d.Manifold, centres: list, frame: Frame, kind: str, path: str, strict: bool) -> None:
    """A hole, pocket or slot must leave material around it: one as wide as its face is not a
    hole but a missing part (and a cut must fit on the face at all)."""
    section = tool.slice(-SKIN_MM)
    x0, y0, x1, y1 = section.bounds() if not section.is_empty() else (0.0, 0.0, 0.0, 0.0)
    tw, th = x1 - x0, y1 - y0
    fw, fh = frame.size
    too_wide = (tw >= fw - 1e-6 or th >= fh - 1e-6) if strict else (tw > fw + 1e-6 or th > fh + 1e-6)
    if too_wide:
        raise invalid(f"{path}: the {kind} is {tw:.4g} x {th:.4g} mm, as wide as or wider than {frame.describe()}",
                      hint="make it smaller or the part larger")


# -- where: centres of the tool on the face -----------------------------------------------------


def positions(feature: dict, frame: Frame, tool: manifold3d.Manifold, path: str, ctx) -> list[tuple[float, float]]:
    """Centres (u, v) of every copy of the feature on the face."""
    u0, v0, u1, v1 = frame.bounds
    t = tool.bounding_box()
    centre = list(feature.get("at") or (0.0, 0.0))
    for side, distance in (feature.get("from_edge") or {}).items():
        axis, sign = frame.side_axis(side, f"{path}.from_edge")
        centre[axis] = (u1, v1)[axis] - distance if sign > 0 else (u0, v0)[axis] + distance
    for side in feature.get("flush") or ():
        axis, sign = frame.side_axis(side, f"{path}.flush")
        lo, hi = (t[0], t[3]) if axis == 0 else (t[1], t[4])
        centre[axis] = (u1, v1)[axis] - hi if sign > 0 else (u0, v0)[axis] - lo
    pattern = feature.get("pattern")
    if not pattern:
        return [tuple(centre)]
    kind = next(iter(pattern))
    return [(centre[0] + du, centre[1] + dv) if kind != "corners" else (du, dv)
            for du, dv in PATTERNS[kind](pattern[kind], frame, tool, f"{path}.pattern.{kind}", ctx)]


def _footprint(tool: manifold3d.Manifold) -> float:
    """How wide the feature is where it meets the face (a countersink's flare above the face is
    only there to cut the edge cleanly)."""
    for w in (-SKIN_MM, SKIN_MM):
        section = tool.slice(w)
        if not section.is_empty():
            x0, y0, x1, y1 = section.bounds()
            return max(x1 - x0, y1 - y0)
    t = tool.bounding_box()
    return max(t[3] - t[0], t[4] - t[1])


def _spread(n: int, span: float) -> np.ndarray:
    return np.linspace(-span / 2, span / 2, n) if n > 1 else np.zeros(1)


def _inset(frame: Frame, tool) -> float:
    return max(_footprint(tool), 0.1 * min(frame.size))


def _grid(p: dict, frame: Frame, tool, path: str, ctx) -> list:
    w, h = frame.size
    inset = _inset(frame, tool)
    su = p.get("spacing_u") or ((w - 2 * inset) / (p["columns"] - 1) if p["columns"] > 1 else 0.0)
    sv = p.get("spacing_v") or ((h - 2 * inset) / (p["rows"] - 1) if p["rows"] > 1 else 0.0)
    us, vs = _spread(p["columns"], su * (p["columns"] - 1)), _spread(p["rows"], sv * (p["rows"] - 1))
    _apart(min(s for s in (su, sv, math.inf) if s) if len(us) * len(vs) > 1 else math.inf, tool, path)
    return [(float(u), float(v)) for v in vs for u in us]


def _circle(p: dict, frame: Frame, tool, path: str, ctx) -> list:
    r, n = p["diameter"] / 2, p["count"]
    _apart(2 * r * math.sin(math.pi / n), tool, path)
    start = math.radians(p["start_angle"])
    return [(r * math.cos(start + 2 * math.pi * i / n), r * math.sin(start + 2 * math.pi * i / n)) for i in range(n)]


def _corners(p: dict, frame: Frame, tool, path: str, ctx) -> list:
    u0, v0, u1, v1 = frame.bounds
    d = p.get("inset")
    if d is None:
        d = _inset(frame, tool)
        ctx.applied(f"{path}: {d:.3g} mm in from each side (as far in as the feature is wide; the request did not say)")
    if 2 * d >= min(frame.size):
        raise invalid(f"{path}: {d:g} mm in from each side leaves no corners on {frame.describe()}")
    return [(u0 + d, v0 + d), (u1 - d, v0 + d), (u1 - d, v1 - d), (u0 + d, v1 - d)]


def _row(p: dict, frame: Frame, tool, path: str, ctx) -> list:
    w, h = frame.size
    along_u = (w >= h) == (p["along"] == "length")
    n = p["count"]
    spacing = p.get("spacing") or ((w if along_u else h) - 2 * _inset(frame, tool)) / (n - 1)
    _apart(spacing, tool, path)
    return [(float(s), 0.0) if along_u else (0.0, float(s)) for s in _spread(n, spacing * (n - 1))]


def spread_centres(width: float, height: float, count: int, size: float) -> list[tuple[float, float]]:
    """A symmetric arrangement of ``count`` features of ``size`` mm inset from the edges of a
    width x height face: one in the middle, a row, a grid or a ring, whichever keeps them furthest
    apart (ties keep the earlier: a row along u before a column along v). Centres, or [] if none
    leaves a web between them."""
    inset = max(size, 0.1 * min(width, height))
    span_u, span_v = width - 2 * inset, height - 2 * inset
    if count == 1:
        return [(0.0, 0.0)]
    candidates = []
    for cols in (c for c in range(1, count + 1) if count % c == 0):
        rows = count // cols
        gap = min(span_u / (cols - 1) if cols > 1 else math.inf, span_v / (rows - 1) if rows > 1 else math.inf)
        candidates.append((gap, [(float(u), float(v)) for v in _spread(rows, span_v) for u in _spread(cols, span_u)]))
    if count >= 3:
        radius = min(span_u, span_v) / 2
        angles = math.pi / 2 + 2 * math.pi * np.arange(count) / count
        candidates.append((2 * radius * math.sin(math.pi / count), [(float(radius * math.cos(a)), float(radius * math.sin(a))) for a in angles]))
    gap, centres = max(candidates, key=lambda c: c[0])
    return centres if gap >= size + holes.MIN_WEB_MM else []


def _spread_pattern(p: dict, frame: Frame, tool, path: str, ctx) -> list:
    size = _footprint(tool)
    w, h = frame.size
    centres = spread_centres(w, h, p["count"], size)
    if not centres:
        raise invalid(f"{path}: {p['count']} features {size:.4g} mm across do not fit on {frame.describe()} with "
                      f"{holes.MIN_WEB_MM:g} mm of material between them", hint="use fewer or smaller ones, or a larger part")
    return centres


def _apart(spacing: float, tool, path: str) -> None:
    size = _footprint(tool)
    if spacing < size + holes.MIN_WEB_MM:
        raise invalid(f"{path}: features {size:.4g} mm across, {spacing:.4g} mm apart, overlap or leave less than "
                      f"{holes.MIN_WEB_MM:g} mm between them", hint="space them further apart or make them smaller")


PATTERNS: dict[str, Callable] = {"grid": _grid, "circle": _circle, "corners": _corners, "row": _row, "spread": _spread_pattern}


# -- what: the tools, in the face's frame --------------------------------------------------------


def _pocket(p, frame, ctx, path, build) -> Tool:
    return Tool(prism_cut(build_sketch(p["sketch"], f"{path}.sketch"), p.get("depth"), frame), True)


def _slot(p, frame, ctx, path, build) -> Tool:
    from .sketches import BUILDERS

    return Tool(prism_cut(BUILDERS["slot"](p, path), p.get("depth"), frame), True)


def _span(p: dict, frame: Frame, width: float, margin: float) -> CS:
    """A strip ``width`` wide across the face along its longer (length) or shorter side, its
    given length or the whole face (plus ``margin`` at each end)."""
    w, h = frame.size
    along_u = (w >= h) == (p["along"] == "length")
    run = p.get("length") or (w if along_u else h) + 2 * margin
    return CS.square((run, width) if along_u else (width, run), True)


def _groove(p, frame, ctx, path, build) -> Tool:
    return Tool(prism_cut(_span(p, frame, p["width"], MARGIN_MM), p["depth"], frame), True)


def _rib(p, frame, ctx, path, build) -> Tool:
    return Tool(M.extrude(_span(p, frame, p["thickness"], 0.0), p["height"]), False)


def _rim(p, frame, ctx, path, build) -> Tool:
    width = p["width"]
    inner = frame.outline.offset(-width, manifold3d.JoinType.Miter)
    band = frame.outline - inner
    if band.is_empty() or inner.is_empty():
        raise invalid(f"{path}: a rim {width:g} mm wide does not fit on {frame.describe()}")
    return Tool(M.extrude(band, p["height"]), False)


def _boss(p, frame, ctx, path, build) -> Tool:
    return Tool(M.extrude(build_sketch(p["sketch"], f"{path}.sketch"), p["height"]), False)


def _add(p, frame, ctx, path, build) -> Tool:
    return Tool(build(p["solid"], f"{path}.solid"), False)


def _cut(p, frame, ctx, path, build) -> Tool:
    solid = build(p["solid"], f"{path}.solid")
    return Tool(solid.translate((0.0, 0.0, -solid.bounding_box()[5])), True)


def _text(p, frame, ctx, path, build) -> Tool:
    from .text import fit_height, text_outline, thinnest_stroke

    height = p.get("height")
    if height is None:
        w, h = frame.size
        height = fit_height(p["text"], w, h, p["margin"])
        ctx.applied(f"{path}: letters {height:.3g} mm tall, the largest that fit {frame.describe()} with {p['margin']:g} mm around")
    stroke = thinnest_stroke(p["text"], height)
    if stroke < ctx.nozzle:
        raise invalid(f"{path}: letters {height:.3g} mm tall have strokes about {stroke:.2f} mm wide, thinner than the "
                      f"{ctx.nozzle:g} mm nozzle", hint=f"make them at least {height * ctx.nozzle / stroke:.2g} mm tall")
    outline = text_outline(p["text"], height)
    if p["style"] == "engraved":
        return Tool(prism_cut(outline, p["relief"], frame), True)
    return Tool(M.extrude(outline, p["relief"]), False)


TOOLS: dict[str, Callable] = {
    "hole": holes.hole_tool, "pocket": _pocket, "slot": _slot, "groove": _groove, "cut": _cut, "boss": _boss,
    "rib": _rib, "rim": _rim, "add": _add, "text": _text,
}
