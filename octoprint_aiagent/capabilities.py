"""Can this Python design parts? One cached answer: the host shows it and refuses jobs with it.

Designing needs numpy, scipy, shapely, trimesh and manifold3d. The package index has them ready
made for 64-bit Pythons only; on a 32-bit Python (the 32-bit OctoPi, also on a Pi 4 or 5 that
boots a 64-bit kernel) pip would have to compile them, for very long or not at all, so setup.py
leaves them out there. Everything else works without them: the tab, the job history, printing stored G-code.
"""

from __future__ import annotations

import functools
import importlib.util
import struct
import sys
from typing import Optional

from .model.errors import AgentError

DESIGN_MODULES = ("manifold3d", "numpy", "scipy", "shapely", "trimesh")  # setup.py's DESIGN_REQUIRES


def _installed(name: str) -> bool:
    # Found, not imported: importing them all takes over a second even on a PC, and the first job
    # imports them anyway. (A module that is there but broken fails that job's designing stage.)
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


@functools.lru_cache(maxsize=1)
def design_unavailable() -> Optional[dict]:
    """None when this Python can design; otherwise ``{"error": ..., "hint": ...}`` for the user."""
    missing = [name for name in DESIGN_MODULES if not _installed(name)]
    if not missing:
        return None
    if struct.calcsize("P") == 8:
        return {
            "error": f"Designing parts needs {', '.join(missing)}, which are not installed in OctoPrint's Python.",
            "hint": f"Reinstall the AI Agent plugin from the Plugin Manager, or run: {sys.executable} -m pip install {' '.join(missing)}",
        }
    return {
        "error": "Designing parts needs a 64-bit OctoPi (or a 64-bit Python). This OctoPrint runs on a 32-bit Python, "
        f"where the geometry libraries it needs ({', '.join(missing)}) are not installed: they come ready made for 64-bit Pythons only.",
        "hint": "Install the 64-bit OctoPi image (Raspberry Pi 3, 4, 5, Zero 2 W) and restore an OctoPrint backup "
        "there, then install this plugin again. Until then the job history and printing stored G-code work here.",
    }


def require_design() -> None:
    """Raise the 503 answer for a job when this Python cannot design."""
    problem = design_unavailable()
    if problem:
        raise AgentError("designing", problem["error"], reason="unavailable", hint=problem["hint"])
