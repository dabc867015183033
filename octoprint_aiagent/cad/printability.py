"""Printability: orient and place a part for a printer, arrange copies, and check the result.

Every check carries a number and a level. Errors (not closed, does not fit, floating parts) make
``ok`` False and block printing; warnings (overhangs, small contact, thin walls, tall and narrow)
are shown to the user.

Thin walls are measured in horizontal sections, which is what the nozzle traces. Each section is
morphologically opened (eroded, then grown back, by half a trial thickness) with manifold3d's
Clipper offsets and mitred joins, which give corners back unchanged; material that does not come
back belonged to a wall thinner than the trial thickness. Bisection brackets the thinnest wall to
a sixteenth of the nozzle. Stepped parts are cut once per band between distinct vertex heights,
curved ones at 12 levels. Thin floors are a layer-height matter and are not reported here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional, Union

import manifold3d
import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..model.errors import AgentError
from ..model.printer import PrinterProfile
from .mesh_io import trimesh_to_manifold
from .orient import caliper_width, choose_orientation

STAGE = "checking"
COPY_GAP_MM = 5.0
BED_EPS_MM = 0.01  # a face this close to z=0 rests on the bed
OVERHANG_DEG = 45.0
OVERHANG_WARN_MM2 = 10.0  # warn above this area and above OVERHANG_WARN_SHARE of the surface
OVERHANG_WARN_SHARE = 0.01
CONTACT_WARN_SHARE = 0.10  # of the footprint (XY bounding box) area
TIP_RATIO_WARN = 4.0  # height / narrowest width of the contact patch
THIN_WALL_LEVELS = 12
MITER_LIMIT = 10.0  # corners sharper than about 11 degrees get squared off
MAX_COPIES_TRIED = 100

Value = Union[float, int, list, None]


@dataclass(frozen=True)
class Check:
    name: str
    level: str  # "ok" | "warning" | "error"
    value: Value
    unit: str
    message: str

    def to_dict(self) -> dict:
        value = self.value
        if isinstance(value, float) and not math.isfinite(value):
            value = None  # JSON has no infinity
        return {"name": self.name, "level": self.level, "value": value, "unit": self.unit, "message": self.message}


@dataclass(frozen=True)
class PrintabilityReport:
    ok: bool
    checks: list[Check]
    bbox: list[float]  # extents of everything on the bed, mm
    volume_mm3: float  # all copies
    watertight: bool
    bodies: int  # all copies
    quantity: int = 1
    orientation: str = ""
    printer: str = ""
    contact_area_mm2: float = 0.0
    overhang_area_mm2: float = 0.0

    @property
    def errors(self) -> list[str]:
        return [c.message for c in self.checks if c.level == "error"]

    @property
    def warnings(self) -> list[str]:
        return [c.message for c in self.checks if c.level == "warning"]

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checks": [c.to_dict() for c in self.checks],
            "bbox": [round(v, 3) for v in self.bbox],
            "volume_mm3": round(self.volume_mm3, 3),
            "watertight": self.watertight,
            "bodies": self.bodies,
            "quantity": self.quantity,
            "orientation": self.orientation,
            "printer": self.printer,
            "contact_area_mm2": round(self.contact_area_mm2, 3),
            "overhang_area_mm2": round(self.overhang_area_mm2, 3),
        }


def _mm(values: Sequence[float]) -> str:
    return " x ".join(f"{v:.1f}" for v in values)


# --- placement -------------------------------------------------------------------------------


def _placed(vertices: np.ndarray) -> np.ndarray:
    """Lowest point at z=0, bounding box centred on XY (0, 0)."""
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    return vertices - np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])


def _grid_fits(width: float, depth: float, printer: PrinterProfile) -> bool:
    return printer.fits(width, depth, 0.0, turn=False)


def _grid_size(cols: int, rows: int, extents: np.ndarray) -> tuple[float, float]:
    return cols * extents[0] + (cols - 1) * COPY_GAP_MM, rows * extents[1] + (rows - 1) * COPY_GAP_MM


def _choose_grid(quantity: int, extents: np.ndarray, printer: PrinterProfile) -> tuple[int, int, bool]:
    """(columns, rows, fits): the fitting grid that fills the bed most evenly, or the least bad."""
    best = None
    for cols in range(1, quantity + 1):
        rows = math.ceil(quantity / cols)
        if (cols - 1) * rows >= quantity:
            continue  # a column fewer holds them all
        w, d = _grid_size(cols, rows, extents)
        fits = _grid_fits(w, d, printer)
        score = (not fits, max(w / printer.bed_x, d / printer.bed_y))
        if best is None or score < best[0]:
            best = (score, cols, rows)
    return best[1], best[2], not best[0][0]


def _max_copies(extents: np.ndarray, printer: PrinterProfile) -> int:
    most = 0
    for cols in range(1, MAX_COPIES_TRIED + 1):
        rows = 0
        while rows < MAX_COPIES_TRIED and _grid_fits(*_grid_size(cols, rows + 1, extents), printer):
            rows += 1
        most = max(most, cols * rows)
    return most


def _arranged(vertices: np.ndarray, faces: np.ndarray, cols: int, quantity: int) -> trimesh.Trimesh:
    """``quantity`` copies, row by row, ``cols`` to a row, COPY_GAP_MM apart."""
    extents = vertices.max(axis=0) - vertices.min(axis=0)
    index = np.arange(quantity)
    offsets = np.zeros((quantity, 3))
    offsets[:, 0] = (index % cols) * (extents[0] + COPY_GAP_MM)
    offsets[:, 1] = -(index // cols) * (extents[1] + COPY_GAP_MM)
    all_vertices = (vertices[None, :, :] + offsets[:, None, :]).reshape(-1, 3)
    all_faces = (faces[None, :, :] + (index * len(vertices))[:, None, None]).reshape(-1, 3)
    return trimesh.Trimesh(_placed(all_vertices), all_faces, process=False)


# --- measurements on one placed copy ---------------------------------------------------------


def _body_lowest_points(mesh: trimesh.Trimesh) -> np.ndarray:
    """Lowest z of each connected body (vertex connectivity through faces)."""
    f = mesh.faces
    n = len(mesh.vertices)
    graph = coo_matrix((np.ones(f.size), (f.ravel(), np.roll(f, 1, axis=1).ravel())), shape=(n, n))
    _count, labels = connected_components(graph, directed=False)
    used = np.unique(f)
    lowest = np.full(labels.max() + 1, np.inf)
    np.minimum.at(lowest, labels[used], mesh.vertices[used, 2])
    return lowest[np.isfinite(lowest)]


def _thinner_than(section: manifold3d.CrossSection, thickness: float) -> bool:
    """Does the section hold a wall thinner than ``thickness``? A morphological opening with
    mitred joins gives back every corner unchanged; only walls too thin to survive the erosion
    lose area."""
    r = thickness / 2
    miter = manifold3d.JoinType.Miter
    opened = section.offset(-r, miter, MITER_LIMIT).offset(r, miter, MITER_LIMIT)
    return section.area() - opened.area() > 0.5 * thickness * thickness


def _section_heights(mesh: trimesh.Trimesh) -> np.ndarray:
    """Heights to cut at: one mid-slab height per band between distinct vertex heights when the
    part is stepped (extrusions, boxes, cups: every section of a slab is the same), otherwise
    evenly spaced levels."""
    z = np.unique(np.round(mesh.vertices[:, 2], 4))
    if len(z) <= THIN_WALL_LEVELS + 1:
        return (z[:-1] + z[1:]) / 2
    return z[-1] * (np.arange(THIN_WALL_LEVELS) + 0.5) / THIN_WALL_LEVELS


def thinnest_wall(solid: manifold3d.Manifold, heights: Sequence[float], nozzle: float) -> Optional[float]:
    """Estimated thinnest wall below ``nozzle`` mm in the sections at ``heights``, or None."""
    thinnest = None
    for z in heights:
        section = solid.slice(float(z))
        if section.is_empty() or not _thinner_than(section, nozzle):
            continue
        lo, hi = 0.0, nozzle
        for _ in range(4):
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if _thinner_than(section, mid) else (mid, hi)
        thinnest = hi if thinnest is None else min(thinnest, hi)
    return thinnest


# --- the report ------------------------------------------------------------------------------


def prepare_for_print(
    mesh: trimesh.Trimesh, printer: PrinterProfile, quantity: int = 1
) -> tuple[trimesh.Trimesh, PrintabilityReport]:
    """Orient, place and arrange ``quantity`` copies for ``printer``; check the result.

    Returns the mesh to slice (lowest point at z=0, centred on XY (0, 0)) and the report.
    """
    if len(mesh.faces) == 0:
        raise AgentError(STAGE, "the design has no triangles", reason="failed")
    if not 1 <= quantity <= MAX_COPIES_TRIED:
        raise AgentError(STAGE, f"quantity must be from 1 to {MAX_COPIES_TRIED}, not {quantity}")
    watertight = bool(mesh.is_watertight)
    volume = float(mesh.volume) if watertight else 0.0
    orientation = choose_orientation(mesh, min_width=max(1.0, 2 * printer.nozzle))
    one = _turned_to_fit(_placed(np.asarray(mesh.vertices, dtype=np.float64) @ orientation.rotation.T), printer)
    one = trimesh.Trimesh(one, mesh.faces, process=False)
    extents = one.extents
    scale = printer.fit_scale(*extents, radius=float(np.linalg.norm(one.vertices[:, :2], axis=1).max()))
    lowest = _body_lowest_points(one)
    on_bed = (one.triangles[:, :, 2].max(axis=1) <= BED_EPS_MM) & (one.face_normals[:, 2] < -0.99)
    contact = float(one.area_faces[on_bed].sum())
    overhang = _overhang_area(one)

    checks = [
        _watertight_check(watertight),
        Check("bodies", "ok", len(lowest), "bodies", f"{len(lowest)} separate bod{'y' if len(lowest) == 1 else 'ies'} per copy"),
        _volume_check(watertight, volume * quantity),
        _contact_check(contact, float(extents[0] * extents[1])),
        _overhang_check(overhang, float(one.area)),
        _floating_check(int(np.sum(lowest > BED_EPS_MM))),
        _thin_wall_check(one, watertight, printer.nozzle),
        _tip_over_check(extents[2], caliper_width(one.triangles[on_bed][:, :, :2].reshape(-1, 2))),
        _fit_check(extents, scale, printer),
    ]
    placed = one
    if quantity > 1:
        cols, rows, fits = _choose_grid(quantity, extents, printer)
        placed = _arranged(one.vertices, one.faces, cols, quantity)
        checks.append(_arrangement_check(quantity, (cols, rows), fits, extents, placed.extents, printer))

    report = PrintabilityReport(
        ok=all(c.level != "error" for c in checks),
        checks=checks,
        bbox=[float(v) for v in placed.extents],
        volume_mm3=volume * quantity,
        watertight=watertight,
        bodies=len(lowest) * quantity,
        quantity=quantity,
        orientation=orientation.description,
        printer=printer.name,
        contact_area_mm2=contact * quantity,
        overhang_area_mm2=overhang * quantity,
    )
    return placed, report


def _turned_to_fit(vertices: np.ndarray, printer: PrinterProfile) -> np.ndarray:
    """A quarter turn about Z when only that makes the part fit a rectangular bed."""
    x, y = np.ptp(vertices[:, 0]), np.ptp(vertices[:, 1])
    if printer.circular or printer.fits(x, y, 0.0, turn=False):
        return vertices
    if printer.fits(y, x, 0.0, turn=False):
        return _placed(vertices[:, [1, 0, 2]] * [1, -1, 1])  # (x, y) -> (y, -x): a rotation
    return vertices


def _overhang_area(one: trimesh.Trimesh) -> float:
    """Area facing down more steeply than OVERHANG_DEG, not counting what rests on the bed."""
    steep = one.face_normals[:, 2] < -math.cos(math.radians(OVERHANG_DEG))
    return float(one.area_faces[steep & (one.triangles[:, :, 2].min(axis=1) > BED_EPS_MM)].sum())


def _watertight_check(watertight: bool) -> Check:
    if watertight:
        return Check("watertight", "ok", 1, "", "the mesh is closed")
    return Check("watertight", "error", 0, "", "the mesh has holes or open edges: a slicer would guess its inside")


def _volume_check(watertight: bool, volume: float) -> Check:
    if not watertight:
        return Check("volume", "warning", None, "mm3", "unknown: an open mesh has no inside")
    if volume <= 0:
        return Check("volume", "error", volume, "mm3", "the mesh encloses no volume (is it inside out?)")
    return Check("volume", "ok", volume, "mm3", f"{volume / 1000:.2f} cm3 in all")


def _contact_check(contact: float, footprint: float) -> Check:
    message = f"{contact:.0f} mm2 touches the bed ({100 * contact / footprint:.0f}% of the footprint)"
    if contact > 0 and contact >= CONTACT_WARN_SHARE * footprint:
        return Check("first_layer_contact", "ok", contact, "mm2", message)
    return Check("first_layer_contact", "warning", contact, "mm2", message + ": add a brim or a flat base, or it may come loose")


def _overhang_check(overhang: float, surface: float) -> Check:
    message = f"{overhang:.0f} mm2 overhangs more than {OVERHANG_DEG:.0f} degrees"
    if overhang <= max(OVERHANG_WARN_MM2, OVERHANG_WARN_SHARE * surface):
        return Check("overhang", "ok", overhang, "mm2", message)
    return Check("overhang", "warning", overhang, "mm2", message + ": it needs supports or another design")


def _floating_check(floating: int) -> Check:
    if not floating:
        return Check("floating_islands", "ok", 0, "bodies", "every body rests on the bed")
    what = "body does" if floating == 1 else "bodies do"
    message = f"{floating} {what} not touch the bed and would print in mid-air"
    return Check("floating_islands", "error", floating, "bodies", message)


def _tip_over_check(height: float, base_width: float) -> Check:
    ratio = height / base_width if base_width > 0 else math.inf
    message = f"{height:.1f} mm tall on a base {base_width:.1f} mm wide"
    if ratio <= TIP_RATIO_WARN:
        return Check("tip_over", "ok", ratio, "height/base", message)
    return Check("tip_over", "warning", ratio, "height/base", message + ": it may wobble or be knocked over; add a brim")


def _fit_check(extents: np.ndarray, scale: float, printer: PrinterProfile) -> Check:
    if scale >= 1:
        return Check("fits_build_volume", "ok", scale, "scale", f"{_mm(extents)} mm fits the {printer.name} build volume")
    percent = math.floor(scale * 1000) / 10  # rounded down, so the suggestion really fits
    return Check(
        "fits_build_volume", "error", scale, "scale",
        f"{_mm(extents)} mm does not fit the {printer.name} build volume "
        f"({_mm((printer.bed_x, printer.bed_y, printer.height))} mm); scaled to {percent:g}% "
        f"({_mm(extents * percent / 100)} mm) it would",
    )


def _arrangement_check(
    quantity: int, grid: tuple[int, int], fits: bool, one: np.ndarray, total: np.ndarray, printer: PrinterProfile
) -> Check:
    if fits:
        return Check("arrangement", "ok", quantity, "copies", f"{quantity} copies in {grid[0]} x {grid[1]}")
    most = _max_copies(one, printer)
    return Check("arrangement", "error", most, "copies",
                 f"{quantity} copies with {COPY_GAP_MM:g} mm gaps need {_mm(total[:2])} mm; at most {most} fit on this bed")


def _thin_wall_check(one: trimesh.Trimesh, watertight: bool, nozzle: float) -> Check:
    solid = trimesh_to_manifold(one) if watertight else None
    if solid is None or solid.status() != manifold3d.Error.NoError:
        return Check("thin_walls", "warning", None, "mm", "not measured: the mesh is not a closed solid")
    thinnest = thinnest_wall(solid, _section_heights(one), nozzle)
    if thinnest is None:
        return Check("thin_walls", "ok", nozzle, "mm", f"no wall thinner than the {nozzle:g} mm nozzle")
    return Check("thin_walls", "warning", thinnest, "mm",
                 f"walls about {thinnest:.2f} mm thick, thinner than the {nozzle:g} mm nozzle: they may print thin or not at all")
