"""Command line over the same core the plugin uses: parse, design, slice, run.

Exit codes: 0 success, 2 bad input (the request, the part or the file cannot be served),
1 any other failure. Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Optional

from .model.errors import AgentError
from .model.progress import StageContext


def _understand(args, ctx: StageContext):
    from .agent.understand import Understander

    config = None
    if args.backend != "offline":
        from .llm.config import LLMConfig

        config = LLMConfig(
            backend=args.backend,
            base_url=args.base_url,
            model=args.model,
            api_key=os.environ.get("AIAGENT_LLM_API_KEY", ""),
            timeout_s=args.llm_timeout,
        )
    from .llm.loop import LoopThread

    loop = LoopThread()
    try:
        return Understander(loop).understand(args.prompt, args.material, config, ctx)
    finally:
        loop.stop()


def _printer(args):
    from .model.printer import parse_bed

    return parse_bed(args.bed, nozzle=args.nozzle)


def _slicing_config(args):
    from .agent.pipeline import SlicingConfig
    from .slicing import find_slicers

    return SlicingConfig(slicer=args.slicer, found=find_slicers(), timeout_s=args.timeout)


def _progress_to_stderr(stage: str, fraction: float, message: str) -> None:
    if os.environ.get("AIAGENT_QUIET"):
        return
    print(f"[{stage} {fraction:4.0%}] {message}", file=sys.stderr)


def cmd_parse(args) -> int:
    spec = _understand(args, StageContext())
    print(json.dumps(spec.to_dict(), indent=2))
    return 0


def _design(args, ctx):
    from .agent.pipeline import design_stage
    from .cad.mesh_io import write_stl

    spec = _understand(args, ctx)
    mesh, report = design_stage(spec, _printer(args))
    report_data = {"spec": spec.to_dict(), "report": report.to_dict()}
    if getattr(args, "report", None):
        Path(args.report).write_text(json.dumps(report_data, indent=2))
    if not report.ok:
        errors = "; ".join(c.message for c in report.checks if c.level == "error")
        raise AgentError("checking", f"the part cannot be printed: {errors}")
    return spec, mesh, report, write_stl


def cmd_design(args) -> int:
    spec, mesh, report, write_stl = _design(args, StageContext(on_progress=_progress_to_stderr))
    write_stl(mesh, args.output)
    for check in report.checks:
        if check.level != "ok":
            print(f"{check.level}: {check.message}", file=sys.stderr)
    print(json.dumps({"stl": args.output, "spec": spec.to_dict(), "report": report.to_dict()}, indent=2))
    return 0


def cmd_slice(args) -> int:
    from .agent.pipeline import slice_settings, slice_stage
    config = _slicing_config(args)
    settings = slice_settings(args.material, args.quality, args.infill, _printer(args), config)
    result, gcode = slice_stage(args.stl, args.output, settings, config, StageContext(on_progress=_progress_to_stderr))
    print(json.dumps({"gcode": args.output, "slicer": result.slicer, "check": gcode.to_dict()}, indent=2))
    return 0


def cmd_run(args) -> int:
    import tempfile

    from .agent.pipeline import slice_settings, slice_stage

    ctx = StageContext(on_progress=_progress_to_stderr)
    config = _slicing_config(args)
    settings = slice_settings(args.material, args.quality, args.infill, _printer(args), config)
    spec, mesh, report, write_stl = _design(args, ctx)
    with tempfile.TemporaryDirectory(prefix="aiagent-") as tmp:
        stl = args.stl or os.path.join(tmp, "part.stl")
        write_stl(mesh, stl)
        result, gcode = slice_stage(stl, args.output, settings, config, ctx)
    print(json.dumps({"gcode": args.output, "slicer": result.slicer, "spec": spec.to_dict(), "report": report.to_dict(), "check": gcode.to_dict()}, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m octoprint_aiagent", description="Turn a sentence into a printable part.")
    sub = parser.add_subparsers(dest="command", required=True)

    def understanding(p):
        p.add_argument("prompt", help='what to make, e.g. "a 20 mm calibration cube"')
        p.add_argument("--backend", choices=("offline", "openai", "ollama"), default="offline")
        p.add_argument("--base-url", default="", help="LLM server, e.g. http://127.0.0.1:8080/v1 (API key from $AIAGENT_LLM_API_KEY)")
        p.add_argument("--model", default="")
        p.add_argument("--llm-timeout", type=float, default=60.0)
        p.add_argument("--material", default="PLA")

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
    p.add_argument("--material", default="PLA")
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
