"""The pipeline: understand -> design -> check -> slice, as named stage functions.

The pipeline only sequences stages, times them, reports progress and honours cancel. Each stage
writes what it produced into ``JobOutputs`` as soon as it has it, so a later failure never loses
the spec, the report or the model made before it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Optional

from ..model.materials import material_preset, quality_preset
from ..model.printer import PrinterProfile
from ..slicing.profiles import SliceSettings
from ..model.errors import AgentError
from .job_request import JobRequest
from ..model.progress import StageContext
from ..model.spec import DesignSpec

STAGES = ("understanding", "designing", "checking", "slicing")

Understand = Callable[[str, str, StageContext], DesignSpec]  # (prompt, material, ctx) -> spec


@dataclass
class JobOutputs:
    """Filled stage by stage; whatever is here when a stage fails is kept and shown."""

    spec: Optional[DesignSpec] = None
    report: Optional[dict] = None
    stl_path: Optional[str] = None
    gcode_path: Optional[str] = None
    gcode: Optional[dict] = None
    slicer: Optional[str] = None
    timings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "spec": self.spec.to_dict() if self.spec else None,
            "report": self.report,
            "gcode": self.gcode,
            "slicer": self.slicer,
            "timings": dict(self.timings),
        }


@dataclass(frozen=True)
class SlicingConfig:
    slicer: str = "auto"
    found: Mapping[str, Optional[str]] = field(default_factory=dict)
    material_overrides: Mapping[str, Mapping] = field(default_factory=dict)
    timeout_s: float = 600.0


# -- stages ----------------------------------------------------------------------------------


def understand_stage(request: JobRequest, understand: Understand, ctx: StageContext) -> DesignSpec:
    if request.spec is not None:
        data = dict(request.spec)
        data.setdefault("material", request.material)
        data.setdefault("backend", "user")
        return DesignSpec.from_dict(data)
    if request.csg is not None:
        return DesignSpec.from_dict({"kind": "csg", "csg": request.csg, "material": request.material, "backend": "user"})
    return understand(request.prompt, request.material, ctx)


def design_stage(spec: DesignSpec, printer: PrinterProfile):
    """Spec -> (mesh ready to print, printability report). Raises AgentError if it cannot print."""
    from ..cad.printability import prepare_for_print
    from ..cad.shapes import build_part

    mesh = build_part(spec)
    return prepare_for_print(mesh, printer, quantity=spec.quantity)


def slice_settings(material: str, quality: str, infill_percent: int, printer: PrinterProfile, config: SlicingConfig) -> SliceSettings:
    if not isinstance(infill_percent, int) or isinstance(infill_percent, bool) or not 0 <= infill_percent <= 100:
        raise AgentError("slicing", f"infill must be a whole percentage from 0 to 100, not {infill_percent!r}")
    return SliceSettings(
        printer=printer,
        material=material_preset(material, config.material_overrides),
        quality=quality_preset(quality),
        infill_percent=infill_percent,
    )


def slice_stage(stl_path: str, gcode_path: str, settings: SliceSettings, config: SlicingConfig, ctx: StageContext):
    """STL -> checked G-code. Returns (SliceResult, GcodeReport); no G-code file is left on failure.

    ``slice_file`` checks the G-code against the bed and the material before it puts the file in
    place, so a G-code file that exists here has passed that check.
    """
    from ..slicing import choose_slicer, slice_file

    slicer = choose_slicer(config.slicer, config.found)
    result = slice_file(stl_path, gcode_path, settings, slicer, ctx, timeout_s=config.timeout_s)
    return result, result.report


# -- the pipeline ----------------------------------------------------------------------------


@dataclass
class Pipeline:
    understand: Understand
    slicing: SlicingConfig
    on_stage_done: Callable[[str, float], None] = lambda stage, seconds: None

    def run(self, request: JobRequest, printer: PrinterProfile, workdir: Path, name: str, outputs: JobOutputs, ctx: StageContext) -> JobOutputs:
        from ..cad.mesh_io import write_stl

        settings = slice_settings(request.material, request.quality, request.infill_percent, printer, self.slicing)

        with self._stage("understanding", outputs, ctx):
            outputs.spec = understand_stage(request, self.understand, ctx)

        with self._stage("designing", outputs, ctx):
            mesh, report = design_stage(outputs.spec, printer)
            outputs.report = report.to_dict()
            stl_path = str(Path(workdir) / f"{name}.stl")
            write_stl(mesh, stl_path)
            outputs.stl_path = stl_path

        with self._stage("checking", outputs, ctx):
            if not report.ok:
                errors = [c.message for c in report.checks if c.level == "error"]
                raise AgentError("checking", "the part cannot be printed: " + "; ".join(errors))

        with self._stage("slicing", outputs, ctx):
            gcode_path = str(Path(workdir) / f"{name}.gcode")
            result, gcode = slice_stage(stl_path, gcode_path, settings, self.slicing, ctx)
            outputs.slicer = result.slicer
            outputs.gcode = gcode.to_dict()
            outputs.gcode_path = gcode_path
        return outputs

    def _stage(self, stage: str, outputs: JobOutputs, ctx: StageContext):
        return _TimedStage(stage, outputs, ctx, self.on_stage_done)


class _TimedStage:
    """Reports the stage's start, checks cancel, and records its duration even when it fails."""

    def __init__(self, stage, outputs, ctx, on_done):
        self.stage, self.outputs, self.ctx, self.on_done = stage, outputs, ctx, on_done

    def __enter__(self):
        self.ctx.report(self.stage, 0.0, f"{self.stage}...")
        self.started = time.perf_counter()

    def __exit__(self, exc_type, exc, tb):
        seconds = time.perf_counter() - self.started
        self.outputs.timings[self.stage] = round(seconds, 4)
        self.on_done(self.stage, seconds)
        if exc_type is None:
            self.ctx.report(self.stage, 1.0, "done")
        elif not isinstance(exc, AgentError):
            # A bug in a stage is still reported as that stage's failure, with its type.
            raise AgentError(self.stage, f"unexpected error: {type(exc).__name__}: {exc}", reason="failed") from exc
        return False
