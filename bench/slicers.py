"""Slicing time per backend on three parts, as ratios to PrusaSlicer measured in the same run.

    /tmp/venvs/op111/bin/python bench/slicers.py [--repeat 1] [--json out.json]

Parts: a 20 mm cube, a 12-tooth gear 30 mm across (8 mm thick, 5 mm bore), and a torus of about
100k faces. Backends: PrusaSlicer and CuraEngine when installed, the built-in slicer when its
module exists. "slicer s" is the slicer process alone; "total s" is ``slice_file`` end to end
(mesh check, slicer, G-code check, move into place). Each figure is the median of --repeat runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from octoprint_aiagent.model.materials import MATERIALS, QUALITIES  # noqa: E402
from octoprint_aiagent.model.printer import PrinterProfile  # noqa: E402
from octoprint_aiagent.model.progress import StageContext  # noqa: E402
from octoprint_aiagent.slicing import find_slicers, slice_file  # noqa: E402
from octoprint_aiagent.slicing.profiles import SliceSettings  # noqa: E402

BASELINE = "prusaslicer"
BUILTIN_MODULE = "octoprint_aiagent.slicing.builtin"


def gear(teeth: int = 12, outside_diameter: float = 30.0, thickness: float = 8.0, bore: float = 5.0):
    """A spur-like gear: trapezoid teeth on a root circle, extruded. Shape, not tooth geometry, matters here."""
    import trimesh
    from shapely.geometry import Point, Polygon

    tip, root = outside_diameter / 2, outside_diameter / 2 - 2.5
    points = []
    for i in range(teeth):
        a = 2 * math.pi * i / teeth
        step = 2 * math.pi / teeth
        for frac, r in ((0.0, root), (0.15, tip), (0.35, tip), (0.5, root)):
            points.append((r * math.cos(a + frac * step), r * math.sin(a + frac * step)))
        for k in range(1, 4):  # the root arc between teeth
            b = a + (0.5 + 0.5 * k / 4) * step
            points.append((root * math.cos(b), root * math.sin(b)))
    outline = Polygon(points).difference(Point(0, 0).buffer(bore / 2, 32))
    return trimesh.creation.extrude_polygon(outline, thickness)


def parts() -> dict:
    import trimesh

    meshes = {
        "cube 20 mm": trimesh.creation.box((20, 20, 20)),
        "gear 12 teeth": gear(),
        "torus 100k faces": trimesh.creation.torus(30, 10, major_sections=320, minor_sections=160),
    }
    for mesh in meshes.values():
        centre = (mesh.bounds[0] + mesh.bounds[1]) / 2
        mesh.apply_translation((-centre[0], -centre[1], -mesh.bounds[0][2]))
        assert mesh.is_watertight
    return meshes


def backends() -> list:
    found = find_slicers()
    names = [name for name in ("prusaslicer", "curaengine") if found[name]]
    try:
        spec = importlib.util.find_spec(BUILTIN_MODULE)
        runnable = spec is not None and (spec.origin or importlib.util.find_spec(BUILTIN_MODULE + ".__main__"))
    except ImportError:
        runnable = False
    return names + (["builtin"] if runnable else [])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    settings = SliceSettings(PrinterProfile(), MATERIALS["PLA"], QUALITIES["normal"])
    names = backends()
    if BASELINE not in names:
        print("PrusaSlicer is not installed: no baseline to compare with", file=sys.stderr)
        return 1
    print(f"backends: {', '.join(names)}; settings: PLA, normal (0.2 mm), 20 % infill; median of {args.repeat}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-slicers-") as tmp:
        for part, mesh in parts().items():
            stl = Path(tmp) / "part.stl"
            mesh.export(str(stl))
            for name in names:
                slicer_s, total_s = [], []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    result = slice_file(stl, Path(tmp) / "part.gcode", settings, name, StageContext(), found=find_slicers())
                    total_s.append(time.perf_counter() - t0)
                    slicer_s.append(result.seconds)
                report = result.report
                rows.append({
                    "part": part, "faces": len(mesh.faces), "slicer": name,
                    "slicer_s": statistics.median(slicer_s), "total_s": statistics.median(total_s),
                    "layers": report.layer_count, "filament_mm": round(report.filament_mm, 1), "ok": report.ok,
                })  # fmt: skip

    print(f"{'part':<18}{'faces':>8}  {'slicer':<12}{'slicer s':>9}{'total s':>9}{'vs prusa':>10}{'layers':>8}{'filament mm':>13}")
    for row in rows:
        base = next(r for r in rows if r["part"] == row["part"] and r["slicer"] == BASELINE)
        row["ratio_vs_prusaslicer"] = round(row["total_s"] / base["total_s"], 2)
        print(
            f"{row['part']:<18}{row['faces']:>8}  {row['slicer']:<12}{row['slicer_s']:>9.2f}{row['total_s']:>9.2f}"
            f"{row['ratio_vs_prusaslicer']:>10.2f}{row['layers']:>8}{row['filament_mm']:>13.1f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
