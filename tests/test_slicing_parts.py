"""Every solid, sketch, feature, pattern and template of the part language, designed as the
pipeline designs it and sliced to G-code that passes the plugin's own check: by the built-in slicer
all of them, by PrusaSlicer and CuraEngine a representative few. Beyond "the check passed", the
G-code is held to the part: its extrusion lies on the bed, where the part's footprint is; its top is
the part's top (a pointed top up to where it is a line wide); it heats to the material's
temperatures and lays down about as much plastic as the part holds. Cut two layers short of that
top, the same G-code fails the check.

Designing and slicing some seventy parts one after another takes minutes, so the module's fixture
designs each part once and slices it once per slicer, as many at a time as the machine has cores,
in the order the tests will ask for them.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from octoprint_aiagent.agent.design import design_part
from octoprint_aiagent.cad.mesh_io import read_stl
from octoprint_aiagent.model.document import SOLID_TYPES
from octoprint_aiagent.model.features import FEATURES
from octoprint_aiagent.model.materials import MATERIALS, QUALITIES
from octoprint_aiagent.model.patterns import PATTERNS
from octoprint_aiagent.model.printer import PrinterProfile
from octoprint_aiagent.model.progress import StageContext
from octoprint_aiagent.model.sketches import SKETCHES
from octoprint_aiagent.model.spec import KINDS
from octoprint_aiagent.model.templates import TEMPLATES
from octoprint_aiagent.slicing import SliceResult, find_slicers, slice_file
from octoprint_aiagent.slicing.gcode_check import check_gcode, printable_height
from octoprint_aiagent.slicing.machine_gcode import line_width
from octoprint_aiagent.slicing.profiles import SliceSettings

from .test_gcode_check import cut_above
from .test_standard_parts import TEMPLATE_CASES

PRINTER = PrinterProfile()
SETTINGS = SliceSettings(PRINTER, MATERIALS["PLA"], QUALITIES["normal"])
LAYER = SETTINGS.quality.layer_height
FOUND = find_slicers()
EXTERNAL = ("prusaslicer", "curaengine")
WORKERS = max(1, min(4, os.cpu_count() or 1))


def plate(*features, length=60.0, width=40.0, height=8.0) -> dict:
    return {"box": {"length": length, "width": width, "height": height}, "features": list(features)}


# One part for each feature (each kind of hole apart), each pattern and each text style.
FEATURE_CASES = {
    "hole": plate({"hole": {"diameter": 6}}),
    "hole_counterbore": plate({"hole": {"screw": "M4", "counterbore": True}}),
    "hole_countersink": plate({"hole": {"screw": "M4", "countersink": True}}),
    "hole_nut_trap": plate({"hole": {"screw": "M3", "nut_trap": True}}),
    "hole_insert": plate({"hole": {"screw": "M3", "insert": True}}),
    "hole_thread_m3": plate({"hole": {"thread": "M3"}}, length=20, width=20, height=6),
    "hole_thread_m8": plate({"hole": {"thread": "M8"}}, length=25, width=25, height=10),
    "slot": plate({"slot": {"length": 20, "width": 6}}),
    "pocket": plate({"pocket": {"sketch": {"rect": {"length": 30, "width": 20, "corner_radius": 3}}, "depth": 4}}),
    "groove": plate({"groove": {"width": 4, "depth": 2}}),
    "cut": plate({"cut": {"solid": {"cylinder": {"diameter": 16, "height": 5}}}, "flush": ["left"]}),
    "boss": plate({"boss": {"sketch": {"circle": {"diameter": 12}}, "height": 6}}),
    "rib": plate({"rib": {"thickness": 3, "height": 10}}, height=4),
    "rim": plate({"rim": {"width": 2, "height": 3}}, height=4),
    "add": plate({"add": {"solid": {"cylinder": {"diameter": 10, "height": 8}}}, "from_edge": {"left": 10}}),
    "name_tag": plate({"text": {"text": "ANNA", "style": "raised", "relief": 1}}, length=70, width=20, height=2),
    "text_engraved": plate({"text": {"text": "PRINT", "style": "engraved"}}, height=3),
    "fillet": plate({"fillet": {"radius": 8}}, height=3),  # corners larger than the plate is thick
    "fillet_all": plate({"fillet": {"radius": 2, "edges": "all"}}),
    "chamfer": plate({"chamfer": {"size": 1.5, "edges": "top"}}),
    "chamfer_all": plate({"chamfer": {"size": 1, "edges": "all"}}),
    "shell": plate({"shell": {"wall": 2}}, height=25),
    "pattern_grid": plate({"hole": {"diameter": 4}, "pattern": {"grid": {"columns": 4, "rows": 3}}}),
    "pattern_circle": {"cylinder": {"diameter": 50, "height": 6},
                       "features": [{"hole": {"screw": "M4"}, "pattern": {"circle": {"count": 6, "diameter": 36}}}]},
    "plate_4_countersunk": plate({"hole": {"screw": "M4", "countersink": True}, "pattern": {"corners": {"inset": 6}}}, height=5),
    "pattern_row": plate({"slot": {"length": 10, "width": 4}, "pattern": {"row": {"count": 3}}}),
    "pattern_spread": plate({"boss": {"sketch": {"circle": {"diameter": 6}}, "height": 4}, "pattern": {"spread": {"count": 5}}}),
}
# Threads from M3 up, inside and out, besides the templates' own (M3 standoff, M4 cap screw, M6
# rod and bolt, M8 nut): a thin nut (ISO 4035), a bolt with a plain shank (ISO 4014).
THREAD_CASES = {
    "nut_m3": {"hex_nut": {"size": "M3", "thin": True}},
    "rod_m3": {"threaded_rod": {"size": "M3", "length": 12}},
    "bolt_m8x30": {"hex_bolt": {"size": "M8", "length": 30, "partly_threaded": True}},
}
# The solids that are not templates, and every sketch (in extrusions).
SOLID_CASES = {
    "cone": {"cone": {"base_diameter": 20, "height": 15}},
    "cone_truncated": {"cone": {"base_diameter": 20, "top_diameter": 8, "height": 10}},
    "sphere": {"sphere": {"diameter": 20}},
    "torus": {"torus": {"diameter": 30, "tube_diameter": 6}},
    "thread_m6": {"thread": {"size": "M6", "length": 15}},
    "extrude_tapered": {"extrude": {"sketch": {"regular_polygon": {"sides": 6, "across_flats": 20}}, "height": 10, "top_scale": 0.5}},
    "extrude_sketches": {"extrude": {"sketch": {"difference": [
        {"rect": {"length": 60, "width": 40, "chamfer": 3}},
        {"slot": {"length": 16, "width": 5}, "translate": [-15, 10]},
        {"ring": {"outer_diameter": 14, "inner_diameter": 8}, "translate": [15, 8]},
        {"polygon": {"points": [[-25, -15], [-15, -15], [-20, -7]]}},
        {"offset": {"sketch": {"circle": {"diameter": 4}}, "distance": 1}, "translate": [0, 10]},
        {"text": {"text": "A1", "height": 8}, "translate": [12, -10]},
    ]}, "height": 3}},
    "extrude_union": {"extrude": {"sketch": {"union": [
        {"gear": {"teeth": 10, "outer_diameter": 24}}, {"rect": {"length": 40, "width": 6, "corner_radius": 2}},
    ]}, "height": 5}},
    "revolve": {"revolve": {"sketch": {"polygon": {"points": [[0, 0], [12, 0], [9, 15], [0, 15]]}}}},
    "array": {"array": {"solid": {"cylinder": {"diameter": 8, "height": 6}}, "count": 3, "spacing": [12, 0, 0]}},
    "circular_array": {"union": [{"cylinder": {"diameter": 20, "height": 5}},
                                 {"circular_array": {"solid": {"box": {"length": 8, "width": 4, "height": 5}}, "count": 6, "diameter": 24}}]},
    "difference": {"difference": [{"box": {"length": 30, "width": 30, "height": 10}}, {"cylinder": {"diameter": 12, "height": 10}}]},
    "intersection": {"intersection": [{"box": {"length": 20, "width": 20, "height": 20}}, {"sphere": {"diameter": 26}, "translate": [0, 0, -3]}]},
}
PARTS = {**FEATURE_CASES, **THREAD_CASES, **SOLID_CASES, **{name: {name: params} for name, params in TEMPLATE_CASES.items()}}
# What the external slicers get: threads inside and out, a plate with countersunk holes, raised
# letters, a part in two pieces (a box and its lid), a bracket, a pointed top. (The enclosure, the
# largest part, takes each of them 7-8 s of CPU: the built-in slicer alone slices it.)
EXTERNAL_CASES = ("hex_nut", "nut_m3", "bolt_m8x30", "plate_4_countersunk", "name_tag", "box_with_lid", "l_bracket", "pyramid")
# Parts whose top layers are thinner than a line (a point, a ridge), which slicers leave out.
POINTED = {"pyramid", "triangular_prism", "cable_clip", "cone"}

EDGE_MM = 0.05  # how far the extrusion may reach beyond the part's footprint: coordinate rounding
REACH_MM = 1.0  # how far inside its footprint the part's outermost extrusion may stop
Z_MM = 0.011  # the G-code check's own tolerance on heights


class Used:
    """The node types a document uses, read from it as written (templates are not expanded)."""

    def __init__(self):
        self.solids, self.sketches, self.features, self.patterns, self.holes, self.styles = (set() for _ in range(6))

    def solid(self, node: dict) -> None:
        kind = next(k for k in node if k in SOLID_TYPES)
        self.solids.add(kind)
        self._inside(node[kind], self.solid)
        for feature in node.get("features", ()):
            kind = next(k for k in feature if k in FEATURES)
            self.features.add(kind)
            self.patterns |= set(feature.get("pattern", {}))
            if kind == "hole":
                self.holes |= {"counterbore", "countersink", "nut_trap", "insert", "thread"} & set(feature[kind]) or {"plain"}
            if kind == "text":
                self.styles.add(feature[kind]["style"])
            self._inside(feature[kind], None)

    def sketch(self, node: dict) -> None:
        kind = next(k for k in node if k in SKETCHES)
        self.sketches.add(kind)
        self._inside(node[kind], self.sketch)

    def _inside(self, params, same) -> None:
        if isinstance(params, list):  # a composition: its members are of its own table
            for member in params:
                same(member)
            return
        for key, value in params.items():
            if key in ("solid", "sketch"):
                (self.solid if key == "solid" else self.sketch)(value)
            elif key == "of":
                for member in value:
                    same(member)


def test_every_kind_solid_sketch_feature_pattern_and_template_has_a_part():
    used = Used()
    for doc in PARTS.values():
        used.solid(doc)
    assert used.solids == set(SOLID_TYPES)
    assert set(KINDS) <= used.solids and set(TEMPLATES) <= used.solids
    assert used.sketches == set(SKETCHES)
    assert used.features == set(FEATURES)
    assert used.patterns == set(PATTERNS)
    assert used.holes == {"plain", "counterbore", "countersink", "nut_trap", "insert", "thread"}
    assert used.styles == {"raised", "engraved"}
    assert set(EXTERNAL_CASES) <= set(PARTS) and POINTED <= set(PARTS)


# -- designing and slicing, each once, in the background ------------------------------------------


@dataclass(frozen=True)
class Designed:
    stl: Path
    report: dict  # the design stage's printability report
    lo: np.ndarray  # the mesh's bounds as written: centred on XY (0, 0), standing on z=0
    hi: np.ndarray
    volume: float
    printable_top: float  # the top of the highest layer in which the part is at least a line wide


@dataclass(frozen=True)
class Extrusion:
    """What a G-code file extrudes, read here independently of the plugin's check."""

    lo: np.ndarray  # XYZ bounds of every extruding move
    hi: np.ndarray
    part_lo: np.ndarray  # the same without the skirt (";TYPE:SKIRT", PrusaSlicer's ";TYPE:Skirt/Brim")
    part_hi: np.ndarray
    part_filament_mm: float


@dataclass(frozen=True)
class Printed:
    result: SliceResult
    extrusion: Extrusion


def design(doc: dict, stl: Path) -> Designed:
    """As the pipeline's design stage does it: built, oriented and placed for the printer, written."""
    report = design_part({"part": doc}, PRINTER.to_dict(), str(stl))
    mesh = read_stl(stl)
    top = printable_height(stl, SETTINGS.quality, line_width(SETTINGS))
    return Designed(stl, report, mesh.bounds[0], mesh.bounds[1], float(mesh.volume), top)


def sliced(designed: Designed, slicer: str, gcode: Path) -> Printed:
    """As the pipeline's slicing stage does it: the design vouches for the mesh and its height."""
    result = slice_file(designed.stl, gcode, SETTINGS, slicer, StageContext(), found=FOUND,
                        model_height=designed.report["bbox"][2])
    return Printed(result, read_extrusion(gcode))


def read_extrusion(path: Path) -> Extrusion:
    bounds = {kind: [np.full(3, math.inf), np.full(3, -math.inf)] for kind in ("all", "part")}
    pos, e, relative_xyz, relative_e, skirt, filament = [None, None, None], 0.0, False, False, False, 0.0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(";TYPE:"):
                skirt = "skirt" in line.lower()
            words = line.split(";", 1)[0].split()
            if not words:
                continue
            code, args = words[0], {w[0]: float(w[1:]) for w in words[1:] if len(w) > 1}
            if code in ("G90", "G91"):
                relative_xyz = relative_e = code == "G91"
            elif code in ("M82", "M83"):
                relative_e = code == "M83"
            elif code == "G92" and "E" in args:
                e = args["E"]
            elif code in ("G0", "G1"):
                new = [(old + args[a] if relative_xyz and old is not None else args[a]) if a in args else old
                       for a, old in zip("XYZ", pos)]
                de = 0.0
                if "E" in args:
                    de = args["E"] if relative_e else args["E"] - e
                    e += de
                if de > 0 and ("X" in args or "Y" in args) and None not in pos:
                    for kind in ("all",) if skirt else ("all", "part"):
                        bounds[kind][0] = np.minimum(bounds[kind][0], np.minimum(pos, new))
                        bounds[kind][1] = np.maximum(bounds[kind][1], np.maximum(pos, new))
                    filament += 0.0 if skirt else de
                pos = new
    return Extrusion(*bounds["all"], *bounds["part"], filament)


class Workshop:
    """Designs each part once and slices it once per slicer, WORKERS at a time, in the background."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.pool = ThreadPoolExecutor(WORKERS)
        self.designs: dict[str, Future] = {}
        self.prints: dict[tuple, Future] = {}

    def start(self, wanted: list) -> None:
        # Every design is queued before the slices that wait for it: the pool takes work in order,
        # so no slice waits for a design that no worker has started.
        for _, name in wanted:
            self._design(name)
        for slicer, name in wanted:
            self._print(slicer, name)

    def design(self, name: str) -> Designed:
        return self._design(name).result()

    def print(self, slicer: str, name: str) -> Printed:
        return self._print(slicer, name).result()

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)

    def _design(self, name: str) -> Future:
        if name not in self.designs:
            self.designs[name] = self.pool.submit(design, PARTS[name], self.folder / f"{name}.stl")
        return self.designs[name]

    def _print(self, slicer: str, name: str) -> Future:
        if (slicer, name) not in self.prints:
            designed = self._design(name)
            gcode = self.folder / f"{name}.{slicer}.gcode"
            self.prints[slicer, name] = self.pool.submit(lambda: sliced(designed.result(), slicer, gcode))
        return self.prints[slicer, name]


@pytest.fixture(scope="module")
def workshop(request, tmp_path_factory):
    shop = Workshop(tmp_path_factory.mktemp("parts"))
    wanted = [(item.callspec.params["slicer"], item.callspec.params["name"]) for item in request.session.items
              if item.module is request.module and "name" in getattr(getattr(item, "callspec", None), "params", {})]
    shop.start([(slicer, name) for slicer, name in wanted if FOUND.get(slicer)])
    yield shop
    shop.close()


# -- the G-code, held to the part -----------------------------------------------------------------


CASES = [("builtin", name) for name in PARTS] + [(slicer, name) for slicer in EXTERNAL for name in EXTERNAL_CASES]


@pytest.mark.slow
@pytest.mark.parametrize("slicer, name", CASES)
def test_the_part_slices_to_checked_gcode_that_prints_it_where_it_is(workshop, slicer, name):
    if not FOUND[slicer]:
        what = "CuraEngine or its machine definitions" if slicer == "curaengine" else "prusa-slicer"
        pytest.skip(f"{what} not installed here (CI installs it; see .ci/run)")
    part = workshop.design(name)
    errors = [c["message"] for c in part.report["checks"] if c["level"] == "error"]
    assert part.report["ok"], errors
    printed = workshop.print(slicer, name)
    report, g = printed.result.report, printed.extrusion

    # The plugin's check passed, and it measured what this reader measured.
    assert report.ok, report.errors
    assert np.asarray(report.bounds) == pytest.approx(np.array([g.lo, g.hi]), abs=1e-3)

    # Everything extruded, the skirt too, is on the bed and below the build height.
    x0, y0, x1, y1 = PRINTER.bed_window()
    assert x0 <= g.lo[0] and g.hi[0] <= x1 and y0 <= g.lo[1] and g.hi[1] <= y1, (g.lo, g.hi)
    assert 0 < g.lo[2] and g.hi[2] <= PRINTER.height

    # The part's own extrusion covers its footprint, placed on the bed centre: its outermost lines
    # run half a line inside the outline, never outside it.
    centre = np.array(PRINTER.center)
    inside_low = g.part_lo[:2] - (part.lo[:2] + centre)
    inside_high = (part.hi[:2] + centre) - g.part_hi[:2]
    assert np.all(inside_low >= -EDGE_MM) and np.all(inside_high >= -EDGE_MM), (inside_low, inside_high)
    assert np.all(inside_low <= REACH_MM) and np.all(inside_high <= REACH_MM), (inside_low, inside_high)

    # Layers from the first layer height in steps of the quality's, up to the part's top within a
    # layer; a top thinner than a line (a point, a ridge) is left out, up to where it is a line wide.
    height = part.hi[2] - part.lo[2]
    assert height == pytest.approx(part.report["bbox"][2], abs=1e-3)
    if name in POINTED:
        assert part.printable_top < height - LAYER / 2, "the part's top is wider than a line after all"
        top = part.printable_top
    else:
        assert part.printable_top >= height - LAYER, "the part's top is thinner than a line: list it in POINTED"
        top = height
    assert top - LAYER - Z_MM <= g.part_hi[2] <= height + LAYER + Z_MM, (g.part_hi[2], top, height)
    assert report.first_layer_z == pytest.approx(SETTINGS.quality.first_layer_height)
    assert report.layer_height == pytest.approx(LAYER)

    # Heated to the material's temperatures, and as much plastic as the part holds: at 20 %
    # infill no less than 30 % of it; at most a little more than all of it, for small solid
    # parts, where lines overlap (CuraEngine's flow is width x height per mm, no rounded sides).
    assert report.max_nozzle_temp == SETTINGS.material.nozzle_temp
    assert report.max_bed_temp == SETTINGS.material.bed_temp
    plastic = g.part_filament_mm * math.pi * (PRINTER.filament_diameter / 2) ** 2
    assert 0.3 * part.volume < plastic < 1.2 * part.volume, f"{plastic / part.volume:.2f} of the part's volume"


# -- a print cut short of the part fails the check --------------------------------------------------


SHORT = [(slicer, name) for slicer, name in CASES if name in POINTED | {"cube"}]


@pytest.mark.slow
@pytest.mark.parametrize("slicer, name", SHORT)
def test_the_same_gcode_cut_short_of_the_part_fails_the_check(workshop, tmp_path, slicer, name):
    """The allowance for a top thinner than a line covers only that top: the part's G-code without
    the top two layers in which the part is still a line wide is a print stopped short, and the
    check, given the mesh, says so."""
    if not FOUND[slicer]:
        pytest.skip(f"{slicer} not installed here (CI installs it; see .ci/run)")
    part, printed = workshop.design(name), workshop.print(slicer, name)
    height = part.report["bbox"][2]
    top = part.printable_top if name in POINTED else height
    short = tmp_path / "short.gcode"
    cut_above(printed.result.gcode_path, short, top - 2 * LAYER + Z_MM)
    report = check_gcode(short, SETTINGS, height, stl_path=part.stl)
    assert report.rules_failed == ["layer_count"], report.errors
