"""The built-in slicer: G-code from an STL when no external slicer is installed.

Layers come from manifold3d cross sections, walls from inward offsets, rectilinear infill from
scanlines, and ``gcode_writer`` turns them into Marlin G-code. It runs as a subprocess
(``python -m octoprint_aiagent.slicing.builtin``) like the external slicers, so its CPU work
never holds the GIL of OctoPrint's serial loop.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from ...model.errors import AgentError
from ...model.printer import PrinterProfile
from ..profiles import SliceSettings

LINE_WIDTH_FACTOR = 1.125  # line width / nozzle diameter, as PrusaSlicer chooses by default
SIMPLIFY_MM = 0.01  # contour detail finer than this is below what a nozzle can draw

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class SliceStats:
    layer_count: int
    filament_mm: float
    estimated_time_s: float
    seconds: float  # wall time of the slice


def _on_bed(points, printer: PrinterProfile) -> bool:
    return all(printer.on_bed(float(x), float(y), tolerance=1e-6) for x, y in points)


def _place_on_bed(solid, printer: PrinterProfile):
    """The solid moved from XY (0, 0) to the bed centre, its lowest point on the bed; refused if it does not fit."""
    x0, y0, z0, x1, y1, z1 = solid.bounding_box()
    cx, cy = printer.center
    solid = solid.translate((cx, cy, -z0))
    if not printer.fits(x1 - x0, y1 - y0, z1 - z0, turn=False):
        raise AgentError("slicing", f"the part ({x1 - x0:.1f} x {y1 - y0:.1f} x {z1 - z0:.1f} mm) does not fit "
                         f"{printer.describe()}", hint="scale it down, lay it down or split it")
    return solid, z1 - z0


def slice_to_gcode(stl_path: str, gcode_path: str, settings: SliceSettings,
                   progress: Progress | None = None, options=None) -> SliceStats:
    """Slice ``stl_path`` into ``gcode_path`` (written atomically). AgentError "invalid" on bad input.

    ``options`` is a ``gcode_writer.GcodeOptions`` (travel speed, Z-hop, ...); None means the defaults.
    """
    from .gcode_writer import GcodeOptions, GcodeWriter
    from .layers import covered_regions, layer_specs, slice_outlines
    from .mesh_input import load_solid
    from .toolpaths import PathGeometry, layer_paths, skirt_path

    report = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    report(0.0, "reading the mesh")
    solid, height = _place_on_bed(load_solid(stl_path), settings.printer)
    specs = layer_specs(height, settings.quality)
    report(0.05, f"slicing {len(specs)} layers")
    outlines = slice_outlines(solid, specs, SIMPLIFY_MM)
    covered = covered_regions(outlines, settings.quality.top_layers, settings.quality.bottom_layers)

    width = LINE_WIDTH_FACTOR * settings.printer.nozzle
    infill = max(0, min(100, settings.infill_percent))
    geometry = PathGeometry(width, settings.quality.perimeters, infill / 100.0)
    planned, pos = [], settings.printer.center
    for spec, outline, cover in zip(specs, outlines, covered):
        paths = layer_paths(spec, outline, cover, geometry, pos)
        if spec.index == 0 and settings.skirt:
            skirt = skirt_path(outline, width)
            if _on_bed(skirt.points, settings.printer):
                paths = [skirt] + paths
            else:
                report(0.1, "the skirt is left out: it would not fit on the bed")
        planned.append(paths)
        if paths:
            pos = paths[-1].points[-1]
        if spec.index % 20 == 0:
            report(0.1 + 0.8 * spec.index / len(specs), f"planning layer {spec.index + 1} of {len(specs)}")
    # A tip narrower than a line (a cone's point) leaves nothing to print at the top; a gap lower down
    # would leave the layers above it printed in the air.
    while planned and not planned[-1]:
        planned.pop()
    if not all(planned):
        empty = next(i for i, p in enumerate(planned) if not p)
        raise AgentError("slicing", f"nothing to print in layer {empty} (z = {specs[empty].z:.2f} mm): the part has a "
                         "gap or a section thinner than the nozzle there", hint="thicken or support that section")

    writer = GcodeWriter(settings, width, options or GcodeOptions())
    for spec, paths in zip(specs, planned):
        writer.layer(spec, paths)
    report(0.92, "writing G-code")
    _write_atomically(gcode_path, writer.text())
    report(1.0, "done")
    return SliceStats(writer.layer_count, writer.filament_mm, writer.time_s, time.perf_counter() - started)


def _write_atomically(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".builtin-", suffix=".gcode.tmp")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise
