"""Slicing: choose a backend, run it as a low-priority subprocess, check what it wrote, and only
then put the G-code in place. A failure at any step leaves no G-code behind.

Backends: PrusaSlicer and CuraEngine when installed, the built-in slicer always
(``python -m octoprint_aiagent.slicing.builtin``). Neither external slicer refuses a part larger
than the bed or an open mesh, so the STL is checked before slicing and the G-code after.

This package must stay cheap to import (the OctoPrint plugin imports ``profiles``): trimesh and
the backends are imported inside the functions that need them.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from ..model.errors import AgentError
from ..model.printer import PrinterProfile
from ..model.progress import StageContext
from .gcode_check import GcodeReport
from .isolated_check import check_gcode_isolated
from .profiles import SliceSettings

STAGE = "slicing"
PREFERENCE = ("prusaslicer", "curaengine", "builtin")  # the order "auto" tries
LABELS = {"prusaslicer": "PrusaSlicer", "curaengine": "CuraEngine", "builtin": "the built-in slicer"}
_EXECUTABLES = {"prusaslicer": ("prusa-slicer", "PrusaSlicer", "prusaslicer"), "curaengine": ("CuraEngine",)}
_BUILTIN_MODULE = "octoprint_aiagent.slicing.builtin"
_INSTALL_HINTS = {
    "prusaslicer": "install PrusaSlicer (Debian/Ubuntu: apt-get install prusa-slicer) or choose slicer auto",
    "curaengine": (
        "install CuraEngine (apt-get install cura-engine) and its machine definitions: fdmprinter.def.json and "
        "fdmextruder.def.json from Cura's resources/definitions in /usr/share/cura/resources/definitions, "
        "$AIAGENT_CURA_DEFINITIONS or ~/.cache/octoprint_aiagent/cura-definitions; or choose slicer auto"
    ),
}
# Rules whose failure means the part does not fit the printer (the user's to change), not a slicer bug.
_FIT_RULES = {"outside_bed", "build_height"}
_CENTRE_TOLERANCE_MM = 0.01


def find_slicers() -> dict:
    """name -> executable, or None if that backend cannot run here. "builtin" is always present."""
    from . import cura

    found: dict = {}
    for name, candidates in _EXECUTABLES.items():
        found[name] = next((path for path in map(shutil.which, candidates) if path), None)
    if found["curaengine"] and cura.find_definitions() is None:
        found["curaengine"] = None  # the engine alone cannot slice: it has no machine definitions
    found["builtin"] = f"{sys.executable} -m {_BUILTIN_MODULE}"
    return found


def choose_slicer(preference: str, found: dict) -> str:
    """The backend to use: the first available for "auto", else the one asked for if it is available."""
    if preference == "auto":
        # ``found`` was looked up when OctoPrint started: one uninstalled since is passed over.
        return next(name for name in PREFERENCE if name == "builtin" or (found.get(name) and shutil.which(found[name])))
    if preference not in PREFERENCE:
        raise AgentError(STAGE, f"unknown slicer {preference!r}", hint="choose auto, prusaslicer, curaengine or builtin")
    if preference != "builtin" and not found.get(preference):
        raise AgentError(STAGE, f"{LABELS[preference]} is not available on this machine", hint=_INSTALL_HINTS[preference])
    return preference


@dataclass(frozen=True)
class SliceResult:
    slicer: str
    gcode_path: str
    seconds: float  # wall time of the slicer process
    model_height: float
    report: GcodeReport  # the check of the file now at gcode_path
    slicer_estimates: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "slicer": self.slicer,
            "gcode_path": self.gcode_path,
            "seconds": round(self.seconds, 3),
            "model_height": self.model_height,
            "gcode": self.report.to_dict(),
            "slicer_estimates": dict(self.slicer_estimates),
        }


@dataclass(frozen=True)
class _Backend:
    build_command: Callable  # (executable, stl, out, settings, workdir, model_height) -> argv
    parse_progress: Callable
    parse_estimates: Callable  # (output lines) -> dict
    finish: Callable = lambda gcode_path, estimates, settings: None  # fix up the file before the check
    invalid_exit_codes: tuple = ()


def _backends() -> dict:
    from . import cura, prusa

    return {
        "prusaslicer": _Backend(prusa.build_command, prusa.parse_progress, prusa.parse_estimates),
        "curaengine": _Backend(cura.build_command, cura.parse_progress, cura.parse_estimates, cura.fill_header),
        "builtin": _Backend(_builtin_command, _builtin_progress, lambda lines: {}, invalid_exit_codes=(2,)),
    }


def slice_file(
    stl_path, gcode_path, settings: SliceSettings, slicer: str, ctx: StageContext, *,
    found: Mapping[str, Optional[str]], timeout_s: float = 600.0, model_height: Optional[float] = None,
) -> SliceResult:  # fmt: skip
    """Slice ``stl_path`` into ``gcode_path`` with ``slicer`` (``found``: ``find_slicers()``) and
    check the result.

    ``model_height`` given means the caller vouches for the mesh (the design stage made it closed,
    centred on XY (0, 0), standing on z=0 and within the printer), so it is not read again here;
    without it the STL is loaded and checked first. (The G-code check, in its child process, reads
    it only when the layers stop short of the part's top: to tell a pointed top, which no slicer
    prints, from a print cut short.) Raises AgentError (stage "slicing"): "invalid" for a mesh that
    is open or does not fit the printer, "failed" for a slicer that crashes, hangs past
    ``timeout_s`` or writes G-code that fails its check, Cancelled on cancel. ``gcode_path`` is
    written only when everything passed.
    """
    from .runner import child_environment, run_command

    backends = _backends()
    if slicer not in backends:
        raise AgentError(STAGE, f"unknown slicer {slicer!r}", hint="choose auto, prusaslicer, curaengine or builtin")
    label = LABELS[slicer]
    executable = sys.executable if slicer == "builtin" else found.get(slicer)
    # ``found`` was looked up when OctoPrint started: a slicer uninstalled since is missing too.
    if not executable or not shutil.which(executable):
        raise AgentError(STAGE, f"{label} is not available on this machine", hint=_INSTALL_HINTS[slicer])
    backend = backends[slicer]

    mesh = None
    if model_height is None:
        ctx.report(STAGE, 0.0, "checking the mesh")
        mesh = _load_checked_mesh(str(stl_path), settings.printer)
        model_height = float(mesh.extents[2])
    gcode_path = Path(gcode_path)
    try:  # beside the destination, so that the finished file moves into place atomically
        workdir = Path(tempfile.mkdtemp(prefix=".aiagent-slice-", dir=gcode_path.parent))
    except OSError as exc:
        raise AgentError(STAGE, f"cannot write G-code into {gcode_path.parent}: {exc.strerror}", reason="failed") from exc
    try:
        stl_in = str(stl_path) if slicer != "builtin" or mesh is None else _centred_stl(mesh, str(stl_path), workdir)
        out = workdir / "out.gcode"
        argv = backend.build_command(executable, stl_in, str(out), settings, workdir, model_height)
        ctx.report(STAGE, 0.05, f"{label} is slicing")
        run = run_command(
            argv, ctx, name=label, timeout_s=timeout_s, parse_progress=_scaled(backend.parse_progress),
            cwd=str(workdir), env=child_environment(), invalid_exit_codes=backend.invalid_exit_codes,
        )  # fmt: skip
        if not out.is_file() or out.stat().st_size == 0:
            raise AgentError(STAGE, f"{label} finished but wrote no G-code: {run.tail() or 'no output'}", reason="failed")
        estimates = backend.parse_estimates(run.stdout_tail + run.stderr_tail)
        backend.finish(out, estimates, settings)
        ctx.report(STAGE, 0.9, "checking the G-code")
        report = check_gcode_isolated(out, settings, model_height, ctx, workdir, stl_path=stl_in)
        if not report.ok:
            fits = set(report.rules_failed) <= _FIT_RULES
            raise AgentError(
                STAGE,
                f"the G-code from {label} fails its check: " + "; ".join(report.errors[:5]),
                reason="invalid" if fits else "failed",
                hint="make the part smaller or turn the skirt off" if fits else "this is a slicer or profile problem; try another slicer",
            )
        ctx.check(STAGE)
        os.replace(out, gcode_path)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return SliceResult(slicer, str(gcode_path), run.seconds, model_height, report, {**report.slicer_estimates, **estimates})


def _scaled(parse: Callable) -> Callable:
    """The slicer's own 0..1 becomes 0.05..0.85 of the stage: the mesh and G-code checks are the rest."""

    def parse_scaled(line: str):
        parsed = parse(line)
        return None if parsed is None else (0.05 + 0.8 * float(parsed[0]), parsed[1])

    return parse_scaled


# -- the mesh, before any slicer sees it ------------------------------------------------------


def _load_checked_mesh(stl_path: str, printer: PrinterProfile):
    """Load the STL; raise "invalid" if it is open, empty, or larger than the printer."""
    import trimesh

    if not os.path.isfile(stl_path):
        raise AgentError(STAGE, f"no mesh file at {stl_path}")
    try:
        mesh = trimesh.load_mesh(stl_path)
    except Exception as exc:  # trimesh raises many kinds on a broken file
        raise AgentError(STAGE, f"cannot read the mesh {os.path.basename(stl_path)}: {exc}") from exc
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise AgentError(STAGE, f"the mesh {os.path.basename(stl_path)} has no triangles")
    if not mesh.is_watertight:
        open_edges = len(trimesh.grouping.group_rows(mesh.edges_sorted, require_count=1))
        raise AgentError(
            STAGE,
            f"the mesh is not closed ({open_edges} edges border a hole or a loose face), so a slicer would have "
            "to guess what is inside",
            hint="repair the model (close its holes) or design the part again",
        )
    _check_fits(mesh, printer)
    return mesh


def _check_fits(mesh, printer: PrinterProfile) -> None:
    x, y, z = (float(v) for v in mesh.extents)
    centre = (mesh.bounds[0][:2] + mesh.bounds[1][:2]) / 2.0
    radius = float(((mesh.vertices[:, :2] - centre) ** 2).sum(axis=1).max() ** 0.5)
    if not printer.fits(x, y, z, radius, turn=False):
        raise AgentError(
            STAGE,
            f"the part is {x:.1f} x {y:.1f} x {z:.1f} mm; it does not fit {printer.describe()}",
            hint="scale the part down, split it, or choose a larger printer profile",
        )


def _centred_stl(mesh, stl_path: str, workdir: Path) -> str:
    """The built-in slicer expects the part centred at XY 0 and standing on Z 0; move it if it is not."""
    centre = (mesh.bounds[0] + mesh.bounds[1]) / 2.0
    offset = [-centre[0], -centre[1], -mesh.bounds[0][2]]
    if max(abs(v) for v in offset) <= _CENTRE_TOLERANCE_MM:
        return stl_path
    moved = mesh.copy()
    moved.apply_translation(offset)
    path = workdir / "centred.stl"
    moved.export(str(path))
    return str(path)


# -- the built-in slicer, run like the others -------------------------------------------------


def _builtin_command(executable: str, stl_path: str, out_path: str, settings: SliceSettings, workdir: Path, model_height: float) -> list:
    settings_path = workdir / "settings.json"
    settings_path.write_text(json.dumps(settings.to_dict()), encoding="utf-8")
    return [executable, "-m", _BUILTIN_MODULE, "--settings", str(settings_path), stl_path, out_path]


def _builtin_progress(line: str):
    parts = line.split(None, 2)
    if len(parts) < 2 or parts[0] != "progress":
        return None
    try:
        return float(parts[1]), parts[2] if len(parts) > 2 else ""
    except ValueError:
        return None
