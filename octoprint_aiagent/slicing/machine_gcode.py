"""What every slicing backend agrees on besides the profiles: line width, feature speeds, and the
start and end sequences, so that PrusaSlicer and CuraEngine print the same part the same way.

The sequences carry their temperatures as numbers (no slicer placeholders): CuraEngine's command
line does not substitute placeholders, and one text for both backends keeps them comparable.
"""

from __future__ import annotations

from dataclasses import dataclass

from .profiles import SliceSettings

SKIRT_DISTANCE_MM = 3.0
END_LIFT_MM = 10.0


def line_width(settings: SliceSettings) -> float:
    """Extrusion width: 1.125 x nozzle, the usual compromise between adhesion and detail."""
    return round(settings.printer.nozzle * 1.125, 3)


@dataclass(frozen=True)
class Speeds:
    """mm/s for each feature, derived from the material's print speed."""

    perimeter: float
    external_perimeter: float
    infill: float
    solid_infill: float
    top_solid: float
    first_layer: float
    travel: float


def feature_speeds(settings: SliceSettings) -> Speeds:
    base = settings.material.print_speed
    return Speeds(
        perimeter=base,
        external_perimeter=round(base * 0.7, 1),  # slower outside: that is the surface people see
        infill=round(base * 1.2, 1),
        solid_infill=base,
        top_solid=round(base * 0.7, 1),
        first_layer=min(20.0, base),
        travel=150.0,
    )


def bed_is_heated(settings: SliceSettings) -> bool:
    return settings.printer.heated_bed and settings.material.bed_temp > 0


def start_gcode(settings: SliceSettings) -> str:
    """Heat while homing, then wait for both temperatures before anything extrudes."""
    nozzle, bed = settings.material.nozzle_temp, settings.material.bed_temp
    lines = ["G90 ; absolute positions", "M82 ; absolute extrusion", "M107 ; fan off"]
    if bed_is_heated(settings):
        lines.append(f"M140 S{bed} ; bed heating")
    lines += [f"M104 S{nozzle} ; nozzle heating", "G28 ; home all axes"]
    if bed_is_heated(settings):
        lines.append(f"M190 S{bed} ; wait for the bed")
    lines += [f"M109 S{nozzle} ; wait for the nozzle", "G92 E0"]
    return "\n".join(lines)


def end_gcode(settings: SliceSettings, model_height: float) -> str:
    """Heaters and fan off, nozzle lifted clear of the part (never above the build height), motors off."""
    lines = ["M104 S0 ; nozzle heater off"]
    if bed_is_heated(settings):
        lines.append("M140 S0 ; bed heater off")
    lines.append("M107 ; fan off")
    lift = round(min(END_LIFT_MM, settings.printer.height - model_height - 1.0), 2)
    if lift > 0:
        lines += ["G91", f"G1 Z{lift} F600 ; lift the nozzle off the part", "G90"]
    lines.append("M84 ; motors off")
    return "\n".join(lines)
