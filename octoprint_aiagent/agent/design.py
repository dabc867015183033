"""The design stage's work: a spec becomes a placed, checked mesh on disk and a printability report.

Plain data in and out (dicts a pipe can carry), so the same function runs in the command line's
process and in the plugin's design worker process (``design_worker``), where trimesh and
manifold3d never hold OctoPrint's GIL.
"""

from __future__ import annotations

from typing import Callable

from ..model.printer import PrinterProfile
from ..model.spec import DesignSpec


def design_part(spec: dict, printer: dict, stl_path: str, clearance: float = 0.2,
                report: Callable[[float, str], None] = lambda f, m: None) -> dict:
    """Build ``spec`` for ``printer`` (``clearance``: the fit clearance per side for parts that
    must fit), write the mesh ready to slice to ``stl_path`` and return the printability report
    (``PrintabilityReport.to_dict()``, with ``applied``: what the builder chose on the way). The
    STL is written even when the report has errors, so the user can look at what cannot print."""
    from ..cad.build import BuildContext, build_part
    from ..cad.mesh_io import write_stl
    from ..cad.printability import prepare_for_print

    design = DesignSpec.from_dict(spec)
    machine = PrinterProfile(**printer)
    report(0.1, "building the part")
    context = BuildContext(nozzle=machine.nozzle, clearance=clearance)
    part = build_part(design, context)
    report(0.5, "placing it on the bed and checking it")
    mesh, checked = prepare_for_print(part, machine, quantity=design.quantity)
    report(0.9, "writing the mesh")
    write_stl(mesh, stl_path)
    return dict(checked.to_dict(), applied=list(context.notes))
