"""Solid nodes (model/solids.py) -> manifold3d solids standing on z=0, centred on the Z axis.
One builder per type; compositions, templates, features and placement are build.py's."""

from __future__ import annotations

from typing import Callable

import manifold3d
import numpy as np

from ..model.params import invalid
from .curves import circle_segments
from .sketches import build_sketch, circle

M = manifold3d.Manifold
Params = dict


def _box(p: Params, ctx, path: str, build) -> manifold3d.Manifold:
    return M.cube([p["length"], p["width"], p["height"]], True).translate((0.0, 0.0, p["height"] / 2))


def _cylinder(p: Params, ctx, path: str, build) -> manifold3d.Manifold:
    return M.extrude(circle(p["diameter"]), p["height"])


def _cone(p: Params, ctx, path: str, build) -> manifold3d.Manifold:
    r1, r2 = p["base_diameter"] / 2, p["top_diameter"] / 2
    return M.cylinder(p["height"], r1, r2, circle_segments(max(r1, r2)))


def _sphere(p: Params, ctx, path: str, build) -> manifold3d.Manifold:
    r = p["diameter"] / 2
    return M.sphere(r, circle_segments(r)).translate((0.0, 0.0, r))


def _torus(p: Params, ctx, path: str, build) -> manifold3d.Manifold:
    big, small = p["diameter"] / 2, p["tube_diameter"] / 2
    tube = manifold3d.CrossSection.circle(small, circle_segments(small)).translate((big, 0.0))
    return M.revolve(tube, circle_segments(big + small)).translate((0.0, 0.0, small))


def _extrude(p: Params, ctx, path: str, build) -> manifold3d.Manifold:
    section = build_sketch(p["sketch"], f"{path}.sketch")
    scale = p["top_scale"]
    return M.extrude(section, p["height"], scale_top=(scale, scale))


def _revolve(p: Params, ctx, path: str, build) -> manifold3d.Manifold:
    profile = build_sketch(p["sketch"], f"{path}.sketch")
    x0, _y0, x1, _y1 = profile.bounds()
    if x0 < -1e-9:
        raise invalid(f"{path}.sketch reaches x = {x0:g} mm; a profile to revolve must lie at x >= 0 (x is the radius)")
    solid = M.revolve(profile, circle_segments(x1), p["angle"])
    lo = solid.bounding_box()[2]
    return solid.translate((0.0, 0.0, -lo))


def _thread(p: Params, ctx, path: str, build) -> manifold3d.Manifold:
    from ..model.standards import parse_metric
    from .threads import external_thread

    thread = parse_metric(p["size"])
    clearance = ctx.clearance if p.get("clearance") is None else p["clearance"]
    ctx.applied(f"{path}: {thread.designation} external thread reduced by {clearance:g} mm per side for the fit")
    return external_thread(thread.major_diameter, thread.pitch, p["length"], clearance)


def _array(p: Params, ctx, path: str, build) -> manifold3d.Manifold:
    one = build(p["solid"], f"{path}.solid")
    step = np.asarray(p["spacing"])
    return M.batch_boolean([one.translate(tuple(step * i)) for i in range(p["count"])], manifold3d.OpType.Add)


def _circular_array(p: Params, ctx, path: str, build) -> manifold3d.Manifold:
    one = build(p["solid"], f"{path}.solid").translate((p["diameter"] / 2, 0.0, 0.0))
    n = p["count"]
    return M.batch_boolean([one.rotate((0.0, 0.0, 360.0 * i / n)) for i in range(n)], manifold3d.OpType.Add)


# (params, build context, path, build(node, path) for nested solids) -> solid
BUILDERS: dict[str, Callable] = {
    "box": _box, "cylinder": _cylinder, "cone": _cone, "sphere": _sphere, "torus": _torus, "extrude": _extrude,
    "revolve": _revolve, "thread": _thread, "array": _array, "circular_array": _circular_array,
}
