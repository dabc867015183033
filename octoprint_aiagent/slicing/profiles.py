"""Printer, material and quality profiles: the numbers every checker and slicer agrees on.

On the host the printer comes from OctoPrint's active printer profile (``from_octoprint``); on the
command line from flags (``parse_bed``). Materials and qualities are presets a user may override.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Mapping, Optional

from ..agent.errors import AgentError


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
    def center(self) -> tuple[float, float]:
        """Bed centre in G-code coordinates."""
        if self.origin == "center":
            return (0.0, 0.0)
        return (self.bed_x / 2.0, self.bed_y / 2.0)

    @classmethod
    def from_octoprint(cls, profile: Mapping) -> "PrinterProfile":
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


@dataclass(frozen=True)
class Material:
    name: str
    nozzle_temp: int  # first and other layers, degrees C
    bed_temp: int
    nozzle_range: tuple[int, int]  # what the G-code check accepts
    bed_range: tuple[int, int]
    density: float  # g/cm3, for the filament weight
    fan: int  # percent, after the first layers
    print_speed: float  # mm/s for perimeters and infill
    retract_length: float  # mm
    retract_speed: float  # mm/s

    def to_dict(self) -> dict:
        return asdict(self)


MATERIALS: dict[str, Material] = {
    m.name: m
    for m in (
        Material("PLA", 210, 60, (180, 230), (0, 70), 1.24, 100, 50.0, 0.8, 35.0),
        Material("PETG", 240, 80, (220, 260), (0, 95), 1.27, 50, 40.0, 1.0, 30.0),
        Material("ABS", 250, 100, (230, 270), (0, 115), 1.04, 0, 45.0, 0.8, 35.0),
        Material("ASA", 255, 100, (235, 275), (0, 115), 1.07, 20, 45.0, 0.8, 35.0),
        Material("TPU", 225, 50, (200, 245), (0, 70), 1.21, 50, 20.0, 0.0, 20.0),
        Material("NYLON", 255, 80, (235, 280), (0, 100), 1.14, 0, 40.0, 1.0, 30.0),
    )
}


@dataclass(frozen=True)
class Quality:
    name: str
    layer_height: float
    first_layer_height: float
    perimeters: int
    top_layers: int
    bottom_layers: int


QUALITIES: dict[str, Quality] = {
    q.name: q
    for q in (
        Quality("draft", 0.28, 0.3, 2, 3, 3),
        Quality("normal", 0.2, 0.2, 2, 4, 4),
        Quality("fine", 0.12, 0.2, 3, 6, 5),
    )
}


@dataclass(frozen=True)
class SliceSettings:
    """Everything a slicer needs besides the mesh."""

    printer: PrinterProfile
    material: Material
    quality: Quality
    infill_percent: int = 20
    skirt: bool = True

    def to_dict(self) -> dict:
        return {
            "printer": self.printer.to_dict(),
            "material": self.material.to_dict(),
            "quality": asdict(self.quality),
            "infill_percent": self.infill_percent,
            "skirt": self.skirt,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> "SliceSettings":
        """Inverse of ``to_dict``: how settings cross into a slicer subprocess."""
        material = dict(data["material"])
        for k in ("nozzle_range", "bed_range"):
            material[k] = tuple(material[k])
        return cls(
            printer=PrinterProfile(**data["printer"]),
            material=Material(**material),
            quality=Quality(**data["quality"]),
            infill_percent=int(data.get("infill_percent", 20)),
            skirt=bool(data.get("skirt", True)),
        )


def material_preset(name: str, overrides: Optional[Mapping[str, Mapping]] = None) -> Material:
    """The preset for ``name`` with the user's overrides from settings applied."""
    key = (name or "").upper()
    if key not in MATERIALS:
        raise AgentError("slicing", f"unknown material {name!r}", hint=f"choose one of {', '.join(MATERIALS)}")
    material = MATERIALS[key]
    changes = dict((overrides or {}).get(key) or {})
    known = {f for f in asdict(material) if f != "name"}
    changes = {k: v for k, v in changes.items() if k in known and v is not None}
    for k in ("nozzle_range", "bed_range"):
        if k in changes:
            changes[k] = tuple(changes[k])
    return replace(material, **changes)


def quality_preset(name: str) -> Quality:
    if name not in QUALITIES:
        raise AgentError("slicing", f"unknown quality {name!r}", hint=f"choose one of {', '.join(QUALITIES)}")
    return QUALITIES[name]
