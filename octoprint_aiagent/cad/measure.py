"""Measuring a built part the way a maker with calipers would: its size, volume and pieces, and
the holes that run through it, found in sections across each axis. The tests hold every feature
to these numbers, and the LLM's design loop tells the model what it measured."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import manifold3d
import numpy as np

# Turns that bring an axis to +Z, so that a section across it is a slice at a height.
_TO_Z = {"x": (0.0, -90.0, 0.0), "y": (90.0, 0.0, 0.0), "z": (0.0, 0.0, 0.0)}


@dataclass(frozen=True)
class Hole:
    axis: str  # "x", "y" or "z": the direction it runs
    diameter: float  # of the circle with the hole's area in the section
    centre: tuple[float, float]  # in the section's plane


@dataclass(frozen=True)
class Measurement:
    extents: tuple[float, float, float]
    volume: float
    bodies: int
    holes: tuple[Hole, ...]

    def to_dict(self) -> dict:
        return asdict(self)

    def hole_diameters(self, axis: str) -> list[float]:
        return sorted(h.diameter for h in self.holes if h.axis == axis)


def sections(solid: manifold3d.Manifold, axis: str, at: float = 0.5) -> manifold3d.CrossSection:
    """The section across ``axis`` at fraction ``at`` of the part's extent along it."""
    turned = solid.rotate(_TO_Z[axis])
    lo, hi = turned.bounding_box()[2], turned.bounding_box()[5]
    return turned.slice(lo + at * (hi - lo))


def holes_across(solid: manifold3d.Manifold, axis: str, at: float = 0.5) -> list[Hole]:
    """The holes in the section across ``axis``: its inner outlines (clockwise rings)."""
    found = []
    for ring in sections(solid, axis, at).to_polygons():
        pts = np.asarray(ring, dtype=float)
        x, y = pts[:, 0], pts[:, 1]
        area = 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))
        if area < 0:
            found.append(Hole(axis, 2 * math.sqrt(-area / math.pi), (float(x.mean()), float(y.mean()))))
    return found


LEVELS = (0.3, 0.5, 0.7)  # a hole across the part at its middle would hide the ones along it there


def measure(solid: manifold3d.Manifold) -> Measurement:
    lo, hi = np.asarray(solid.bounding_box()).reshape(2, 3)
    holes = tuple(h for axis in ("x", "y", "z") for h in max((holes_across(solid, axis, at) for at in LEVELS), key=len))
    return Measurement(tuple(float(v) for v in hi - lo), float(solid.volume()), len(solid.decompose()), holes)
