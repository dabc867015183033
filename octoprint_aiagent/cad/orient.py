"""Fast auto-orientation: put the largest flat, stable face of the part on the bed.

Candidates are the faces of the convex hull, grouped by normal (the hull has one facet per outward
direction, so triangles sharing a normal are one flat facet). A facet qualifies when the centre of
mass lies over it (the part cannot tip when resting on it) and it is at least ``min_width`` wide
(a 0.3 mm strip of a cylinder's side is not a face to print on). The largest qualifying facet goes
down; the current bottom is kept when it qualifies and is nearly as large, so parts that arrive
upright (every builder's output) are left alone. No qualifying facet: orientation unchanged.

Cost is one Qhull call plus array work: milliseconds, where ``compute_stable_poses`` takes seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import trimesh
from scipy.spatial import ConvexHull, QhullError

from ..model.errors import AgentError

KEEP_CURRENT_RATIO = 0.9  # keep the current bottom if it is at least this share of the best area
MAX_CANDIDATES = 64  # facets examined, largest first
DOWN = np.array([0.0, 0.0, -1.0])


@dataclass(frozen=True)
class Orientation:
    rotation: np.ndarray  # 3x3, applied to the part's vertices
    facet_area: float  # mm^2 of the facet now facing down (0: none qualified)
    description: str

    @property
    def changed(self) -> bool:
        return not np.allclose(self.rotation, np.eye(3))


def _rotation_to_down(normal: np.ndarray) -> np.ndarray:
    return trimesh.geometry.align_vectors(normal, DOWN)[:3, :3]


def caliper_width(points: np.ndarray) -> float:
    """Smallest caliper width of a 2D point set (0 for fewer than 3 points or a line).

    Rotating calipers, vectorised: the narrowest width is measured across a hull edge, and the
    hull vertex farthest from edge i is where the edge directions pass direction(i) + pi.
    """
    if len(points) < 3:
        return 0.0
    try:
        hull = ConvexHull(points)
    except (QhullError, ValueError):
        return 0.0
    ring = points[hull.vertices]  # counter-clockwise
    k = len(ring)
    edges = np.roll(ring, -1, axis=0) - ring
    angles = np.unwrap(np.arctan2(edges[:, 1], edges[:, 0]))
    laps = np.concatenate([angles, angles + 2 * np.pi])
    far = np.searchsorted(laps, angles + np.pi)
    candidates = (far[:, None] + np.arange(-1, 2)[None, :]) % k  # neighbours guard against ties
    lengths = np.linalg.norm(edges, axis=1)
    offsets = ring[candidates] - ring[:, None, :]
    spans = (edges[:, None, 0] * offsets[..., 1] - edges[:, None, 1] * offsets[..., 0]).max(axis=1) / lengths
    return float(spans.min())


def _qualifies(triangles: np.ndarray, normal: np.ndarray, centre: np.ndarray, min_width: float) -> bool:
    points = triangles.reshape(-1, 3)
    area = 0.5 * np.linalg.norm(np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0]), axis=1).sum()
    if 2 * area / np.ptp(points, axis=0).max() < min_width:
        return False  # cheap bound first: a convex facet's width is at most 2 * area / diameter
    rotation = _rotation_to_down(normal)
    flat = (points @ rotation.T)[:, :2]
    if caliper_width(flat) < min_width:
        return False
    return _inside_hull((rotation @ centre)[:2], flat)


def _inside_hull(point: np.ndarray, points: np.ndarray) -> bool:
    """Is the centre of mass over the contact's support polygon (its convex hull)? A ring, such as
    a socket screw's head around its hex socket, holds a part up around a middle with no contact."""
    try:
        hull = ConvexHull(points)
    except (QhullError, ValueError):
        return False
    tol = 1e-9 * max(1.0, float(np.abs(points).max()))
    return bool(np.all(hull.equations[:, :2] @ point + hull.equations[:, 2] <= tol))


def _flat_faces(mesh: trimesh.Trimesh, normals: np.ndarray, offsets: np.ndarray, tol: float = 1e-3) -> list:
    """For each plane (normal, offset), the indices of the mesh's triangles lying in it, facing out."""
    facing = mesh.face_normals @ normals.T > 1 - 1e-6  # (faces, planes)
    out = []
    for g in range(len(normals)):
        candidates = np.flatnonzero(facing[:, g])
        if len(candidates):
            distance = np.abs(mesh.triangles[candidates].reshape(-1, 3) @ normals[g] - offsets[g]).reshape(-1, 3).max(axis=1)
            candidates = candidates[distance <= tol]
        out.append(candidates)
    return out


def choose_orientation(mesh: trimesh.Trimesh, min_width: float) -> Orientation:
    """Pick the rotation that puts the best flat, stable facet down."""
    try:
        # Joggled input ("QJ") spares Qhull from merging thousands of coplanar points (extruded
        # profiles): 5 ms instead of 50 for a 200-tooth gear. Coplanar triangles keep equal
        # normals to far better than the rounding below.
        hull = ConvexHull(mesh.vertices, qhull_options="QJ")
    except (QhullError, ValueError):
        raise AgentError("checking", "the part is flat or degenerate: it encloses no volume") from None
    normals = hull.equations[:, :3]
    group = np.unique(np.round(normals, 4), axis=0, return_inverse=True)[1].ravel()
    triangles = mesh.vertices[hull.simplices]
    hull_area = np.bincount(group, weights=0.5 * np.linalg.norm(
        np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0]), axis=1))
    group_normal = np.zeros((len(hull_area), 3))
    np.add.at(group_normal, group, normals)
    group_normal /= np.linalg.norm(group_normal, axis=1, keepdims=True)
    first = np.zeros(len(hull_area), dtype=int)
    first[group[::-1]] = np.arange(len(group))[::-1]  # one hull triangle of each group
    offset = np.einsum("ij,ij->i", mesh.vertices[hull.simplices[first, 0]], group_normal)
    # A hull facet is a face to stand on only where the part itself is flat there: its area is
    # that of the part's own triangles in the facet's plane (an L bracket's hull has a large
    # diagonal facet that touches the part along two edges only).
    candidates = [int(g) for g in np.argsort(-hull_area)[:MAX_CANDIDATES]]
    flat = dict(zip(candidates, _flat_faces(mesh, group_normal[candidates], offset[candidates])))
    contact = {g: float(mesh.area_faces[f].sum()) for g, f in flat.items()}
    centre = mesh.center_mass if mesh.is_watertight else mesh.centroid

    def qualifying(g: int) -> Optional[np.ndarray]:
        if not contact.get(g):
            return None
        normal = group_normal[g]
        return normal if _qualifies(mesh.triangles[flat[g]], normal, centre, min_width) else None

    best: Optional[tuple[int, np.ndarray]] = None
    for g in sorted(candidates, key=lambda g: -contact[g]):
        normal = qualifying(g)
        if normal is not None:
            best = (g, normal)
            break
    if best is None:
        return Orientation(np.eye(3), 0.0, "kept as designed: no flat face to stand on")

    bottom = [g for g in candidates if group_normal[g] @ DOWN > 1 - 1e-6]
    if bottom and best[0] != bottom[0]:
        g = bottom[0]
        if contact[g] >= KEEP_CURRENT_RATIO * contact[best[0]] and qualifying(g) is not None:
            best = (g, DOWN)
    area = contact[best[0]]
    if best[1] @ DOWN > 1 - 1e-6:
        return Orientation(np.eye(3), area, f"kept as designed: standing on its {area:.0f} mm2 base")
    rotation = _rotation_to_down(best[1])
    rotation = _yaw_to_bounding_rectangle(mesh.vertices[hull.vertices] @ rotation.T) @ rotation
    return Orientation(rotation, area, f"rotated to stand on its largest flat face ({area:.0f} mm2)")


def _yaw_to_bounding_rectangle(points: np.ndarray) -> np.ndarray:
    """Turn about Z so the smallest bounding rectangle of the footprint is axis-aligned, long
    side along X: after a tilt, this keeps the footprint (and the copies' grid) compact."""
    transform, _extents = trimesh.bounds.oriented_bounds_2D(points[:, :2])
    c, s = transform[0, :2]  # the rectangle's long axis, which goes to +X
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
