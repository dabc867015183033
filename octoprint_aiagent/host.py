"""The plugin's long-lived services, wired to OctoPrint: one of each, started once, stopped once."""

from __future__ import annotations

import json
import os
import threading
import zlib
from dataclasses import asdict, dataclass, field, replace
from typing import Optional

from .agent.design_worker import DesignWorker
from .agent.jobs import Job, JobStore
from .agent.pipeline import Pipeline, PipelineConfig, designer_in, inspector_in
from .agent.runner import JobRunner
from .capabilities import design_unavailable
from .model.materials import MATERIALS, QUALITIES, material_preset
from .model.progress import StageContext
from .perf.metrics import Metrics
from .perf.sampler import ResourceSampler
from .printer_adapter import PrinterAdapter

# Events after which the printer profile /status reports may differ (a profile edited, another
# one selected by connecting).
PROFILE_EVENTS = ("PrinterProfileModified", "PrinterProfileAdded", "PrinterProfileDeleted", "Connected")


@dataclass
class Services:
    plugin: object
    metrics: Metrics
    sampler: ResourceSampler
    printer: PrinterAdapter
    slicers: dict
    design_worker: DesignWorker = field(default_factory=DesignWorker)
    runner: Optional[JobRunner] = None
    _understander: object = None
    _llm_loop: object = None
    _status_json: bytes = b"{}"
    _status_version: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, plugin) -> Services:
        from .slicing import find_slicers

        sampler = ResourceSampler(interval=1.0)
        sampler.start()
        services = cls(
            plugin=plugin,
            metrics=Metrics(sampler=sampler),
            sampler=sampler,
            printer=PrinterAdapter(plugin._printer, plugin._file_manager, plugin._printer_profile_manager),
            slicers=find_slicers(),
        )
        store = JobStore(os.path.join(plugin.get_plugin_data_folder(), "jobs.sqlite3"))
        for job in store.mark_interrupted():
            plugin._logger.warning("Job %s was interrupted by a restart while %s", job.id, job.error["stage"])
        pipeline = Pipeline(
            understand=services.understand,
            designer=designer_in(services.design_worker, lambda: services.runner.pipeline.config.design_timeout_s),
            # config: set from the settings by refresh_settings()
            on_stage_done=lambda stage, seconds: services.metrics.observe("stage_seconds", seconds, stage=stage),
            refine=services.refine,
        )
        services.runner = JobRunner(
            store,
            pipeline,
            OctoPrintJobHost(services),
            workers=1,
            max_queued=int(services.settings("max_queued_jobs", default=20)),
            per_minute=int(services.settings("max_jobs_per_minute", default=30)),
        )
        services.refresh_settings()
        return services

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.close()
        if self._llm_loop is not None:
            self._llm_loop.stop()
        self.design_worker.close()
        self.sampler.stop()

    # -- settings ----------------------------------------------------------------------------

    def settings(self, *path, default=None):
        value = self.plugin._settings.get(list(path))
        return default if value is None else value

    def refresh_settings(self) -> None:
        """Apply settings that the running services hold (called at start and after a save)."""
        self.runner.pipeline.config = PipelineConfig(
            slicer=self.settings("slicer", default="auto"),
            found=self.slicers,
            material_overrides=self.settings("materials", default={}),
            default_material=self.settings("default_material", default="PLA"),
            fit_clearance=float(self.settings("fit_clearance", default=0.2)),
            slicer_timeout_s=float(self.settings("slicer_timeout", default=600)),
            design_timeout_s=float(self.settings("design_timeout", default=120)),
        )
        self.runner.max_queued = int(self.settings("max_queued_jobs", default=20))
        self.runner.limiter.per_minute = int(self.settings("max_jobs_per_minute", default=30))
        self.refresh_status()

    def refresh_status(self) -> None:
        """Serialise what /status reports that only the settings or the printer profile can
        change, once: rebuilding and reading OctoPrint's settings and profiles on every poll
        halved the route's throughput (BENCHMARKS.md)."""
        backend = self.settings("llm", "backend", default="offline")
        overrides = self.runner.pipeline.config.material_overrides
        settled = {
            "version": self.plugin._plugin_version,
            "design_unavailable": design_unavailable(),  # null, or why this Python cannot design and what to do
            "octoprint": _octoprint_version(),
            "understanding": {
                "backend": backend,
                "model": self.settings("llm", "model", default="") if backend != "offline" else "",
                "offline_parser": True,
                "rounds": self.llm_rounds(),
                "confirm_assumptions": self.confirm_assumptions(),
            },
            "slicers": {"found": {k: v for k, v in self.slicers.items() if v}, "setting": self.runner.pipeline.config.slicer},
            "materials": {name: material_preset(name, overrides).to_dict() for name in MATERIALS},
            "default_material": self.runner.pipeline.config.default_material,
            "qualities": {name: asdict(q) for name, q in QUALITIES.items()},
            "printer_profile": self.printer.profile().to_dict(),
        }
        with self._lock:
            self._status_json = json.dumps(settled, separators=(",", ":")).encode()
            self._status_version += 1

    def llm_config(self):
        """The configured LLM, or None for the offline parser."""
        from .llm.config import LLMConfig

        backend = self.settings("llm", "backend", default="offline")
        if backend == "offline":
            return None
        return LLMConfig(
            backend=backend,
            base_url=self.settings("llm", "base_url", default=""),
            model=self.settings("llm", "model", default=""),
            api_key=self.settings("llm", "api_key", default=""),
            timeout_s=float(self.settings("llm", "timeout", default=60)),
        )

    # -- understanding -----------------------------------------------------------------------

    @property
    def understander(self):
        with self._lock:
            if self._understander is None:
                from .agent.understand import Understander
                from .llm.loop import LoopThread

                self._llm_loop = LoopThread()
                config = lambda: self.runner.pipeline.config  # noqa: E731  (the settings as they are at each call)
                inspect = inspector_in(self.design_worker, self.printer.profile, lambda: config().fit_clearance,
                                       lambda: config().design_timeout_s)
                self._understander = Understander(self._llm_loop, metrics=self.metrics, inspect=inspect)
            return self._understander

    def llm_rounds(self) -> int:
        return int(self.settings("llm", "rounds", default=3))

    def confirm_assumptions(self) -> bool:
        return bool(self.settings("confirm_assumptions", default=True))

    def understand(self, prompt: str, ctx: StageContext):
        try:
            config = self.llm_config()
        except ValueError as exc:
            # A half-configured LLM must not stop the maker: understand offline and say why.
            spec = self.understander.understand(prompt, None, ctx)
            return replace(spec, notes=spec.notes + (f"the LLM is not usable ({exc}); understood offline",))
        return self.understander.understand(prompt, config, ctx, rounds=self.llm_rounds())

    def refine(self, spec, instruction: str, ctx: StageContext):
        try:
            config = self.llm_config()
        except ValueError as exc:
            refined = self.understander.refine(spec, instruction, None, ctx)
            return replace(refined, notes=refined.notes + (f"the LLM is not usable ({exc}); changed offline",))
        return self.understander.refine(spec, instruction, config, ctx, rounds=self.llm_rounds())

    def test_llm(self, backend: str, base_url: str, model: str, api_key: str, timeout_s: float) -> dict:
        """For the settings page's "Test connection": reachable? which models?"""
        from .llm.config import LLMConfig

        try:
            config = LLMConfig(backend=backend, base_url=base_url, model=model or "(none)", api_key=api_key or self.settings("llm", "api_key", default=""), timeout_s=timeout_s)
        except ValueError as exc:
            return {"ok": False, "reachable": False, "message": str(exc), "models": []}
        return self.understander.check_connection(config).to_dict()

    # -- what the routes show ----------------------------------------------------------------

    def status(self) -> tuple[bytes, str]:
        """The /status answer as JSON bytes, and its ETag. Only the live part (the printer's state
        and the job history's health) is read per request; it is small."""
        live = {"printer": self.printer.state().to_dict(), "jobs_problem": self.runner.store.problem}
        live_json = json.dumps(live, separators=(",", ":")).encode()
        settled, version = self._status_json, self._status_version
        body = settled[:-1] + b"," + live_json[1:]
        return body, f'"{version}-{zlib.crc32(live_json):08x}"'

    def metrics_snapshot(self, since: Optional[float] = None) -> dict:
        return self.metrics.snapshot(since=since)

    # -- OctoPrint events --------------------------------------------------------------------

    def on_octoprint_event(self, event: str, payload: dict) -> None:
        if event in ("PrintStarted", "PrintDone", "PrintFailed", "PrintCancelled"):
            self.runner.on_print_event(event, payload.get("path"), payload.get("reason", ""))
        elif event in PROFILE_EVENTS:
            self.refresh_status()


@dataclass
class OctoPrintJobHost:
    """What the job runner needs from OctoPrint, through the printer adapter."""

    services: Services

    def printer_profile(self):
        return self.services.printer.profile()

    def store_file(self, name: str, path: str, metadata: dict) -> str:
        return self.services.printer.store(name, path, metadata)

    def remove_file(self, path: str) -> None:
        self.services.printer.remove(path)

    def start_print(self, path: str, user: str) -> None:
        self.services.printer.start_print(path, user)

    def cancel_print(self, path: str, user: str) -> None:
        self.services.printer.cancel_print(path, user)

    def print_without_asking(self) -> bool:
        return bool(self.services.settings("print_without_asking", default=False))

    def confirm_assumptions(self) -> bool:
        return self.services.confirm_assumptions()

    def publish(self, job: Job) -> None:
        plugin = self.services.plugin
        data = job.to_dict()
        plugin._plugin_manager.send_plugin_message(plugin._identifier, {"type": "job", "job": data})
        plugin._event_bus.fire("plugin_aiagent_job_state", {"id": job.id, "state": job.state, "stage": job.stage})


def _octoprint_version() -> Optional[str]:
    from octoprint import __version__

    return __version__
