"""The design stage's work: a spec becomes a placed, checked mesh on disk and a printability report.

Plain data in and out (dicts a pipe can carry), so the same function runs in the command line's
process and in the plugin's design worker process (``design_worker``), where trimesh and
manifold3d never hold OctoPrint's GIL.
"""

from __future__ import annotations

from typing import Callable

from ..model.printer import PrinterProfile
from ..model.spec import DesignSpec


def design_part(spec: dict, printer: dict, stl_path: str, report: Callable[[float, str], None] = lambda f, m: None) -> dict:
    """Build ``spec`` for ``printer``, write the mesh ready to slice to ``stl_path`` and return
    the printability report (``PrintabilityReport.to_dict()``). The STL is written even when the
    report has errors, so the user can look at what could not be printed."""
    from ..cad.mesh_io import write_stl
    from ..cad.printability import prepare_for_print
    from ..cad.shapes import build_part

    design = DesignSpec.from_dict(spec)
    report(0.1, "building the part")
    part = build_part(design)
    report(0.5, "placing it on the bed and checking it")
    mesh, checked = prepare_for_print(part, PrinterProfile(**printer), quantity=design.quantity)
    report(0.9, "writing the mesh")
    write_stl(mesh, stl_path)
    return checked.to_dict()
