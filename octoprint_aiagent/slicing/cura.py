"""CuraEngine 4.13 backend.

    CuraEngine slice -v -p -j fdmprinter.def.json -s key=value ... -e0 -s key=value ... -l in.stl -o out.gcode

Two facts shape this module:

* The command line reads only each setting's ``default_value`` and never evaluates the definitions'
  formulas, so every setting we change drags its derived settings along: we compute those here
  (wall count, layer counts, infill line distance, skin distances, line widths, speeds...).
* The machine definitions are not part of the ``cura-engine`` package but of ``cura`` (the GUI).
  We use Cura's own files rather than shipping a definition of ours: the engine exits on the
  first setting it reads and cannot find, and it reads several hundred, so only the definitions
  released with the same engine version are safe. They are looked for in
  ``$AIAGENT_CURA_DEFINITIONS``, in a Cura install, then in our cache directory, where
  ``.ci/run`` (or a user) extracts them from Debian's ``cura`` package without installing it.

``-e0`` matters: ``fdmextruder.def.json`` defines ``material_diameter`` (2.85) and
``machine_nozzle_size`` itself, so those must be set on the extruder, not only globally.
``center_object`` makes the engine centre the part and drop it onto the bed; with
``machine_center_is_zero`` false the engine puts the mesh origin on the bed centre.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from pathlib import Path
from typing import Optional

from ..model.errors import AgentError
from .machine_gcode import SKIRT_DISTANCE_MM, bed_is_heated, end_gcode, feature_speeds, line_width, start_gcode
from .profiles import SliceSettings

DEFINITION_FILES = ("fdmprinter.def.json", "fdmextruder.def.json")
_INSTALLED = Path("/usr/share/cura/resources/definitions")
# "Progress:inset+skin:12:100 \t0.345678%": the last number is the overall fraction (not percent).
_PROGRESS = re.compile(r"^Progress:([\w+]+):\d+:\d+\s+([0-9.]+)%?")
_PRINT_TIME = re.compile(r"^Print time \(s\): (\d+)")
_FILAMENT_MM3 = re.compile(r"^Filament \(mm\^3\): (\d+)")
_HEADER_LINES = 30  # the placeholders are in the first dozen lines


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "octoprint_aiagent" / "cura-definitions"


def find_definitions() -> Optional[Path]:
    """The directory holding fdmprinter.def.json and fdmextruder.def.json, or None."""
    candidates = [os.environ.get("AIAGENT_CURA_DEFINITIONS"), _INSTALLED, cache_dir()]
    for candidate in candidates:
        if candidate and all((Path(candidate) / name).is_file() for name in DEFINITION_FILES):
            return Path(candidate)
    return None


def global_settings(settings: SliceSettings, model_height: float) -> dict[str, object]:
    printer, material, quality = settings.printer, settings.material, settings.quality
    speeds = feature_speeds(settings)
    width = line_width(settings)
    walls = quality.perimeters
    wall_span = walls * width  # what the engine would derive as skin_preshrink and friends
    infill = settings.infill_percent
    temp = material.nozzle_temp
    bed = material.bed_temp if bed_is_heated(settings) else 0
    lh, lh0 = quality.layer_height, quality.first_layer_height
    values: dict[str, object] = {
        "machine_width": printer.bed_x,
        "machine_depth": printer.bed_y if printer.bed_shape != "circular" else printer.bed_x,
        "machine_height": printer.height,
        "gantry_height": printer.height,
        "machine_shape": "elliptic" if printer.bed_shape == "circular" else "rectangular",
        "machine_center_is_zero": printer.origin == "center",
        "machine_heated_bed": printer.heated_bed,
        "machine_nozzle_size": printer.nozzle,
        "machine_gcode_flavor": "RepRap (Marlin/Sprinter)",
        "machine_start_gcode": start_gcode(settings),
        "machine_end_gcode": end_gcode(settings, model_height),
        # Our start sequence heats and waits itself; the engine must not add its own.
        "material_print_temp_prepend": False,
        "material_bed_temp_prepend": False,
        "center_object": True,
        "layer_height": lh,
        "layer_height_0": lh0,
        "line_width": width,
        "wall_line_width": width,
        "wall_line_width_0": width,
        "wall_line_width_x": width,
        "skin_line_width": width,
        "roofing_line_width": width,
        "infill_line_width": width,
        "skirt_brim_line_width": width,
        "initial_layer_line_width_factor": 100,
        "wall_thickness": round(wall_span, 3),
        "wall_line_count": walls,
        "wall_0_wipe_dist": printer.nozzle / 2,
        "top_layers": quality.top_layers,
        "bottom_layers": quality.bottom_layers,
        "initial_bottom_layers": quality.bottom_layers,
        "top_thickness": round(quality.top_layers * lh, 3),
        "bottom_thickness": round(quality.bottom_layers * lh, 3),
        "top_bottom_thickness": round(quality.top_layers * lh, 3),
        "skin_preshrink": round(wall_span, 3),
        "top_skin_preshrink": round(wall_span, 3),
        "bottom_skin_preshrink": round(wall_span, 3),
        "expand_skins_expand_distance": round(wall_span, 3),
        "top_skin_expand_distance": round(wall_span, 3),
        "bottom_skin_expand_distance": round(wall_span, 3),
        "skin_overlap_mm": round(width * 0.05, 4),
        "skin_edge_support_thickness": 0,
        "skin_edge_support_layers": 0,
        "infill_sparse_density": infill,
        "infill_pattern": "lines",
        # "lines" alternates direction per layer like PrusaSlicer's rectilinear: one line per spacing.
        "infill_line_distance": round(width * 100.0 / infill, 4) if infill > 0 else 0,
        "infill_sparse_thickness": lh,
        "infill_overlap_mm": round(width * 0.10, 4),
        "infill_wipe_dist": round(width / 4, 4),
        "material_flow": 100,
        "default_material_print_temperature": temp,
        "material_print_temperature": temp,
        "material_print_temperature_layer_0": temp,
        "material_initial_print_temperature": temp,
        "material_final_print_temperature": temp,
        "default_material_bed_temperature": bed,
        "material_bed_temperature": bed,
        "material_bed_temperature_layer_0": bed,
        "speed_print": material.print_speed,
        "speed_infill": speeds.infill,
        "speed_wall": speeds.perimeter,
        "speed_wall_0": speeds.external_perimeter,
        "speed_wall_x": speeds.perimeter,
        "speed_topbottom": speeds.top_solid,
        "speed_roofing": speeds.top_solid,
        "speed_travel": speeds.travel,
        "speed_layer_0": speeds.first_layer,
        "speed_print_layer_0": speeds.first_layer,
        "speed_travel_layer_0": speeds.travel / 2,
        "skirt_brim_speed": speeds.first_layer,
        "meshfix_maximum_travel_resolution": round(min(0.5 * speeds.travel / material.print_speed, 2 * width), 3),
        "retraction_enable": material.retract_length > 0,
        "retraction_amount": material.retract_length,
        "retraction_speed": material.retract_speed,
        "retraction_retract_speed": material.retract_speed,
        "retraction_prime_speed": material.retract_speed,
        "retraction_min_travel": round(2 * width, 3),
        "retraction_extrusion_window": material.retract_length,
        "retraction_hop_enabled": False,
        "cool_fan_enabled": material.fan > 0,
        "cool_fan_speed": material.fan,
        "cool_fan_speed_min": material.fan,
        "cool_fan_speed_max": material.fan,
        "cool_fan_full_at_height": round(lh0 + lh, 3),
        "cool_fan_full_layer": 2,
        "adhesion_type": "skirt" if settings.skirt else "none",
        "skirt_line_count": 1,
        "skirt_gap": SKIRT_DISTANCE_MM,
        "support_enable": False,
    }
    return values


def extruder_settings(settings: SliceSettings) -> dict[str, object]:
    return {"material_diameter": settings.printer.filament_diameter, "machine_nozzle_size": settings.printer.nozzle}


def _flags(values: dict[str, object]) -> list[str]:
    args: list[str] = []
    for key, value in values.items():
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        args += ["-s", f"{key}={text}"]
    return args


def build_command(executable: str, stl_path: str, out_path: str, settings: SliceSettings, workdir: Path, model_height: float) -> list[str]:
    definitions = find_definitions()
    if definitions is None:  # find_slicers reports CuraEngine as missing then: they went away since
        raise AgentError("slicing", "CuraEngine's machine definitions (fdmprinter.def.json) are gone", reason="failed")
    return [
        executable, "slice", "-v", "-p",
        "-j", str(definitions / "fdmprinter.def.json"),
        *_flags(global_settings(settings, model_height)),
        "-e0", *_flags(extruder_settings(settings)),
        "-o", out_path,
        "-l", stl_path,
    ]  # fmt: skip


def parse_progress(line: str) -> Optional[tuple[float, str]]:
    match = _PROGRESS.match(line)
    if not match:
        return None
    return float(match.group(2)), match.group(1).replace("+", " and ")


def parse_estimates(lines: list[str]) -> dict:
    """The engine prints its estimates on stderr; the G-code header it writes holds placeholders."""
    found: dict = {}
    for line in lines:
        if m := _PRINT_TIME.match(line):
            found["time_s"] = float(m.group(1))
        elif m := _FILAMENT_MM3.match(line):
            found["filament_mm3"] = float(m.group(1))
    return found


def filament_mm(estimates: dict, settings: SliceSettings) -> Optional[float]:
    if "filament_mm3" not in estimates:
        return None
    area = math.pi * (settings.printer.filament_diameter / 2.0) ** 2
    return estimates["filament_mm3"] / area


def fill_header(gcode_path: Path, estimates: dict, settings: SliceSettings) -> None:
    """Put the engine's estimates where the placeholders are, as Cura's GUI does after a slice."""
    length = filament_mm(estimates, settings)
    if "time_s" not in estimates or length is None:
        return
    fixed = gcode_path.with_name(gcode_path.name + ".header")
    with open(gcode_path, encoding="utf-8", errors="replace") as src, open(fixed, "w", encoding="utf-8") as dst:
        for _ in range(_HEADER_LINES):
            line = src.readline()
            if line.startswith(";TIME:"):
                line = f";TIME:{estimates['time_s']:.0f}\n"
            elif line.startswith(";Filament used:"):
                line = f";Filament used: {length / 1000.0:.5f}m\n"
            dst.write(line)
            if not line.startswith(";"):
                break
        shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(fixed, gcode_path)
