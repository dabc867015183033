"""Tool paths of one layer: perimeters, top/bottom skin, sparse infill, and the skirt."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .infill import join_strokes, order_segments, scanline_segments
from .layers import LayerSpec

SKIRT_DISTANCE = 3.0  # mm between the skirt and the part
INFILL_OVERLAP = 0.15  # of a line spacing: infill reaches into the innermost perimeter to bond with it


@dataclass(frozen=True)
class Path:
    kind: str  # the ";TYPE:" tag Cura writes: WALL-OUTER, WALL-INNER, SKIN, FILL, SKIRT
    points: np.ndarray  # (n, 2) bed coordinates in mm
    closed: bool  # a loop returns to its first point


@dataclass(frozen=True)
class PathGeometry:
    line_width: float  # width of the extruded bead
    perimeters: int
    infill_density: float  # 0..1


def bead_spacing(width: float, height: float) -> float:
    """Distance between neighbouring line centres, which is also the bead's cross-section area / height.

    A bead is a rectangle with round sides (PrusaSlicer's flow model): area = (w - h) h + pi h^2 / 4.
    Side by side the round sides overlap, so the lines sit this much closer than ``width``. Extruding
    width * height per mm instead would over-fill walls by 10-15 % at usual layer heights.
    """
    return width - height * (1.0 - math.pi / 4.0)


def _to_shapely(section):
    """A CrossSection as a shapely (Multi)Polygon: one polygon per island, holes by orientation."""
    import shapely

    polygons = []
    for island in section.decompose():
        rings = island.to_polygons()
        areas = [_signed_area(r) for r in rings]
        outer = int(np.argmax(areas))
        holes = [r for i, r in enumerate(rings) if i != outer]
        polygons.append(shapely.Polygon(rings[outer], holes))
    return shapely.MultiPolygon(polygons) if len(polygons) != 1 else polygons[0]


def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _loop_from_nearest(ring: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The loop started at its vertex nearest to the nozzle: the seam costs no travel."""
    start = int(np.argmin(((ring - pos) ** 2).sum(axis=1)))
    return np.roll(ring, -start, axis=0)


def _perimeters(island, geometry: PathGeometry, spacing: float, pos: np.ndarray) -> tuple[list, np.ndarray]:
    """Loops inside the outline (the outer bead's edge on it), printed inner first, the outer one last."""
    import manifold3d

    w = geometry.line_width
    levels = []
    for k in range(geometry.perimeters):
        loop = island.offset(-(w / 2.0 + k * spacing), manifold3d.JoinType.Miter)
        if loop.is_empty():
            break
        levels.append(loop)
    if not levels:  # narrower than one line: trace it just inside its outline rather than drop it
        thin = island.offset(-0.25 * w, manifold3d.JoinType.Miter)
        levels = [] if thin.is_empty() else [thin]
    paths = []
    for k in reversed(range(len(levels))):
        for ring in levels[k].to_polygons():
            points = _loop_from_nearest(ring, pos)
            paths.append(Path("WALL-OUTER" if k == 0 else "WALL-INNER", points, True))
            pos = points[0]
    return paths, pos


def _fill(region, kind: str, angle: float, spacing: float, link_region, min_length: float, pos):
    rings = region.to_polygons()
    segments = order_segments(scanline_segments(rings, angle, spacing, min_length), pos)
    strokes = join_strokes(segments, link_region, max_link=3.0 * spacing)
    if strokes:
        pos = strokes[-1][-1]
    return [Path(kind, s, False) for s in strokes], pos


def layer_paths(spec: LayerSpec, outline, covered, geometry: PathGeometry, pos) -> list:
    """All paths of one layer, island by island, each island's walls before its infill."""
    w, p = geometry.line_width, geometry.perimeters
    s = bead_spacing(w, spec.height)
    pos = np.asarray(pos, float)
    angle = 45.0 if spec.index % 2 == 0 else -45.0
    islands = outline.decompose()
    paths: list = []
    while islands:
        centres = np.array([np.reshape(i.bounds(), (2, 2)).mean(axis=0) for i in islands])
        island = islands.pop(int(np.argmin(((centres - pos) ** 2).sum(axis=1))))
        walls, pos = _perimeters(island, geometry, s, pos)
        paths += walls
        # Line centres stop short of the innermost wall by what lets the bead ends overlap it a little.
        infill_area = island.offset(-(w / 2.0 + (p - INFILL_OVERLAP) * s)) if p else island.offset(-w / 2.0)
        if infill_area.is_empty():
            continue
        link_region = _to_shapely(island.offset(-(w / 2.0 + (p - 1) * s)) if p else island)
        solid = infill_area - covered
        if not solid.is_empty():
            skin, pos = _fill(solid, "SKIN", angle, s, link_region, w, pos)
            paths += skin
        sparse = infill_area ^ covered
        if geometry.infill_density > 0 and not sparse.is_empty():
            fill, pos = _fill(sparse, "FILL", angle, s / geometry.infill_density, link_region, w, pos)
            paths += fill
    return paths


def skirt_path(first_outline, line_width: float) -> Path:
    """One loop around the convex hull of the first layer, to prime the nozzle."""
    import manifold3d

    ring = first_outline.hull().offset(SKIRT_DISTANCE + line_width / 2.0, manifold3d.JoinType.Round)
    return Path("SKIRT", max(ring.to_polygons(), key=len), True)
