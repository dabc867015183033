"""Faces of a solid and positions on them: the frame a feature is built in.

A face is a side of the solid's bounding box. Its frame has u to the right and v up as you look
at the face from outside, and w along the outward normal, with w = 0 on the face; the origin is
the middle of the face's outline (the centroid of the solid's section just inside the face). A
feature is built in (u, v, w) around the origin and moved back with ``to_world``.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d
import numpy as np

from ..model.params import invalid

SKIN_MM = 1e-3  # how far inside a face its outline is read

# (u, v, w) of each face in world axes.
AXES = {
    "top": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "bottom": ((1, 0, 0), (0, -1, 0), (0, 0, -1)),
    "front": ((1, 0, 0), (0, 0, 1), (0, -1, 0)),
    "back": ((-1, 0, 0), (0, 0, 1), (0, 1, 0)),
    "left": ((0, -1, 0), (0, 0, 1), (-1, 0, 0)),
    "right": ((0, 1, 0), (0, 0, 1), (1, 0, 0)),
}
SIDE_DIRECTIONS = {"left": (-1, 0, 0), "right": (1, 0, 0), "front": (0, -1, 0), "back": (0, 1, 0), "bottom": (0, 0, -1), "top": (0, 0, 1)}


@dataclass(frozen=True)
class Frame:
    face: str
    rotation: np.ndarray  # rows u, v, w in world axes
    origin: np.ndarray  # world point of (0, 0, 0)
    bounds: tuple[float, float, float, float]  # (u0, v0, u1, v1): the face of the bounding box
    depth: float  # how far the solid reaches behind the face (w from -depth to 0)
    outline: manifold3d.CrossSection  # the solid's section just inside the face, in (u, v)

    @property
    def size(self) -> tuple[float, float]:
        u0, v0, u1, v1 = self.bounds
        return u1 - u0, v1 - v0

    def to_local(self, solid: manifold3d.Manifold) -> manifold3d.Manifold:
        return solid.transform(_matrix(self.rotation, -self.rotation @ self.origin))

    def to_world(self, solid: manifold3d.Manifold) -> manifold3d.Manifold:
        return solid.transform(_matrix(self.rotation.T, self.origin))

    def side_axis(self, side: str, where: str) -> tuple[int, int]:
        """(axis 0 for u or 1 for v, +1 or -1) of a side of the part seen on this face."""
        direction = np.asarray(SIDE_DIRECTIONS[side], dtype=float)
        for axis in (0, 1):
            dot = float(self.rotation[axis] @ direction)
            if abs(dot) > 0.5:
                return axis, int(np.sign(dot))
        raise invalid(f"{where}: {side} is not a side of the {self.face} face (it is {'the face itself' if side == self.face else 'behind it'})")

    def describe(self) -> str:
        w, h = self.size
        return f"the {w:.4g} x {h:.4g} mm {self.face} face"


def _matrix(rotation: np.ndarray, offset: np.ndarray) -> list:
    return np.column_stack([rotation, offset]).tolist()


def frame_of(solid: manifold3d.Manifold, face: str) -> Frame:
    rotation = np.asarray(AXES[face], dtype=float)
    lo, hi = np.asarray(solid.bounding_box()).reshape(2, 3)
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    local = corners @ rotation.T
    (u0, v0, w0), (u1, v1, w1) = local.min(axis=0), local.max(axis=0)
    # Provisional origin: the middle of the bounding box's face; then moved to the outline's centroid.
    provisional = rotation.T @ np.array([(u0 + u1) / 2, (v0 + v1) / 2, w1])
    rough = Frame(face, rotation, provisional, (u0 - (u0 + u1) / 2, v0 - (v0 + v1) / 2, u1 - (u0 + u1) / 2, v1 - (v0 + v1) / 2),
                  w1 - w0, manifold3d.CrossSection())
    outline = rough.to_local(solid).slice(-SKIN_MM)
    cu, cv = centroid(outline)
    origin = provisional + rotation.T @ np.array([cu, cv, 0.0])
    bu0, bv0, bu1, bv1 = rough.bounds
    return Frame(face, rotation, origin, (bu0 - cu, bv0 - cv, bu1 - cu, bv1 - cv), w1 - w0, outline.translate((-cu, -cv)))


def centroid(section: manifold3d.CrossSection) -> tuple[float, float]:
    """Area centroid of a cross-section (0, 0 if it has no area)."""
    total, cx, cy = 0.0, 0.0, 0.0
    for ring in section.to_polygons():
        x, y = np.asarray(ring, dtype=float).T
        xn, yn = np.roll(x, -1), np.roll(y, -1)
        cross = x * yn - xn * y
        total += cross.sum() / 2
        cx += ((x + xn) * cross).sum() / 6
        cy += ((y + yn) * cross).sum() / 6
    if abs(total) < 1e-12:
        return 0.0, 0.0
    return cx / total, cy / total


# -- tools: what a feature adds or cuts, built in its face's frame ----------------------------

MARGIN_MM = 1.0  # cut tools reach this far outside the face, so no face is left a rounding error thin


@dataclass(frozen=True)
class Tool:
    solid: manifold3d.Manifold  # in the face's frame, centred on (0, 0)
    removes: bool


def cut_through(frame: Frame) -> float:
    """The length of a tool that cuts through the whole part from this face."""
    return frame.depth + 2 * MARGIN_MM


def prism_cut(section: manifold3d.CrossSection, depth, frame: Frame) -> manifold3d.Manifold:
    """``section`` cut ``depth`` mm into the face (None: through), reaching MARGIN_MM outside it."""
    reach = cut_through(frame) if depth is None else depth + MARGIN_MM
    return manifold3d.Manifold.extrude(section, reach).translate((0.0, 0.0, MARGIN_MM - reach))
