"""PrusaSlicer backend: an ini written from SliceSettings, then the headless command line.

    prusa-slicer --export-gcode --load cfg.ini --center X,Y in.stl -o out.gcode

PrusaSlicer lays the part on the bed by itself; ``--center`` puts it on the bed centre in G-code
coordinates. Its progress lines on stdout look like ``70 => Infilling layers``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Optional

from ..model.printer import PrinterProfile
from .machine_gcode import SKIRT_DISTANCE_MM, bed_is_heated, end_gcode, feature_speeds, line_width, start_gcode
from .profiles import SliceSettings

_PROGRESS = re.compile(r"^\s*(\d{1,3}) => (.*)$")
_OUTPUT_PATH = re.compile(r" to \S+$")
_CIRCLE_POINTS = 72


def bed_polygon(printer: PrinterProfile) -> list[tuple[float, float]]:
    """The bed outline in G-code coordinates, as PrusaSlicer's ``bed_shape`` wants it."""
    cx, cy = printer.center
    if printer.bed_shape == "circular":
        r = printer.bed_x / 2.0
        return [
            (cx + r * math.cos(2 * math.pi * i / _CIRCLE_POINTS), cy + r * math.sin(2 * math.pi * i / _CIRCLE_POINTS))
            for i in range(_CIRCLE_POINTS)
        ]
    hx, hy = printer.bed_x / 2.0, printer.bed_y / 2.0
    return [(cx - hx, cy - hy), (cx + hx, cy - hy), (cx + hx, cy + hy), (cx - hx, cy + hy)]


def config_values(settings: SliceSettings, model_height: float) -> dict[str, str]:
    """Every option we set; anything else keeps PrusaSlicer's default."""
    printer, material, quality = settings.printer, settings.material, settings.quality
    speeds = feature_speeds(settings)
    width = line_width(settings)
    bed_temp = material.bed_temp if bed_is_heated(settings) else 0
    fan = material.fan
    values = {
        "bed_shape": ",".join(f"{x:.3f}x{y:.3f}" for x, y in bed_polygon(printer)),
        "max_print_height": printer.height,
        "nozzle_diameter": printer.nozzle,
        "filament_diameter": printer.filament_diameter,
        "filament_density": material.density,
        "gcode_flavor": "marlin2",
        "machine_limits_usage": "time_estimate_only",
        "use_relative_e_distances": 0,
        "gcode_label_objects": 0,
        "layer_height": quality.layer_height,
        "first_layer_height": quality.first_layer_height,
        "perimeters": quality.perimeters,
        "top_solid_layers": quality.top_layers,
        "bottom_solid_layers": quality.bottom_layers,
        "fill_density": f"{settings.infill_percent}%",
        "fill_pattern": "rectilinear",
        "skirts": 1 if settings.skirt else 0,
        "skirt_distance": SKIRT_DISTANCE_MM,
        "skirt_height": 1,
        "brim_width": 0,
        "support_material": 0,
        "temperature": material.nozzle_temp,
        "first_layer_temperature": material.nozzle_temp,
        "bed_temperature": bed_temp,
        "first_layer_bed_temperature": bed_temp,
        "retract_length": material.retract_length,
        "retract_speed": material.retract_speed,
        "retract_lift": 0,
        "cooling": 1 if fan > 0 else 0,
        "fan_always_on": 1 if fan > 0 else 0,
        "min_fan_speed": fan,
        "max_fan_speed": fan,
        "bridge_fan_speed": fan,
        "disable_fan_first_layers": 1,
        "perimeter_speed": speeds.perimeter,
        "external_perimeter_speed": speeds.external_perimeter,
        "infill_speed": speeds.infill,
        "solid_infill_speed": speeds.solid_infill,
        "top_solid_infill_speed": speeds.top_solid,
        "first_layer_speed": speeds.first_layer,
        "travel_speed": speeds.travel,
        "start_gcode": start_gcode(settings),
        "end_gcode": end_gcode(settings, model_height),
    }
    for key in (
        "extrusion_width",
        "first_layer_extrusion_width",
        "perimeter_extrusion_width",
        "external_perimeter_extrusion_width",
        "infill_extrusion_width",
        "solid_infill_extrusion_width",
        "top_infill_extrusion_width",
    ):
        values[key] = width
    return {k: str(v) for k, v in values.items()}


def write_ini(values: dict[str, str], path: Path) -> None:
    # PrusaSlicer's ini keeps multi-line values on one line with literal "\n".
    text = "".join(f"{k} = {v.replace(chr(10), chr(92) + 'n')}\n" for k, v in values.items())
    path.write_text(text, encoding="utf-8")


def build_command(executable: str, stl_path: str, out_path: str, settings: SliceSettings, workdir: Path, model_height: float) -> list[str]:
    ini = workdir / "prusaslicer.ini"
    write_ini(config_values(settings, model_height), ini)
    cx, cy = settings.printer.center
    return [executable, "--export-gcode", "--load", str(ini), "--center", f"{cx:g},{cy:g}", stl_path, "-o", out_path]


def parse_progress(line: str) -> Optional[tuple[float, str]]:
    match = _PROGRESS.match(line)
    if not match:
        return None
    message = _OUTPUT_PATH.sub("", match.group(2).strip())  # "Exporting G-code to /tmp/..." -> no temp path
    return int(match.group(1)) / 100.0, message


def parse_estimates(lines: list[str]) -> dict:
    """PrusaSlicer writes its estimates into the G-code itself; check_gcode reads them there."""
    return {}
