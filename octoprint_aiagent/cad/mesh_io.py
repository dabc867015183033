"""Meshes in and out: binary STL files (written atomically) and manifold3d <-> trimesh.

No geometry is computed here; the rest of ``cad`` never touches files.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Union

import manifold3d
import numpy as np
import trimesh

from ..model.errors import AgentError

STAGE = "designing"


def manifold_to_trimesh(solid: manifold3d.Manifold) -> trimesh.Trimesh:
    """A manifold3d solid as a trimesh. Manifold output is already merged and oriented, so
    trimesh's processing (vertex merging) is skipped."""
    mesh = solid.to_mesh()
    vertices = np.asarray(mesh.vert_properties, dtype=np.float64)[:, :3]
    faces = np.asarray(mesh.tri_verts, dtype=np.int64)
    return trimesh.Trimesh(vertices=vertices, faces=faces, process=False)


def trimesh_to_manifold(mesh: trimesh.Trimesh) -> manifold3d.Manifold:
    """A trimesh as a manifold3d solid; empty (status not NoError) when the mesh is not a closed,
    oriented 2-manifold."""
    data = manifold3d.Mesh(
        vert_properties=np.ascontiguousarray(mesh.vertices, dtype=np.float32),
        tri_verts=np.ascontiguousarray(mesh.faces, dtype=np.uint32),
    )
    return manifold3d.Manifold(data)


def write_stl(mesh: trimesh.Trimesh, path: Union[str, Path]) -> Path:
    """Write a binary STL. Readers never see a half-written file: the bytes go to a temporary
    file in the same directory, which then replaces ``path`` in one rename."""
    path = Path(path)
    if len(mesh.faces) == 0:
        raise AgentError(STAGE, "refusing to write an STL with no triangles", reason="failed")
    data = trimesh.exchange.stl.export_stl(mesh)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the file from other readers
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise AgentError(STAGE, f"could not write {path}: {exc.strerror or exc}", reason="failed") from None
    return path


def read_stl(path: Union[str, Path]) -> trimesh.Trimesh:
    """Read an STL (binary or ASCII) with coincident vertices merged, so that watertightness
    and bodies can be checked."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            mesh = trimesh.load(f, file_type="stl", force="mesh")
    except OSError as exc:
        raise AgentError(STAGE, f"could not read {path}: {exc.strerror or exc}", reason="invalid") from None
    except Exception as exc:  # trimesh raises assorted errors on malformed files
        raise AgentError(STAGE, f"{path.name} is not a readable STL file: {exc}", reason="invalid") from None
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise AgentError(STAGE, f"{path.name} contains no triangles", reason="invalid")
    return mesh
