"""The pipeline: understand -> design -> check -> slice, as named stage functions.

The pipeline only sequences stages, times them, reports progress and honours cancel. Each stage
writes what it produced into ``JobOutputs`` as soon as it has it, so a later failure never loses
the spec, the report or the model made before it. The command line and the plugin run this same
sequence; only the designer differs (in process for the command line, the design worker process
in OctoPrint).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from ..model.errors import AgentError
from ..model.materials import DEFAULT_MATERIAL, material_preset, quality_preset
from ..model.printer import PrinterProfile
from ..model.progress import StageContext
from ..model.spec import Assumption, DesignSpec
from ..slicing.profiles import SliceSettings
from .job_request import JobRequest

STAGES = ("understanding", "designing", "checking", "slicing")

Understand = Callable[[str, StageContext], DesignSpec]  # (prompt, ctx) -> spec
Refine = Callable[[DesignSpec, str, StageContext], DesignSpec]  # (spec, instruction, ctx) -> the changed spec
Designer = Callable[[DesignSpec, PrinterProfile, str, float, StageContext], dict]  # (..., fit clearance, ctx) -> report


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
class PipelineConfig:
    """What the settings say about running the stages."""

    slicer: str = "auto"
    found: Mapping[str, Optional[str]] = field(default_factory=dict)  # slicing.find_slicers()
    material_overrides: Mapping[str, Mapping] = field(default_factory=dict)
    default_material: str = DEFAULT_MATERIAL
    fit_clearance: float = 0.2  # mm per side, for parts that must fit (threads, screw holes, lids)
    slicer_timeout_s: float = 600.0
    design_timeout_s: float = 120.0


# -- stages ----------------------------------------------------------------------------------


def understand_stage(request: JobRequest, understand: Understand, refine: Refine, config: PipelineConfig, ctx: StageContext) -> DesignSpec:
    if request.spec is not None:
        spec = DesignSpec.from_dict(dict(request.spec, backend=request.spec.get("backend") or "user"))
    elif request.part is not None:
        spec = DesignSpec.from_dict({"part": request.part, "backend": "user"})
    elif request.base is not None:
        spec = refine(DesignSpec.from_dict(request.base), request.prompt, ctx)
    else:
        spec = understand(request.prompt, ctx)
    return with_material(spec, request.material, config.default_material)


def refine_offline(spec: DesignSpec, instruction: str, ctx: StageContext) -> DesignSpec:
    from ..language.refine import refine_spec

    return refine_spec(spec, instruction)


def with_material(spec: DesignSpec, chosen: Optional[str], default: str) -> DesignSpec:
    """The material comes from one place, the spec, decided here in this order: the one chosen
    in the request's ``material`` field, else the one the request's words name, else the default.
    Everything downstream (slicing, the G-code check, the print dialog) reads ``spec.material``."""
    if chosen:
        chosen = material_preset(chosen).name
        if spec.material and spec.material != chosen:
            note = f"the request says {spec.material}; {chosen} was chosen in the material field and is used"
            return spec.with_changes(material=chosen, notes=spec.notes + (note,))
        return spec.with_changes(material=chosen)
    if spec.material:
        return spec
    reason = "default: the request names no material"
    return spec.with_changes(material=material_preset(default).name, assumptions=spec.assumptions + (Assumption("material", default, reason),))


def design_in_process(spec: DesignSpec, printer: PrinterProfile, stl_path: str, clearance: float, ctx: StageContext) -> dict:
    from .design import design_part

    return design_part(spec.to_dict(), printer.to_dict(), stl_path, clearance, report=lambda f, m: ctx.report("designing", f, m))


def check_stage(report: dict) -> None:
    if not report["ok"]:
        errors = [c["message"] for c in report["checks"] if c["level"] == "error"]
        raise AgentError("checking", "the part cannot be printed: " + "; ".join(errors))


def slice_settings(spec: DesignSpec, quality: str, infill_percent: int, printer: PrinterProfile, config: PipelineConfig) -> SliceSettings:
    return SliceSettings(
        printer=printer,
        material=material_preset(spec.material, config.material_overrides),
        quality=quality_preset(quality),
        infill_percent=infill_percent,
    )


def slice_stage(stl_path: str, gcode_path: str, settings: SliceSettings, config: PipelineConfig, ctx: StageContext, model_height: float):
    """STL made by the design stage -> checked G-code (a SliceResult); no G-code file on failure.

    ``slice_file`` checks the G-code against the bed and the material before it puts the file in
    place, so a G-code file that exists here has passed that check.
    """
    from ..slicing import choose_slicer, slice_file

    slicer = choose_slicer(config.slicer, config.found)
    return slice_file(stl_path, gcode_path, settings, slicer, ctx, found=config.found,
                      timeout_s=config.slicer_timeout_s, model_height=model_height)


# -- the pipeline ----------------------------------------------------------------------------


@dataclass
class Pipeline:
    understand: Understand
    designer: Designer
    config: PipelineConfig = field(default_factory=PipelineConfig)
    on_stage_done: Callable[[str, float], None] = lambda stage, seconds: None
    refine: Refine = refine_offline

    def run(self, request: JobRequest, printer: PrinterProfile, workdir: Path, name: str, outputs: JobOutputs,
            ctx: StageContext, until: str = "slicing", start: str = "understanding") -> JobOutputs:
        """Run the stages from ``start`` up to and including ``until``. A run that starts later
        continues from what ``outputs`` holds (a spec whose assumptions were confirmed)."""
        config = self.config  # one consistent view, even if the settings change meanwhile
        stages = STAGES[STAGES.index(start) : STAGES.index(until) + 1]
        if "understanding" in stages:
            with self._stage("understanding", outputs, ctx):
                outputs.spec = understand_stage(request, self.understand, self.refine, config, ctx)

        if "designing" in stages:
            with self._stage("designing", outputs, ctx):
                stl_path = str(Path(workdir) / f"{name}.stl")
                outputs.report = self.designer(outputs.spec, printer, stl_path, config.fit_clearance, ctx)
                outputs.stl_path = stl_path

        if "checking" in stages:
            with self._stage("checking", outputs, ctx):
                check_stage(outputs.report)

        if "slicing" in stages:
            with self._stage("slicing", outputs, ctx):
                settings = slice_settings(outputs.spec, request.quality, request.infill_percent, printer, config)
                gcode_path = str(Path(workdir) / f"{name}.gcode")
                result = slice_stage(outputs.stl_path, gcode_path, settings, config, ctx, model_height=outputs.report["bbox"][2])
                outputs.slicer = result.slicer
                outputs.gcode = dict(result.report.to_dict(), material=settings.material.name)
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


def inspector_in(worker, printer: Callable[[], PrinterProfile], clearance: Callable[[], float], timeout_s: Callable[[], float]):
    """The design loop's measuring (agent/inspect.py) in a ``design_worker.DesignWorker`` child
    process, for the printer profile and the settings as they are at each call."""

    def inspect(spec: DesignSpec, ctx: StageContext) -> dict:
        args = {"spec": spec.to_dict(), "printer": printer().to_dict(), "clearance": clearance()}
        return worker.call("inspect", args, ctx, stage="understanding", timeout_s=timeout_s())

    return inspect


def designer_in(worker, timeout_s: Callable[[], float]) -> Designer:
    """The designer that runs in a ``design_worker.DesignWorker`` child process; ``timeout_s``
    reads the current setting."""

    def design(spec: DesignSpec, printer: PrinterProfile, stl_path: str, clearance: float, ctx: StageContext) -> dict:
        args = {"spec": spec.to_dict(), "printer": printer.to_dict(), "stl_path": stl_path, "clearance": clearance}
        return worker.call("design", args, ctx, stage="designing", timeout_s=timeout_s())

    return design
