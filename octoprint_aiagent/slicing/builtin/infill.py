"""Rectilinear fill: parallel lines clipped to a region, ordered into few continuous strokes."""

from __future__ import annotations

import numpy as np


def _rotation(angle_deg: float) -> np.ndarray:
    a = np.radians(angle_deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, s], [-s, c]])  # world -> frame in which the lines run along x


def scanline_segments(rings: list, angle_deg: float, spacing: float, min_length: float) -> np.ndarray:
    """Segments (n, 2, 2) of lines at ``angle_deg``, ``spacing`` apart, inside the closed ``rings``.

    Lines sit on a grid fixed to the bed origin, so sparse infill stacks from layer to layer. Each
    ring edge crosses the lines with y in [min, max) of its ends; sorted along each line, the
    crossings pair up into inside stretches (even-odd rule, exact for Clipper's clean contours).
    """
    if not rings:
        return np.empty((0, 2, 2))
    rot = _rotation(angle_deg)
    starts = np.concatenate([np.asarray(r, float) @ rot.T for r in rings])
    ends = np.concatenate([np.roll(np.asarray(r, float) @ rot.T, -1, axis=0) for r in rings])
    y0, y1 = starts[:, 1], ends[:, 1]
    first = np.ceil(np.minimum(y0, y1) / spacing).astype(np.int64)
    count = np.maximum(np.ceil(np.maximum(y0, y1) / spacing).astype(np.int64) - first, 0)
    edge = np.repeat(np.arange(len(starts)), count)
    step = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    line = np.repeat(first, count) + step
    y = line * spacing
    t = (y - y0[edge]) / (y1[edge] - y0[edge])
    x = starts[edge, 0] + t * (ends[edge, 0] - starts[edge, 0])
    order = np.lexsort((x, line))
    x, y = x[order], y[order]
    if len(x) % 2:  # only a broken contour gets here; drop it rather than print across a hole
        return np.empty((0, 2, 2))
    keep = (x[1::2] - x[0::2]) >= min_length
    a = np.stack([x[0::2], y[0::2]], axis=1)[keep]
    b = np.stack([x[1::2], y[1::2]], axis=1)[keep]
    return np.stack([a @ rot, b @ rot], axis=1)


def order_segments(segments: np.ndarray, start) -> np.ndarray:
    """The segments in nearest-neighbour order from ``start``, each flipped to begin at its near end."""
    n = len(segments)
    if n == 0:
        return segments
    ends = segments.reshape(2 * n, 2)  # rows 2i and 2i+1 are the two ends of segment i
    free = np.ones(2 * n, bool)
    pos = np.asarray(start, float)
    ordered = np.empty_like(segments)
    for k in range(n):
        d = ((ends - pos) ** 2).sum(axis=1)
        d[~free] = np.inf
        j = int(np.argmin(d))
        i, near_end = divmod(j, 2)
        ordered[k] = segments[i, ::-1] if near_end else segments[i]
        free[2 * i : 2 * i + 2] = False
        pos = ordered[k, 1]
    return ordered


def join_strokes(ordered: np.ndarray, region, max_link: float) -> list:
    """Polylines made of ordered segments, linked where the short link between them stays in ``region``.

    Linking (as PrusaSlicer's infill anchors do) saves a travel and a retraction per line; a link
    that would cross a hole or leave the part (``region``, a shapely geometry) becomes a travel.
    """
    import shapely

    if len(ordered) == 0:
        return []
    links = np.stack([ordered[:-1, 1], ordered[1:, 0]], axis=1)
    lengths = np.linalg.norm(links[:, 1] - links[:, 0], axis=1)
    linked = lengths <= max_link
    if linked.any():
        shapely.prepare(region)
        linked[linked] = shapely.covered_by(shapely.linestrings(links[linked]), region)
    strokes, current = [], [ordered[0, 0], ordered[0, 1]]
    for k in range(1, len(ordered)):
        if not linked[k - 1]:
            strokes.append(np.array(current))
            current = []
        current += [ordered[k, 0], ordered[k, 1]]
    strokes.append(np.array(current))
    return strokes
