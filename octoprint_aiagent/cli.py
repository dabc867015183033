"""Command line over the same core the plugin uses: parse, design, slice, run.

Exit codes: 0 success, 2 bad input (the request, the part or the file cannot be served),
1 any other failure. Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Optional

from .model.errors import AgentError
from .model.progress import StageContext


def _understander(args):
    """(prompt, ctx) -> spec: offline, or the LLM named by the flags, its parts measured for the
    printer of ``--bed`` (its loop thread stops at exit)."""
    from .agent.understand import Understander, inspect_in_process

    if args.backend == "offline":
        return lambda prompt, ctx: Understander(None).understand(prompt, None, ctx)
    import atexit

    from .llm.config import LLMConfig
    from .llm.loop import LoopThread
    from .model.printer import PrinterProfile

    config = LLMConfig(
        backend=args.backend,
        base_url=args.base_url,
        model=args.model,
        api_key=os.environ.get("AIAGENT_LLM_API_KEY", ""),
        timeout_s=args.llm_timeout,
    )
    loop = LoopThread()
    atexit.register(loop.stop)
    printer = _printer(args) if hasattr(args, "bed") else PrinterProfile()
    understander = Understander(loop, inspect=inspect_in_process(printer))
    return lambda prompt, ctx: understander.understand(prompt, config, ctx, rounds=args.rounds)


def _pipeline(args, slicing: bool):
    from .agent.pipeline import Pipeline, PipelineConfig, design_in_process
    from .slicing import find_slicers

    config = PipelineConfig(
        slicer=getattr(args, "slicer", "auto"),
        found=find_slicers() if slicing else {},
        slicer_timeout_s=getattr(args, "timeout", 600.0),
    )
    return Pipeline(understand=_understander(args), designer=design_in_process, config=config)


def _request(args):
    from .agent.job_request import JobRequest

    return JobRequest(prompt=args.prompt, material=args.material, quality=getattr(args, "quality", "normal"),
                      infill_percent=getattr(args, "infill", 20))


def _printer(args):
    from .model.printer import parse_bed

    return parse_bed(args.bed, nozzle=args.nozzle)


def _progress_to_stderr(stage: str, fraction: float, message: str) -> None:
    if os.environ.get("AIAGENT_QUIET"):
        return
    print(f"[{stage} {fraction:4.0%}] {message}", file=sys.stderr)


def _run(args, until: str, workdir: str):
    """The plugin's pipeline up to ``until``; the report file is written even when a stage fails."""
    from .agent.pipeline import JobOutputs

    outputs = JobOutputs()
    printer = _printer(args) if until != "understanding" else None
    ctx = StageContext(on_progress=_progress_to_stderr)
    try:
        return _pipeline(args, until == "slicing").run(_request(args), printer, Path(workdir), "part", outputs, ctx, until=until)
    finally:
        if getattr(args, "report", None) and outputs.spec is not None:
            Path(args.report).write_text(json.dumps({"spec": outputs.spec.to_dict(), "report": outputs.report}, indent=2))


def _warnings(report: dict) -> None:
    for check in report["checks"]:
        if check["level"] != "ok":
            print(f"{check['level']}: {check['message']}", file=sys.stderr)


def cmd_parse(args) -> int:
    with tempfile.TemporaryDirectory(prefix="aiagent-") as tmp:
        outputs = _run(args, "understanding", tmp)
    print(json.dumps(outputs.spec.to_dict(), indent=2))
    return 0


def cmd_design(args) -> int:
    with tempfile.TemporaryDirectory(prefix="aiagent-") as tmp:
        outputs = _run(args, "checking", tmp)
        shutil.copyfile(outputs.stl_path, args.output)
    _warnings(outputs.report)
    print(json.dumps({"stl": args.output, "spec": outputs.spec.to_dict(), "report": outputs.report}, indent=2))
    return 0


def cmd_run(args) -> int:
    with tempfile.TemporaryDirectory(prefix="aiagent-") as tmp:
        outputs = _run(args, "slicing", tmp)
        if args.stl:
            shutil.copyfile(outputs.stl_path, args.stl)
        shutil.copyfile(outputs.gcode_path, args.output)
    _warnings(outputs.report)
    print(json.dumps({"gcode": args.output, "slicer": outputs.slicer, "spec": outputs.spec.to_dict(),
                      "report": outputs.report, "check": outputs.gcode}, indent=2))
    return 0


def cmd_slice(args) -> int:
    """Slice an STL from anywhere: it is loaded and checked first (``slice_file`` without a height)."""
    from .model.materials import DEFAULT_MATERIAL, material_preset, quality_preset
    from .slicing import choose_slicer, find_slicers, slice_file
    from .slicing.profiles import SliceSettings

    found = find_slicers()
    settings = SliceSettings(_printer(args), material_preset(args.material or DEFAULT_MATERIAL), quality_preset(args.quality), args.infill)
    result = slice_file(args.stl, args.output, settings, choose_slicer(args.slicer, found), StageContext(on_progress=_progress_to_stderr),
                        found=found, timeout_s=args.timeout)
    print(json.dumps({"gcode": args.output, "slicer": result.slicer, "check": dict(result.report.to_dict(), material=settings.material.name)}, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m octoprint_aiagent", description="Turn a sentence into a printable part.")
    sub = parser.add_subparsers(dest="command", required=True)

    def understanding(p):
        p.add_argument("prompt", help='what to make, e.g. "a 20 mm calibration cube"')
        p.add_argument("--backend", choices=("offline", "openai", "ollama"), default="offline")
        p.add_argument("--base-url", default="", help="LLM server, e.g. http://127.0.0.1:8080/v1 (API key from $AIAGENT_LLM_API_KEY)")
        p.add_argument("--model", default="")
        p.add_argument("--llm-timeout", type=float, default=60.0, help="seconds for the whole design loop")
        p.add_argument("--rounds", type=int, default=3, help="answers the LLM may give, the first included (1: no repair)")
        p.add_argument("--material", help="PLA, PETG, ABS, ASA, TPU or NYLON; default: the one the request names, else PLA")

    def printer(p):
        p.add_argument("--bed", default="220x220x250", help="build volume WIDTHxDEPTHxHEIGHT in mm")
        p.add_argument("--nozzle", type=float, default=0.4)

    def slicing(p):
        p.add_argument("--slicer", choices=("auto", "prusaslicer", "curaengine", "builtin"), default="auto")
        p.add_argument("--quality", choices=("draft", "normal", "fine"), default="normal")
        p.add_argument("--infill", type=int, default=20, help="infill percent")
        p.add_argument("--timeout", type=float, default=600.0, help="slicer timeout in seconds")

    p = sub.add_parser("parse", help="understand a request and print the design spec as JSON")
    understanding(p)
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("design", help="design the part: write a binary STL and a printability report")
    understanding(p)
    printer(p)
    p.add_argument("-o", "--output", required=True, help="STL file to write")
    p.add_argument("--report", help="JSON report file to write")
    p.set_defaults(func=cmd_design)

    p = sub.add_parser("slice", help="slice an STL to checked G-code")
    p.add_argument("stl")
    p.add_argument("-o", "--output", required=True, help="G-code file to write")
    p.add_argument("--material", help="default PLA")
    printer(p)
    slicing(p)
    p.set_defaults(func=cmd_slice)

    p = sub.add_parser("run", help="parse -> design -> check -> slice")
    understanding(p)
    printer(p)
    slicing(p)
    p.add_argument("-o", "--output", required=True, help="G-code file to write")
    p.add_argument("--stl", help="also keep the STL here")
    p.add_argument("--report", help="JSON report file to write")
    p.set_defaults(func=cmd_run)
    return parser


def main(argv: Optional[list] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AgentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2 if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)) else 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1
