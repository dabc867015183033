"""Check G-code before it may reach a printer, and measure it for the UI.

The file is read once, line by line, through a small model of a Marlin machine (G90/G91, M82/M83,
G92, modal feedrate). Rules: moves stay on the bed and below the build height, temperatures stay
in the material's range, homing and heat-up come before the first extrusion, the end sequence
turns the heaters off, and the layers (first height, step, count, none missing) match the model
(counted up to where the part is still a line wide: a pointed top is left out by every slicer).

The time estimate is plain distance / feedrate for every move plus dwells: it ignores acceleration
and heating, so it is a lower bound (5-15 % under the slicers' own estimates on our test parts, which are
read from their comments when present and reported beside ours).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Optional

from ..model.errors import AgentError
from ..model.materials import Quality
from .machine_gcode import line_width
from .profiles import SliceSettings

EDGE_TOLERANCE_MM = 0.05  # slicers round coordinates to 3 decimals; a skirt may touch the edge
Z_TOLERANCE_MM = 0.011

_WORD = re.compile(r"([A-Za-z])\s*([-+]?(?:\d+\.?\d*|\.\d+))")
_HEAD = re.compile(r"([A-Za-z]\d+)(.*)")
_GENERATOR = re.compile(r"generated (?:by|with) (.+)", re.IGNORECASE)
_PRUSA_TIME = re.compile(r"estimated printing time \(normal mode\) = (.+)")
_PRUSA_MM = re.compile(r"filament used \[mm\] = ([0-9.]+)")
_PRUSA_G = re.compile(r"(?:total )?filament used \[g\] = ([0-9.]+)")
_CURA_TIME = re.compile(r"^;TIME:(\d+(?:\.\d+)?)")
_CURA_M = re.compile(r"^;Filament used: ([0-9.]+)m")
_DURATION = re.compile(r"(\d+)([dhms])")


@dataclass(frozen=True)
class Problem:
    level: str  # "error" or "warning"
    rule: str
    message: str

    def to_dict(self) -> dict:
        return {"level": self.level, "rule": self.rule, "message": self.message}


@dataclass
class GcodeReport:
    problems: list = field(default_factory=list)
    layer_count: int = 0
    first_layer_z: Optional[float] = None
    layer_height: Optional[float] = None  # the most common step between layers
    est_time_s: float = 0.0
    filament_mm: float = 0.0
    filament_g: float = 0.0
    bounds: Optional[tuple] = None  # ((xmin, ymin, zmin), (xmax, ymax, zmax)) of extruding moves
    max_nozzle_temp: float = 0.0
    max_bed_temp: float = 0.0
    generator: str = ""
    slicer_estimates: dict = field(default_factory=dict)  # time_s, filament_mm, filament_g as written by the slicer
    lines: int = 0

    @property
    def errors(self) -> list:
        return [p.message for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list:
        return [p.message for p in self.problems if p.level == "warning"]

    @property
    def rules_failed(self) -> list:
        return sorted({p.rule for p in self.problems if p.level == "error"})

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "errors": self.errors,
            "warnings": self.warnings,
            "rules_failed": self.rules_failed,
            "layer_count": self.layer_count,
            "first_layer_z": self.first_layer_z,
            "layer_height": self.layer_height,
            "est_time_s": round(self.est_time_s, 1),
            "filament_mm": round(self.filament_mm, 1),
            "filament_g": round(self.filament_g, 2),
            "bounds": [list(corner) for corner in self.bounds] if self.bounds else None,
            "max_nozzle_temp": self.max_nozzle_temp,
            "max_bed_temp": self.max_bed_temp,
            "generator": self.generator,
            "slicer_estimates": dict(self.slicer_estimates),
            "lines": self.lines,
        }


class _Findings:
    """Counts each rule's violations and keeps the first as the example, so a report stays short."""

    def __init__(self) -> None:
        self.first: dict = {}
        self.count: dict = {}

    def add(self, level: str, rule: str, message: str) -> None:
        self.count[rule] = self.count.get(rule, 0) + 1
        self.first.setdefault(rule, (level, message))

    def problems(self) -> list:
        out = []
        for rule, (level, message) in self.first.items():
            n = self.count[rule]
            out.append(Problem(level, rule, message if n == 1 else f"{message} (and {n - 1} more like it)"))
        return out


def _bed_test(settings: SliceSettings):
    """A function (x, y) -> inside the bed, in G-code coordinates. None means unknown: not checked."""
    printer = settings.printer
    cx, cy = printer.center
    if printer.circular:

        def inside(x, y):
            return x is None or y is None or printer.on_bed(x, y, EDGE_TOLERANCE_MM)

        return inside

    def inside(x, y):  # an axis not yet known is not checked; the other one is
        return printer.on_bed(cx if x is None else x, cy if y is None else y, EDGE_TOLERANCE_MM)

    return inside


def _fmt(v: Optional[float]) -> str:
    return "?" if v is None else f"{v:.3f}".rstrip("0").rstrip(".")


class _Machine:
    """Just enough of a Marlin printer to follow positions, extrusion, heaters and time."""

    def __init__(self, settings: SliceSettings, findings: _Findings):
        self.s = settings
        self.f = findings
        self.inside = _bed_test(settings)
        self.pos: tuple = (None, None, None)
        self.e = 0.0
        self.rel_xyz = False
        self.rel_e = False
        self.feed = 0.0  # mm/min
        self.homed = False
        self.nozzle_target = 0.0
        self.nozzle_ready = 0.0  # the last temperature waited for with M109
        self.bed_target = 0.0
        self.bed_waited = False
        self.bed_ever_on = False
        self.fan = 0.0
        self.motors_off_after_print = False
        self.extruded_yet = False
        self.layers: dict = {}  # z (rounded) -> filament mm extruded while moving at that height
        self.filament = 0.0
        self.time_s = 0.0
        self.lo = [math.inf] * 3
        self.hi = [-math.inf] * 3
        self.max_nozzle = 0.0
        self.max_bed = 0.0

    # -- commands: each handler takes (line number, code, words); _COMMANDS maps codes to them ------

    def home(self, n: int, code: str, words: dict) -> None:
        self.homed = True
        self.pos = (None, None, None)  # where home is depends on the machine

    def positioning(self, n: int, code: str, words: dict) -> None:
        self.rel_xyz = self.rel_e = code == "G91"  # Marlin: G90/G91 switch E too; M82/M83 after them win

    def extrusion_mode(self, n: int, code: str, words: dict) -> None:
        self.rel_e = code == "M83"

    def set_position(self, n: int, code: str, words: dict) -> None:
        if not words:
            self.pos, self.e = (0.0, 0.0, 0.0), 0.0
            return
        self.pos = tuple(words.get(axis, old) for axis, old in zip("XYZ", self.pos))
        if "E" in words:
            self.e = words["E"]

    def dwell(self, n: int, code: str, words: dict) -> None:
        self.time_s += words.get("P", 0.0) / 1000.0 + words.get("S", 0.0)

    def fan_speed(self, n: int, code: str, words: dict) -> None:
        self.fan = words.get("S", 255.0) if code == "M106" else 0.0

    def motors_off(self, n: int, code: str, words: dict) -> None:
        self.motors_off_after_print = self.extruded_yet

    def inches(self, n: int, code: str, words: dict) -> None:
        self.f.add("error", "units", f"line {n}: G20 switches to inches; only millimetres are supported")

    def nozzle(self, n: int, code: str, words: dict) -> None:
        temp = words.get("S", words.get("R"))
        if temp is None:
            return
        self.nozzle_target = temp
        self.max_nozzle = max(self.max_nozzle, temp)
        low, high = self.s.material.nozzle_range
        if temp > 0 and not low <= temp <= high:
            self.f.add("error", "nozzle_temp", f"line {n}: nozzle set to {temp:g} °C; {self.s.material.name} prints at {low}-{high} °C")
        if code == "M109":
            self.nozzle_ready = temp

    def bed(self, n: int, code: str, words: dict) -> None:
        temp = words.get("S", words.get("R"))
        if temp is None:
            return
        self.bed_target = temp
        self.max_bed = max(self.max_bed, temp)
        if temp > 0:
            self.bed_ever_on = True
            low, high = self.s.material.bed_range
            if not low <= temp <= high:
                self.f.add("error", "bed_temp", f"line {n}: bed set to {temp:g} °C; {self.s.material.name} allows {low}-{high} °C")
            if not self.s.printer.heated_bed:
                self.f.add("warning", "bed_not_heated", f"line {n}: bed set to {temp:g} °C but the printer has no heated bed")
        if code == "M190" and temp > 0:
            self.bed_waited = True

    def move(self, n: int, code: str, words: dict) -> None:
        # The hot path (one call per line of a print): plain locals, no helper calls when possible.
        old = self.pos
        x, y, z = old
        rel = self.rel_xyz
        moved = False
        if "X" in words:
            moved = True
            x = (None if x is None else x + words["X"]) if rel else words["X"]
        if "Y" in words:
            moved = True
            y = (None if y is None else y + words["Y"]) if rel else words["Y"]
        if "Z" in words:
            moved = True
            z = (None if z is None else z + words["Z"]) if rel else words["Z"]
        if "F" in words:
            self.feed = words["F"]
        de = 0.0
        if "E" in words:
            e = words["E"]
            de = e if self.rel_e else e - self.e
            self.e += de
        new = (x, y, z)
        if moved:
            if not self.homed:
                self.f.add("error", "homing", f"line {n}: the head moves before homing (G28)")
            self.check_volume(n, new)
        x0, y0, z0 = old
        dxy = math.hypot(x - x0, y - y0) if None not in (x, y, x0, y0) else 0.0
        dz = abs(z - z0) if z is not None and z0 is not None else 0.0
        if self.feed > 0:
            length = math.hypot(dxy, dz) if dz else dxy
            self.time_s += (length if length > 0 else abs(de)) * 60.0 / self.feed
        self.pos = new
        self.filament += de
        if de > 0:
            self.extrude(n, old, new, de, dxy)

    def check_volume(self, n: int, p: tuple) -> None:
        if not self.inside(p[0], p[1]):
            self.f.add("error", "outside_bed", f"line {n}: move to X{_fmt(p[0])} Y{_fmt(p[1])} leaves {self.s.printer.describe()}")
        if p[2] is not None and (p[2] > self.s.printer.height + Z_TOLERANCE_MM or p[2] < -Z_TOLERANCE_MM):
            self.f.add("error", "build_height", f"line {n}: move to Z{_fmt(p[2])} is outside the build height 0-{self.s.printer.height:g} mm")

    def extrude(self, n: int, old: tuple, new: tuple, de: float, dxy: float) -> None:
        if not self.extruded_yet:
            self.extruded_yet = True
            self.check_heat_up(n)
        self.motors_off_after_print = False
        if dxy <= 0:
            return  # a prime or an unretract: filament, but not a printed line
        z = new[2]
        if z is None:
            self.f.add("error", "unknown_z", f"line {n}: extrusion before any Z height was set")
            return
        key = round(z, 3)
        self.layers[key] = self.layers.get(key, 0.0) + de
        lo, hi = self.lo, self.hi
        for p in (old, new):  # both ends are known here: dxy > 0 needs x and y
            for i in (0, 1, 2):
                v = p[i]
                if v is not None:
                    lo[i] = min(lo[i], v)
                    hi[i] = max(hi[i], v)

    def check_heat_up(self, n: int) -> None:
        material = self.s.material
        low = material.nozzle_range[0]
        if self.nozzle_ready < low:
            self.f.add("error", "heat_up", f"line {n}: extrusion before the nozzle was heated and waited for (M109 to at least {low} °C)")
        if self.s.printer.heated_bed and material.bed_temp > 0:
            if self.bed_target <= 0:
                self.f.add("error", "bed_heat_up", f"line {n}: extrusion before the bed was heated ({material.name} wants {material.bed_temp} °C)")
            elif not self.bed_waited:
                self.f.add("warning", "bed_wait", f"line {n}: extrusion before waiting for the bed temperature (M190)")


_COMMANDS = {
    "G0": _Machine.move,
    "G1": _Machine.move,
    "G2": _Machine.move,  # arcs: the end point is checked, the chord stands in for the arc
    "G3": _Machine.move,
    "G28": _Machine.home,
    "G90": _Machine.positioning,
    "G91": _Machine.positioning,
    "M82": _Machine.extrusion_mode,
    "M83": _Machine.extrusion_mode,
    "G92": _Machine.set_position,
    "G4": _Machine.dwell,
    "M104": _Machine.nozzle,
    "M109": _Machine.nozzle,
    "M140": _Machine.bed,
    "M190": _Machine.bed,
    "M106": _Machine.fan_speed,
    "M107": _Machine.fan_speed,
    "M84": _Machine.motors_off,
    "M18": _Machine.motors_off,
    "G20": _Machine.inches,
}


def _parse_duration(text: str) -> Optional[float]:
    parts = _DURATION.findall(text)
    if not parts:
        return None
    scale = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return float(sum(int(v) * scale[u] for v, u in parts))


def _read_comment(line: str, report: GcodeReport) -> None:
    est = report.slicer_estimates
    if not report.generator:
        m = _GENERATOR.search(line)
        if m:
            report.generator = m.group(1).strip()
    if m := _PRUSA_TIME.search(line):
        if (seconds := _parse_duration(m.group(1))) is not None:
            est["time_s"] = seconds
    elif m := _PRUSA_MM.search(line):
        est["filament_mm"] = float(m.group(1))
    elif m := _PRUSA_G.search(line):
        if float(m.group(1)) > 0:
            est["filament_g"] = float(m.group(1))
    elif m := _CURA_TIME.match(line):
        est["time_s"] = float(m.group(1))
    elif m := _CURA_M.match(line):
        est["filament_mm"] = float(m.group(1)) * 1000.0


def check_gcode(gcode_path, settings: SliceSettings, model_height: float, stl_path=None) -> GcodeReport:
    """Read ``gcode_path`` once and return what it does and which rules it breaks.

    ``stl_path``, the mesh that was sliced, is read only if the G-code has fewer layers than
    ``model_height`` asks for: it tells whether the part's top is thinner than a line
    (``printable_height``), which no slicer prints.
    """
    findings = _Findings()
    machine = _Machine(settings, findings)
    report = GcodeReport()
    n = 0
    with open(gcode_path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            cut = line.find(";")
            if cut == 0:
                _read_comment(line, report)
                continue
            text = (line if cut < 0 else line[:cut]).strip()
            if not text:
                continue
            head, _, rest = text.partition(" ")
            if len(head) > 1 and not head[1:].isdigit():  # "G1X10Y10": no space after the command
                m = _HEAD.match(text)
                if not m:
                    continue
                head, rest = m.group(1), m.group(2)
            code = _normalise(head)
            handler = _COMMANDS.get(code)
            if handler is not None:
                handler(machine, n, code, _words(rest))
    report.lines = n
    _slicer_placeholders(report)
    _finish(report, machine, findings, settings, model_height, stl_path)
    return report


def _words(rest: str) -> dict:
    """'X10.5 Y-2 E.3' -> {'X': 10.5, 'Y': -2.0, 'E': 0.3}; slicers always separate words by spaces,
    the regular expression serves the rest ("X10Y5", "S 200", text after M117)."""
    if rest.isupper():
        try:
            return {w[0]: float(w[1:]) for w in rest.split()}
        except (ValueError, IndexError):
            pass
    return {k.upper(): float(v) for k, v in _WORD.findall(rest)}


_CODES: dict = {}


def _normalise(head: str) -> str:
    """'g01' -> 'G1' (memoised: a file uses a handful of codes)."""
    code = _CODES.get(head)
    if code is None:
        letter, number = head[0].upper(), head[1:]
        code = _CODES[head] = letter + (str(int(number)) if number.isdigit() else number)
    return code


def _slicer_placeholders(report: GcodeReport) -> None:
    # CuraEngine's command line leaves the header as the GUI would before filling it in:
    # ";TIME:6666" and ";Filament used: 0m". Those are not estimates.
    est = report.slicer_estimates
    if est.get("filament_mm") == 0.0:
        est.pop("filament_mm")
        est.pop("time_s", None)


def _finish(report: GcodeReport, m: _Machine, findings: _Findings, settings: SliceSettings, model_height: float, stl_path) -> None:
    report.est_time_s = m.time_s
    report.filament_mm = max(0.0, m.filament)
    area_mm2 = math.pi * (settings.printer.filament_diameter / 2.0) ** 2
    report.filament_g = report.filament_mm * area_mm2 / 1000.0 * settings.material.density
    report.max_nozzle_temp, report.max_bed_temp = m.max_nozzle, m.max_bed
    if m.hi[0] > -math.inf:
        report.bounds = (tuple(round(v, 3) for v in m.lo), tuple(round(v, 3) for v in m.hi))

    if not m.layers:
        findings.add("error", "no_extrusion", "the G-code extrudes nothing")
    else:
        _check_layers(report, sorted(m.layers), findings, settings, model_height, stl_path)
    if m.nozzle_target > 0:
        findings.add("error", "end_heaters", f"the nozzle heater is left at {m.nozzle_target:g} °C at the end (no M104 S0)")
    if m.bed_ever_on and m.bed_target > 0:
        findings.add("error", "end_heaters", f"the bed heater is left at {m.bed_target:g} °C at the end (no M140 S0)")
    if m.extruded_yet and not m.motors_off_after_print:
        findings.add("warning", "end_motors", "the motors are not switched off at the end (no M84)")
    if m.fan > 0:
        findings.add("warning", "end_fan", "the part fan is left on at the end (no M107)")
    report.problems = findings.problems()


def _check_layers(report: GcodeReport, zs: list, findings: _Findings, settings: SliceSettings, model_height: float, stl_path) -> None:
    quality = settings.quality
    lh, first = quality.layer_height, quality.first_layer_height
    report.layer_count = len(zs)
    report.first_layer_z = zs[0]
    steps = [round(b - a, 3) for a, b in zip(zs, zs[1:])]
    if steps:
        report.layer_height = max(set(steps), key=steps.count)
    if abs(zs[0] - first) > Z_TOLERANCE_MM:
        findings.add("error", "first_layer", f"the first layer is printed at Z{zs[0]:g}, expected Z{first:g}")
    step_tolerance = max(Z_TOLERANCE_MM, 0.05 * lh)
    for a, step in zip(zs, steps):
        if step > 1.5 * lh:
            findings.add("error", "missing_layer", f"no extrusion between Z{a:g} and Z{a + step:g}: a layer is missing")
        elif abs(step - lh) > step_tolerance:
            findings.add("error", "layer_height", f"a layer {step:g} mm thick above Z{a:g}; the quality asks for {lh:g} mm")
    expected = _layers_up_to(model_height, first, lh)
    fewest, unread = expected, ""
    if len(zs) < expected - 1 and stl_path is not None:
        # A part that ends in a point or a ridge (a pyramid, a cone, a prism lying on a face, the
        # crown of a clip) is thinner than a line in its top layers, and slicers leave those out:
        # the built-in slicer and PrusaSlicer stop one layer below a 20 mm pyramid's tip, CuraEngine
        # two. Only the mesh can tell that from a part cut short, so it is read for this case alone.
        try:
            fewest = min(expected, _layers_up_to(printable_height(stl_path, quality, line_width(settings)), first, lh))
        except (ImportError, AgentError) as exc:  # no allowance without the mesh: the count stands
            unread = f" (the mesh, which could show a top thinner than a line, was not read: {exc})"
    if not fewest - 1 <= len(zs) <= expected + 1:
        about = f"about {expected}" if fewest == expected else f"{fewest} to {expected} (its top is thinner than a line)"
        findings.add("error", "layer_count", f"{len(zs)} layers for a part {model_height:g} mm tall; expected {about}{unread}")


def _layers_up_to(height: float, first: float, lh: float) -> int:
    return max(1, round((height - first) / lh) + 1)


def printable_height(stl_path, quality: Quality, width: float) -> float:
    """The top of the highest layer in which the part in ``stl_path`` is at least one line of
    ``width`` wide, its section taken at the layer's middle as the slicers take it; layers above
    have nothing a nozzle can draw."""
    from .builtin.layers import layer_specs
    from .builtin.mesh_input import load_solid

    solid = load_solid(str(stl_path))
    bottom, top = solid.bounding_box()[2], solid.bounding_box()[5]
    specs = layer_specs(top - bottom, quality)
    for spec in reversed(specs):
        middle = bottom + min(spec.z - spec.height / 2.0, top - bottom - 1e-4)
        if not solid.slice(middle).offset(-width / 2.0).is_empty():
            return spec.z
    return specs[0].z
