"""Marlin-flavour G-code for planned layers, with Cura-style comments OctoPrint and checkers read.

Extrusion is relative (M83): each move carries the filament it pushes, so retractions and
layers never accumulate rounding. Filament per mm of path = bead cross-section (line spacing *
layer height, see ``toolpaths.bead_spacing``) / filament cross-section.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..profiles import SliceSettings
from .layers import LayerSpec
from .toolpaths import bead_spacing

START_LIFT = 5.0  # mm above the bed for the travel from the home position
# Speed of each path type relative to the material's print speed: a slower outer wall looks better.
SPEED_FACTOR = {"WALL-OUTER": 0.7, "WALL-INNER": 1.0, "SKIN": 1.0, "FILL": 1.0, "SKIRT": 1.0}


@dataclass(frozen=True)
class GcodeOptions:
    travel_speed: float = 150.0  # mm/s
    z_speed: float = 10.0  # mm/s, Marlin clamps it to the printer's own limit anyway
    first_layer_speed_factor: float = 0.5
    retract_min_travel: float = 2.0  # mm: shorter travels do not ooze enough to need a retraction
    z_hop: float = 0.0  # mm lifted during retracted travels; 0 = off
    fan_from_layer: int = 2  # the first layers stick better without cooling
    present_lift: float = 10.0  # mm raised at the end


class GcodeWriter:
    """Collects the body layer by layer; ``text()`` adds the header and the start and end sequences."""

    def __init__(self, settings: SliceSettings, line_width: float, options: GcodeOptions = GcodeOptions()):
        self.settings = settings
        self.options = options
        self.line_width = line_width
        self.filament_area = math.pi * (settings.printer.filament_diameter / 2.0) ** 2
        self.body: list = []
        self.pos = np.array([math.nan, math.nan])
        self.z = min(START_LIFT, settings.printer.height)
        self.retracted = False
        self.filament_mm = 0.0
        self.time_s = 0.0
        self.layer_count = 0
        self.low = np.full(3, np.inf)
        self.high = np.full(3, -np.inf)

    # --- moves -----------------------------------------------------------------------------
    def _retract(self) -> None:
        m = self.settings.material
        if self.retracted or m.retract_length <= 0:
            return
        self.body.append(f"G1 E{-m.retract_length:.5f} F{m.retract_speed * 60:.0f}")
        self.time_s += m.retract_length / m.retract_speed
        self.retracted = True

    def _unretract(self) -> None:
        if not self.retracted:
            return
        m = self.settings.material
        self.body.append(f"G1 E{m.retract_length:.5f} F{m.retract_speed * 60:.0f}")
        self.time_s += m.retract_length / m.retract_speed
        self.retracted = False

    def _travel(self, target: np.ndarray, new_z=None) -> None:
        o = self.options
        distance = float(np.hypot(*(target - self.pos))) if np.isfinite(self.pos).all() else math.inf
        if distance > o.retract_min_travel:
            self._retract()
        hop = o.z_hop if self.retracted else 0.0
        # Rise before the travel, but come down (onto the first layer) only after it.
        descend = new_z is not None and new_z < self.z
        if new_z is not None:
            self.z = new_z
        if (new_z is not None and not descend) or hop:
            self.body.append(f"G0 Z{self.z + hop:.3f} F{o.z_speed * 60:.0f}")
        self.body.append(f"G0 X{target[0]:.3f} Y{target[1]:.3f} F{o.travel_speed * 60:.0f}")
        if hop or descend:
            self.body.append(f"G0 Z{self.z:.3f} F{o.z_speed * 60:.0f}")
        if math.isfinite(distance):
            self.time_s += distance / o.travel_speed
        self.pos = target

    def _extrude(self, points: np.ndarray, speed: float, height: float) -> None:
        steps = np.diff(points, axis=0)
        lengths = np.hypot(steps[:, 0], steps[:, 1])
        keep = lengths > 1e-3
        if not keep.any():
            return
        self._unretract()
        ends, lengths = points[1:][keep], lengths[keep]
        extrusion = lengths * (bead_spacing(self.line_width, height) * height / self.filament_area)
        moves = [f"G1 X{x:.3f} Y{y:.3f} E{e:.5f}" for (x, y), e in zip(ends.tolist(), extrusion.tolist())]
        moves[0] += f" F{speed * 60:.0f}"
        self.body += moves
        self.filament_mm += float(extrusion.sum())
        self.time_s += float(lengths.sum()) / speed
        self.pos = ends[-1]
        self.low = np.minimum(self.low, [*points.min(axis=0), self.z])
        self.high = np.maximum(self.high, [*points.max(axis=0), self.z])

    # --- layers ----------------------------------------------------------------------------
    def layer(self, spec: LayerSpec, paths: list) -> None:
        o, m = self.options, self.settings.material
        self.body.append(f";LAYER:{spec.index}")
        self.layer_count += 1
        if spec.index == o.fan_from_layer and m.fan > 0:
            self.body.append(f"M106 S{round(m.fan * 255 / 100)}")
        factor = o.first_layer_speed_factor if spec.index == 0 else 1.0
        kind, new_z = None, spec.z
        for path in paths:
            points = np.vstack([path.points, path.points[:1]]) if path.closed else path.points
            self._travel(points[0], new_z)
            new_z = None
            if path.kind != kind:
                self.body.append(f";TYPE:{path.kind}")
                kind = path.kind
            self._extrude(points, m.print_speed * SPEED_FACTOR[path.kind] * factor, spec.height)

    # --- whole file --------------------------------------------------------------------------
    def _start(self) -> list:
        s = self.settings
        heat = [f"M104 S{s.material.nozzle_temp} ; nozzle, heating while the bed heats"]
        wait = [f"M109 S{s.material.nozzle_temp} ; wait for the nozzle"]
        if s.printer.heated_bed:
            heat.insert(0, f"M140 S{s.material.bed_temp} ; bed")
            wait.insert(0, f"M190 S{s.material.bed_temp} ; wait for the bed")
        lift = min(START_LIFT, s.printer.height)
        return heat + wait + [
            "G28 ; home all axes",
            "G90 ; absolute positions",
            "M83 ; relative extrusion",
            "G92 E0",
            "M107 ; fan off for the first layers",
            f"G0 Z{lift:.3f} F{self.options.z_speed * 60:.0f} ; clear the bed for the first travel",
        ]

    def _end(self) -> list:
        s, o = self.settings, self.options
        p = s.printer
        lines = [";END"]
        if s.material.retract_length > 0 and not self.retracted:
            lines.append(f"G1 E{-s.material.retract_length:.5f} F{s.material.retract_speed * 60:.0f}")
        lines += ["M104 S0 ; nozzle off"] + (["M140 S0 ; bed off"] if p.heated_bed else []) + ["M107 ; fan off"]
        lines.append(f"G0 Z{min(self.z + o.present_lift, p.height):.3f} F{o.z_speed * 60:.0f} ; lift")
        if p.bed_shape == "rectangular":  # bring the bed forward to present the part
            x0, _y0, _x1, y1 = p.bed_window()
            lines.append(f"G0 X{x0 + 5:.3f} Y{y1 - 5:.3f} F{o.travel_speed * 60:.0f} ; present the part")
        return lines + ["M84 ; motors off"]

    def _header(self) -> list:
        s = self.settings
        grams = self.filament_mm * self.filament_area / 1000.0 * s.material.density
        ascii_name = s.printer.name.encode("ascii", "replace").decode()  # firmware and SD cards expect ASCII
        return [
            ";FLAVOR:Marlin",
            ";Generated by octoprint_aiagent built-in slicer",
            f";TIME:{round(self.time_s)}",
            f";Filament used: {self.filament_mm / 1000.0:.5f}m",
            f";Filament weight: {grams:.2f}g",
            f";Layer height: {s.quality.layer_height}",
            *(f";{n}:{v:.3f}" for n, v in zip(("MINX", "MINY", "MINZ"), self.low)),
            *(f";{n}:{v:.3f}" for n, v in zip(("MAXX", "MAXY", "MAXZ"), self.high)),
            (
                f";Settings: material {s.material.name} {s.material.nozzle_temp}/{s.material.bed_temp} C, "
                f"quality {s.quality.name}, {s.quality.perimeters} perimeters, infill {s.infill_percent}%, "
                f"line width {self.line_width:.3f} mm, printer {ascii_name}"
            ),
            f";LAYER_COUNT:{self.layer_count}",
        ]

    def text(self) -> str:
        return "\n".join(self._header() + self._start() + self.body + self._end()) + "\n"
