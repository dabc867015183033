"""The design loop's measuring: a spec's document is built and measured the way a maker would
check a printed part, and the printability report is made, without writing anything.

Plain data in and out, like ``design.design_part``, so it runs in the plugin's design worker
process (no geometry in OctoPrint's process) and in the command line's own. What the numbers
mean for the request is decided by the caller (``design_loop.part_findings``).
"""

from __future__ import annotations

from typing import Callable

from ..model.document import node_type
from ..model.printer import PrinterProfile
from ..model.spec import DesignSpec

AXES = "xyz"
TOUCH_MM = 1e-3  # pieces closer than this touch


def inspect_part(spec: dict, printer: dict, clearance: float = 0.2, report: Callable[[float, str], None] = lambda f, m: None) -> dict:
    """Build ``spec`` and measure it: ``measurement`` (extents in the document's axes, volume,
    bodies, holes found in sections), ``report`` (printability on ``printer``) and ``loose``
    (sentences naming the top-level pieces that touch nothing else). Raises AgentError when the
    document cannot be built (the message names the node). ``report`` is the design worker's
    progress callback; unused: the loop reports its rounds itself, and this takes milliseconds."""
    from ..cad.build import BuildContext, anchored, build_document
    from ..cad.measure import measure
    from ..cad.mesh_io import manifold_to_trimesh
    from ..cad.printability import prepare_for_print

    design = DesignSpec.from_dict(spec)
    machine = PrinterProfile(**printer)
    context = BuildContext(nozzle=machine.nozzle, clearance=clearance)
    solid = build_document(design.part, context)
    measured = measure(solid)
    _, checked = prepare_for_print(manifold_to_trimesh(anchored(solid)), machine, quantity=design.quantity)
    loose = _loose_pieces(design.part, context) if measured.bodies > 1 else []
    return {"measurement": measured.to_dict(), "report": checked.to_dict(), "loose": loose}


def _loose_pieces(part: dict, context) -> list[str]:
    """For a union of pieces that came apart: which piece is away from the others, and how far,
    in the document's own coordinates ("part.union[1] starts 5 mm above the top of part.union[0])."""
    import numpy as np

    from ..cad.build import build_document

    if node_type(part) != "union":
        return []
    boxes = [np.asarray(build_document(child, context).bounding_box()).reshape(2, 3) for child in part["union"]]
    out = []
    # The first piece is the base the others are placed on: each other piece is held to its nearest.
    for i, (lo, hi) in enumerate(boxes[1:], start=1):
        gaps = []
        for j, (lo2, hi2) in enumerate(boxes):
            if i != j:
                apart = np.maximum(lo2 - hi, lo - hi2)  # per axis: > 0 where they do not overlap
                gaps.append((float(apart.max()), int(apart.argmax()), j))
        gap, axis, j = min(gaps)
        if gap <= TOUCH_MM:
            continue
        me, other = f"part.union[{i}]", f"part.union[{j}]"
        if axis == 2 and lo[2] > boxes[j][1][2]:
            out.append(f"{me} starts {gap:.3g} mm above the top of {other} (z {lo[2]:.3g} against {boxes[j][1][2]:.3g}): it floats")
        else:
            out.append(f"{me} is {gap:.3g} mm away from {other} along {AXES[axis]}: they do not touch")
    return out
