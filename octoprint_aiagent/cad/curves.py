"""How finely curves are cut into straight pieces, for every builder: a chord may sit at most
``SAGITTA_MM`` inside the true curve, and a full circle has a multiple of 4 segments, so that
vertices sit on the axes and bounding boxes come out exact. The floor keeps small circles within
0.2 % (cylinders) or 0.6 % (spheres) of the exact volume."""

from __future__ import annotations

import math

SAGITTA_MM = 0.05
MIN_SEGMENTS = 64
MAX_SEGMENTS = 256


def circle_segments(radius: float) -> int:
    """Segments for a full circle of ``radius``."""
    ratio = min(SAGITTA_MM / max(radius, 1e-9), 1.0)
    n = math.ceil(math.pi / math.acos(1.0 - ratio))
    n = 4 * math.ceil(n / 4)
    return max(MIN_SEGMENTS, min(MAX_SEGMENTS, n))
