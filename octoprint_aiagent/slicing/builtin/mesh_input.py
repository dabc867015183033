"""Read an STL file into a manifold3d solid.

The STL is parsed with numpy rather than trimesh: importing trimesh alone costs about 0.7 s,
more than slicing a small part takes, and this module runs in a fresh process for every slice.
"""

from __future__ import annotations

import re

import numpy as np

from ...model.errors import AgentError

_VERTEX = re.compile(rb"vertex\s+(\S+)\s+(\S+)\s+(\S+)")


def _invalid(message: str, hint: str = "") -> AgentError:
    return AgentError("slicing", message, reason="invalid", hint=hint)


def read_triangles(path: str) -> np.ndarray:
    """The triangles of a binary or ASCII STL file as float32 (n, 3, 3)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise _invalid(f"cannot read the mesh file {path}: {e.strerror or e}") from None
    if len(data) >= 84:
        count = int(np.frombuffer(data, "<u4", 1, 80)[0])
        if len(data) == 84 + 50 * count:  # binary, even when the header starts with "solid"
            record = np.dtype([("normal", "<f4", 3), ("v", "<f4", (3, 3)), ("attr", "<u2")])
            return np.frombuffer(data, record, count, 84)["v"].astype(np.float32)
    if data.lstrip()[:5].lower() == b"solid":
        try:
            coords = np.array(_VERTEX.findall(data), dtype=np.float32)
        except ValueError:
            raise _invalid(f"{path} is an ASCII STL with a vertex that is not a number") from None
        if len(coords) % 3:
            raise _invalid(f"{path} is an ASCII STL whose vertex count is not a multiple of 3")
        return coords.reshape(-1, 3, 3)
    raise _invalid(f"{path} is not an STL file", hint="export the part as binary or ASCII STL")


def load_solid(path: str):
    """A ``manifold3d.Manifold`` from the STL at ``path``; AgentError "invalid" if it is no closed solid."""
    import manifold3d

    triangles = read_triangles(path)
    if len(triangles) == 0:
        raise _invalid(f"{path} contains no triangles")
    if not np.isfinite(triangles).all():
        raise _invalid(f"{path} has vertices that are not finite numbers")
    vertices, tri_verts = _merge_vertices(triangles)
    mesh = manifold3d.Mesh(vert_properties=vertices, tri_verts=tri_verts)
    solid = manifold3d.Manifold(mesh)
    if solid.status() != manifold3d.Error.NoError or solid.is_empty():
        raise _invalid(
            f"the mesh in {path} is not a closed solid ({solid.status().name})",
            hint="repair the mesh so that it is watertight",
        )
    if solid.volume() <= 1e-6:
        raise _invalid(f"the mesh in {path} encloses no volume")
    return solid


def _merge_vertices(triangles: np.ndarray) -> tuple:
    """STL repeats each vertex per triangle; identical float32 positions are the same vertex.

    Sorting the raw bits with lexsort is twice as fast as ``np.unique(axis=0)`` on 100k faces.
    """
    flat = np.ascontiguousarray(triangles.reshape(-1, 3))
    bits = flat.view(np.uint32)
    order = np.lexsort((bits[:, 2], bits[:, 1], bits[:, 0]))
    ranked = bits[order]
    first = np.ones(len(ranked), bool)
    first[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    index = np.empty(len(flat), np.uint32)
    index[order] = np.cumsum(first) - 1
    return np.ascontiguousarray(flat[order[first]]), index.reshape(-1, 3)
