"""What a slicer needs besides the mesh: the printer, the material, the quality, the infill.

Settings cross into slicer subprocesses as JSON (``to_dict``/``from_dict``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from ..model.materials import Material, Quality
from ..model.printer import PrinterProfile


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
    def from_dict(cls, data: Mapping) -> SliceSettings:
        """Inverse of ``to_dict``: how settings cross into a slicer subprocess."""
        material = {k: v for k, v in data["material"].items() if k != "label"}
        for k in ("nozzle_range", "bed_range"):
            material[k] = tuple(material[k])
        return cls(
            printer=PrinterProfile(**data["printer"]),
            material=Material(**material),
            quality=Quality(**data["quality"]),
            infill_percent=int(data.get("infill_percent", 20)),
            skirt=bool(data.get("skirt", True)),
        )
