"""The builder: a checked part document (model/document.py) -> one manifold3d solid.

Solids are built by their type's builder (solids.py), compositions with manifold3d's booleans,
templates from their expansion (re-anchored to stand on z=0, centred on the Z axis), then the
node's features are applied (features.py) and it is moved as the node says. Whatever the printer
needs to know of the sizes chosen on the way (a clearance added, a text height fitted) is noted
in the ``BuildContext`` for the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import manifold3d
import numpy as np

from ..model.document import check_part, node_type
from ..model.errors import AgentError
from ..model.params import MAX_LENGTH_MM, invalid
from ..model.solids import COMPOSITIONS
from ..model.templates import TEMPLATES
from .features import apply_features
from .solids import BUILDERS

M = manifold3d.Manifold
OPS = {"union": manifold3d.OpType.Add, "difference": manifold3d.OpType.Subtract, "intersection": manifold3d.OpType.Intersect}
MOVES = ("translate", "rotate", "mirror")
WELD_MM = 5e-5  # above float32's resolution for parts up to 400 mm, far below any printed detail


@dataclass
class BuildContext:
    nozzle: float = 0.4
    clearance: float = 0.2  # the printer's fit clearance, per side, for parts that must fit
    notes: list = field(default_factory=list)  # what was applied, for the report

    def applied(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)


def build_document(part: dict, ctx: BuildContext) -> manifold3d.Manifold:
    """A checked document -> its solid, in the document's coordinates."""
    # Features built in their face's frame meet the part at points that differ in the last digits;
    # an STL's float32 would merge them into slivers, so they are welded here.
    solid = _build(part, "part", ctx).simplify(WELD_MM)
    lo, hi = np.asarray(solid.bounding_box()).reshape(2, 3)
    if max(np.abs(lo).max(), np.abs(hi).max()) > MAX_LENGTH_MM:
        raise invalid(f"the part reaches beyond +-{MAX_LENGTH_MM:g} mm (check its translate and sizes)")
    return solid


def anchored(solid: manifold3d.Manifold) -> manifold3d.Manifold:
    """Standing on z=0, its bounding box centred on the Z axis."""
    lo, hi = np.asarray(solid.bounding_box()).reshape(2, 3)
    return solid.translate((-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]))


def _build(node: dict, path: str, ctx: BuildContext) -> manifold3d.Manifold:
    kind = node_type(node)
    value = node[kind]
    features = [(f"{path}.features[{i}]", f) for i, f in enumerate(node.get("features") or ())]
    if kind in COMPOSITIONS:
        parts = [_build(child, f"{path}.{kind}[{i}]", ctx) for i, child in enumerate(value)]
        solid = M.batch_boolean(parts, OPS[kind]) if len(parts) > 1 else parts[0]
    elif kind in TEMPLATES:
        where = f"{path}.{kind}"
        # Checked like any document: it fills the defaults of what the template wrote.
        expansion = check_part(TEMPLATES[kind].expand(value), root=f"{where}(expanded)").part
        if not any(k in expansion for k in MOVES):
            # The template's own features join the node's, so that all of them apply in their
            # groups' order: a fillet asked for an open box rounds the box before it is hollowed.
            features = [(f"{where}(expanded).features[{i}]", f) for i, f in enumerate(expansion.pop("features", ()))] + features
        solid = anchored(_build(expansion, where, ctx))
    else:
        solid = BUILDERS[kind](value, ctx, f"{path}.{kind}", lambda child, where: _build(child, where, ctx))
    _check(solid, path)
    if features:
        solid = apply_features(solid, features, ctx, lambda child, where: _build(child, where, ctx))
        _check(solid, path)
    if node.get("mirror"):
        axis = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}[node["mirror"]]
        solid = solid.mirror(axis)
    if node.get("rotate"):
        solid = solid.rotate(tuple(node["rotate"]))
    if node.get("translate"):
        solid = solid.translate(tuple(node["translate"]))
    return solid


def _check(solid: manifold3d.Manifold, path: str) -> None:
    if solid.status() != manifold3d.Error.NoError:
        raise AgentError("designing", f"{path}: manifold3d could not build it ({solid.status()})", reason="failed")
    if solid.is_empty() or solid.volume() <= 0:
        raise invalid(f"{path} makes an empty solid (check what its difference or intersection takes away)")


def build_part(spec, ctx: Optional[BuildContext] = None):
    """A validated spec -> a watertight trimesh, centred on XY (0, 0), standing on z=0."""
    from .mesh_io import manifold_to_trimesh

    return manifold_to_trimesh(anchored(build_document(spec.part, ctx or BuildContext())))
