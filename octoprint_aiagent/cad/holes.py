"""Holes, as a maker means them: a stated diameter, or a hole for a screw (an ISO 273 clearance
hole, with a counterbore for a socket head, a countersink for a flat head, a nut trap where it
comes out, or sized for a heat-set insert), or a tapped hole (an ISO metric internal thread).

Sizes for screws come from ``model.standards``; the printer's fit clearance (per side) is added
to every hole and recess made for a part that must fit in it, and each use is reported. A hole
given as a diameter is made exactly that size.
"""

from __future__ import annotations

import manifold3d

from ..model import standards
from ..model.params import invalid
from .faces import MARGIN_MM, Frame, Tool, prism_cut
from .sketches import circle

M = manifold3d.Manifold
MIN_WEB_MM = 1.0  # material left between two holes
FITS = {"close": "fine", "normal": "medium", "loose": "coarse"}  # our words -> ISO 273's


def hole_tool(p: dict, frame: Frame, ctx, path: str, build):

    c = ctx.clearance if p.get("clearance") is None else p["clearance"]
    depth = p.get("depth")
    if depth is not None and depth >= frame.depth:
        raise invalid(f"{path}: a hole {depth:g} mm deep goes through the part, which is {frame.depth:g} mm thick there",
                      hint="leave the depth out for a hole through")
    if p.get("thread"):
        return Tool(_tapped(p["thread"], depth, frame, c, ctx, path), True)
    screw = p.get("screw")
    if screw and p.get("insert"):
        insert = standards.heat_set_insert(screw)
        diameter, depth = insert.hole_diameter, depth or insert.depth
        ctx.applied(f"{path}: a hole for an {screw} heat-set insert, {diameter:g} mm x {depth:g} mm deep")
    elif screw:
        iso = standards.clearance_hole(screw, FITS[p.get("fit") or "normal"])
        diameter = iso.diameter + 2 * c
        ctx.applied(f"{path}: {screw} clearance hole {iso.diameter:g} mm ({iso.fit}, ISO 273) + {c:g} mm per side = {diameter:g} mm")
    else:
        diameter = p["diameter"]
    tool = prism_cut(circle(diameter), depth, frame)
    bore = p.get("counterbore_diameter"), p.get("counterbore_depth")
    if p.get("counterbore"):
        head = standards.socket_head_cap_screw(screw)
        bore = head.dk + 2 * c, head.k + c
        ctx.applied(f"{path}: counterbore for an ISO 4762 {screw} head, {bore[0]:g} mm x {bore[1]:g} mm deep")
    if bore[0] is not None:
        tool = tool + prism_cut(circle(bore[0]), bore[1], frame)
    sink = p.get("countersink_diameter")
    if p.get("countersink"):
        sink = standards.countersunk_screw(screw).dk + 2 * c
        ctx.applied(f"{path}: 90 degree countersink for an ISO 10642 {screw} head, {sink:g} mm across")
    if sink is not None:
        tool = tool + _countersink(sink, diameter, MARGIN_MM)
    if p.get("nut_trap"):
        if depth is not None:
            raise invalid(f"{path}: a nut trap goes where the hole comes out; this hole stops {depth:g} mm in",
                          hint="leave the depth out (a hole through), or leave the nut trap out")
        nut = standards.hex_nut(screw)
        trap = M.extrude(_hexagon(nut.s + 2 * c), nut.m + c + MARGIN_MM)
        tool = tool + trap.translate((0.0, 0.0, -frame.depth - MARGIN_MM))
        ctx.applied(f"{path}: nut trap for an ISO 4032 {screw} nut, {nut.s + 2 * c:g} mm across flats x {nut.m + c:g} mm deep")
    return Tool(tool, True)


def _hexagon(across_flats: float) -> manifold3d.CrossSection:
    from .sketches import BUILDERS

    return BUILDERS["regular_polygon"]({"sides": 6, "across_flats": across_flats}, "")


def _countersink(top: float, bottom: float, margin: float) -> manifold3d.Manifold:
    """A 90 degree cone from ``top`` mm across at the face down to ``bottom`` mm, reaching
    ``margin`` above the face so the face's edge is cut cleanly."""
    from .curves import circle_segments

    depth = (top - bottom) / 2
    cone = M.cylinder(depth + margin, bottom / 2, top / 2 + margin, circle_segments(top / 2 + margin))
    return cone.translate((0.0, 0.0, -depth))


def _tapped(size: str, depth, frame: Frame, c: float, ctx, path: str) -> manifold3d.Manifold:
    from .threads import internal_thread_cutter

    thread = standards.parse_metric(size)
    through = depth is None
    length = frame.depth if through else depth
    # A blind hole's bottom is not chamfered: the thread just stops.
    cutter = internal_thread_cutter(thread.major_diameter, thread.pitch, length, c, chamfer_bottom=through)
    ctx.applied(f"{path}: {thread.designation} internal thread enlarged by {c:g} mm per side for the fit")
    # The cutter ends exactly on the faces: manifold3d cuts faces in one plane cleanly.
    return cutter.translate((0.0, 0.0, -length))
