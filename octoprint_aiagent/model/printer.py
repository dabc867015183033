"""The printer: build volume, bed shape and origin, nozzle. It owns the one answer to "does
this fit?", which the printability report, every slicer backend and the G-code check ask.

On the host the profile comes from OctoPrint's active printer profile (``from_octoprint``); on the
command line from flags (``parse_bed``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from .errors import AgentError

FIT_EPS_MM = 1e-6  # a part exactly as large as the bed fits


@dataclass(frozen=True)
class PrinterProfile:
    bed_x: float = 220.0
    bed_y: float = 220.0
    height: float = 250.0
    bed_shape: str = "rectangular"  # or "circular" (bed_x is then the diameter)
    origin: str = "lowerleft"  # or "center": where G-code X0 Y0 is on the bed
    nozzle: float = 0.4
    filament_diameter: float = 1.75
    heated_bed: bool = True
    name: str = "default"

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def circular(self) -> bool:
        return self.bed_shape == "circular"

    @property
    def center(self) -> tuple[float, float]:
        """Bed centre in G-code coordinates."""
        if self.origin == "center":
            return (0.0, 0.0)
        return (self.bed_x / 2.0, self.bed_y / 2.0)

    def bed_window(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) of the bed in G-code coordinates (a round bed's square)."""
        cx, cy = self.center
        return cx - self.bed_x / 2.0, cy - self.bed_y / 2.0, cx + self.bed_x / 2.0, cy + self.bed_y / 2.0

    def on_bed(self, x: float, y: float, tolerance: float = 0.0) -> bool:
        """Is the G-code point (x, y) on the bed, give or take ``tolerance`` mm?"""
        cx, cy = self.center
        if self.circular:
            return math.hypot(x - cx, y - cy) <= self.bed_x / 2.0 + tolerance
        x0, y0, x1, y1 = self.bed_window()
        return x0 - tolerance <= x <= x1 + tolerance and y0 - tolerance <= y <= y1 + tolerance

    def fit_scale(self, width: float, depth: float, height: float, radius: float = 0.0) -> float:
        """The largest uniform scale at which a part this size, centred on the bed, fits (>= 1: it
        fits as it is). ``radius`` is the farthest its outline reaches from its centre, for round
        beds (0: its bounding rectangle's corners). A rectangular bed may take it turned a quarter."""
        z = self.height / max(height, FIT_EPS_MM)
        if self.circular:
            reach = radius or math.hypot(width, depth) / 2.0
            return min(self.bed_x / 2.0 / max(reach, FIT_EPS_MM), z)
        width, depth = max(width, FIT_EPS_MM), max(depth, FIT_EPS_MM)
        straight = min(self.bed_x / width, self.bed_y / depth)
        turned = min(self.bed_x / depth, self.bed_y / width)
        return min(max(straight, turned), z)

    def fits(self, width: float, depth: float, height: float, radius: float = 0.0, turn: bool = True) -> bool:
        """Does the part fit (``turn=False``: exactly as it lies, no quarter turn)?"""
        if turn or self.circular:
            return self.fit_scale(width, depth, height, radius) >= 1.0 - FIT_EPS_MM
        return width <= self.bed_x + FIT_EPS_MM and depth <= self.bed_y + FIT_EPS_MM and height <= self.height + FIT_EPS_MM

    def describe(self) -> str:
        """ "the 220 x 220 mm bed, 250 mm build height", for messages."""
        bed = f"the {self.bed_x:g} mm round bed" if self.circular else f"the {self.bed_x:g} x {self.bed_y:g} mm bed"
        return f"{bed}, {self.height:g} mm build height"

    @classmethod
    def from_octoprint(cls, profile: Mapping) -> PrinterProfile:
        """From an OctoPrint printer profile dict (``printerProfileManager.get_current_or_default()``)."""
        volume = profile.get("volume") or {}
        extruder = profile.get("extruder") or {}
        return cls(
            bed_x=float(volume.get("width", 200.0)),
            bed_y=float(volume.get("depth", 200.0)),
            height=float(volume.get("height", 200.0)),
            bed_shape="circular" if volume.get("formFactor") == "circular" else "rectangular",
            origin="center" if volume.get("origin") == "center" else "lowerleft",
            nozzle=float(extruder.get("nozzleDiameter", 0.4)),
            heated_bed=bool(profile.get("heatedBed", True)),
            name=str(profile.get("name") or profile.get("id") or "OctoPrint profile"),
        )


def parse_bed(text: str, nozzle: float = 0.4) -> PrinterProfile:
    """``"220x220x250"`` -> PrinterProfile. Raises AgentError on anything else."""
    try:
        x, y, z = (float(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise AgentError("checking", f"bed size {text!r} is not WIDTHxDEPTHxHEIGHT in mm, e.g. 220x220x250") from None
    if not all(0 < v <= 2000 for v in (x, y, z)) or not 0.1 <= nozzle <= 2.0:
        raise AgentError("checking", f"bed {text} mm with a {nozzle} mm nozzle is not a printer")
    return PrinterProfile(bed_x=x, bed_y=y, height=z, nozzle=nozzle, name=f"{text} bed")
