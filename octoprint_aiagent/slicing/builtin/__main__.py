"""Command line of the built-in slicer, run as a subprocess by ``slicing.slice_file``.

    python -m octoprint_aiagent.slicing.builtin --settings SETTINGS.json IN.stl OUT.gcode

Prints ``progress <fraction> <message>`` lines on stdout; exits 0 on success, 2 on bad input and 1 on
failure, with one line on stderr saying why.
"""

from __future__ import annotations

import argparse
import json
import sys

from ...model.errors import AgentError
from ..profiles import SliceSettings
from . import slice_to_gcode


def _progress(fraction: float, message: str) -> None:
    print(f"progress {fraction:.3f} {message}", flush=True)


def _load_settings(path: str) -> SliceSettings:
    try:
        with open(path, encoding="utf-8") as f:
            return SliceSettings.from_dict(json.load(f))
    except OSError as e:
        raise AgentError("slicing", f"cannot read the settings file {path}: {e.strerror or e}") from None
    except (ValueError, KeyError, TypeError) as e:
        raise AgentError("slicing", f"the settings file {path} is not SliceSettings JSON ({e})") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m octoprint_aiagent.slicing.builtin", description=__doc__.split("\n")[0])
    parser.add_argument("--settings", required=True, help="SliceSettings.to_dict() as JSON")
    parser.add_argument("stl", help="input mesh, centred at XY 0 with z from 0")
    parser.add_argument("gcode", help="output G-code, written atomically")
    args = parser.parse_args(argv)
    try:
        slice_to_gcode(args.stl, args.gcode, _load_settings(args.settings), _progress)
    except AgentError as e:
        print(" ".join(str(e).split()), file=sys.stderr)
        return e.exit_code
    except Exception as e:  # noqa: BLE001 - a bug or a broken dependency: one line, not a traceback
        print(f"slicing: built-in slicer failed: {type(e).__name__}: {' '.join(str(e).split())}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
