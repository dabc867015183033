"""The G-code check in a low-priority child process.

Reading a G-code file is pure Python: run inside OctoPrint it holds the GIL for seconds on a big
file and OctoPrint's serial loop, which feeds the printer, waits. As a child process it costs the
printer nothing (measured in BENCHMARKS.md, "printer stutter").

    python -m octoprint_aiagent.slicing.isolated_check SETTINGS.json MODEL_HEIGHT IN.gcode OUT.json [MODEL.stl]
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from ..model.errors import AgentError
from ..model.progress import StageContext
from .gcode_check import GcodeReport, Problem, check_gcode
from .profiles import SliceSettings

STAGE = "slicing"


def check_gcode_isolated(gcode_path, settings: SliceSettings, model_height: float, ctx: StageContext, workdir: Path,
                         timeout_s: float = 300.0, stl_path=None) -> GcodeReport:
    """``check_gcode`` in a child process; ``stl_path`` as there."""
    from .runner import child_environment, run_command

    settings_file, report_file = workdir / "check-settings.json", workdir / "check-report.json"
    settings_file.write_text(json.dumps(settings.to_dict()))
    argv = [sys.executable, "-m", __name__, str(settings_file), repr(float(model_height)), str(gcode_path), str(report_file)]
    argv += [str(stl_path)] if stl_path is not None else []
    run_command(argv, ctx, name="the G-code check", timeout_s=timeout_s, env=child_environment())
    try:
        return report_from_dict(json.loads(report_file.read_text()))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise AgentError(STAGE, f"the G-code check gave no readable report: {exc}", reason="failed") from exc


def report_from_dict(data: dict) -> GcodeReport:
    data = dict(data)
    data["problems"] = [Problem(**p) for p in data["problems"]]
    if data.get("bounds"):
        data["bounds"] = tuple(tuple(corner) for corner in data["bounds"])
    return GcodeReport(**data)


def main(argv: list) -> int:
    settings_file, height, gcode, report_file, *stl = argv
    settings = SliceSettings.from_dict(json.loads(Path(settings_file).read_text()))
    report = check_gcode(gcode, settings, float(height), stl[0] if stl else None)
    Path(report_file).write_text(json.dumps(asdict(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
