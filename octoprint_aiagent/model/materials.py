"""Material and quality presets: the numbers every slicer backend and the G-code check agree on.

``MATERIALS`` is the one list of materials the plugin knows (the request reader, the spec, the
slicers and the tab all read it). A user may override a preset's numbers in the settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Optional

from .errors import AgentError

DEFAULT_MATERIAL = "PLA"


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

    @property
    def label(self) -> str:
        """How people write it: "PETG", "Nylon"."""
        return self.name if len(self.name) <= 4 else self.name.title()

    def to_dict(self) -> dict:
        return dict(asdict(self), label=self.label)


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
