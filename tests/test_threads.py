"""Helical ISO metric threads, measured on the mesh: diameters, pitch and flank angle on sections
through the axis, the hand of the helix, the volume against the profile's closed form, and a bolt
turning in a nut with clearance (no overlap) and with interference (overlap)."""

from __future__ import annotations

import math

import manifold3d
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from octoprint_aiagent.cad.mesh_io import manifold_to_trimesh
from octoprint_aiagent.cad.threads import external_thread, internal_thread_cutter
from octoprint_aiagent.model.errors import AgentError
from octoprint_aiagent.model.standards import PITCHES

SIZES = [(3, 0.5, 10), (8, 1.25, 30), (8, 1.0, 12), (24, 3.0, 60)]  # d, P, length


def minor(d: float, pitch: float) -> float:
    """ISO 68-1 basic minor diameter, from the standard's figure: d1 = d - 1.0825 P."""
    return d - 1.0825 * pitch


def axial_section(solid: manifold3d.Manifold, angle: float = 0.0) -> list[np.ndarray]:
    """The solid cut by the plane through the Z axis at ``angle`` degrees: polygons of (x, z)
    points, x measured along that direction (so x > 0 is the half-plane at ``angle``)."""
    # Turn the half-plane onto +X, then the XZ plane onto XY: (x, y, z) -> (x, -z, y).
    turned = solid.rotate((0.0, 0.0, -angle)).rotate((90.0, 0.0, 0.0))
    return [np.column_stack([p[:, 0], -p[:, 1]]) for p in turned.slice(0.0).to_polygons()]


def radius(polygons: list[np.ndarray], z: np.ndarray, outermost: bool = True) -> np.ndarray:
    """At each height, where the outline crosses the half-plane x > 0: the outermost crossing
    (a bolt's surface) or the innermost (a nut's bore)."""
    p = np.concatenate(polygons)
    q = np.concatenate([np.roll(poly, -1, axis=0) for poly in polygons])
    (x0, z0), (x1, z1) = p.T, q.T
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (z[:, None] - z0) / (z1 - z0)
        x = x0 + t * (x1 - x0)
    hit = ((z0 - z[:, None]) * (z1 - z[:, None]) < 0) & (x > 0)
    return np.where(hit, x, -np.inf).max(axis=1) if outermost else np.where(hit, x, np.inf).min(axis=1)


def flats(z: np.ndarray, on: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last height of each run of samples where ``on`` holds, leaving out runs cut
    short by either end of the sample."""
    edges = np.diff(np.concatenate([[0], on.astype(int), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0] - 1
    whole = (starts > 0) & (ends < len(z) - 1)
    return z[starts[whole]], z[ends[whole]]


def crest_middles(z: np.ndarray, r: np.ndarray) -> np.ndarray:
    lo, hi = flats(z, r > r.max() - 1e-3)
    return (lo + hi) / 2


def profile(solid, pitch: float, z_from: float, z_to: float, angle: float = 0.0):
    z = np.arange(z_from, z_to, pitch / 500) + pitch / 1234  # off the vertices' heights
    return z, radius(axial_section(solid, angle), z)


@pytest.mark.parametrize("d,pitch,length", SIZES)
@pytest.mark.parametrize("clearance", [0.0, 0.2, -0.1])
def test_diameters_pitch_and_flanks_measured_on_a_section(d, pitch, length, clearance):
    solid = external_thread(d, pitch, length, clearance)
    z, r = profile(solid, pitch, 2 * pitch, length - 2 * pitch)  # clear of the chamfers
    # The clearance moves crest and root by the same amount: the profile moves, it is not scaled.
    assert 2 * r.max() == pytest.approx(d - 2 * clearance, abs=1e-3)
    assert 2 * r.min() == pytest.approx(minor(d, pitch) - 2 * clearance, abs=1e-3)
    crests = crest_middles(z, r)
    assert len(crests) >= 3
    assert np.diff(crests) == pytest.approx(pitch, abs=pitch / 200)
    # Crest and root flats P/8 and P/4 wide; flanks at 30 degrees to the radius (60 included).
    step = z[1] - z[0]
    for on, width in ((r > r.max() - 1e-3, pitch / 8), (r < r.min() + 1e-3, pitch / 4)):
        lo, hi = flats(z, on)
        assert hi - lo + step == pytest.approx(width, abs=3 * step)
    slope = np.abs(np.diff(r) / step)
    flank = slope[slope > 0.1]
    assert math.degrees(math.atan(1 / np.median(flank))) == pytest.approx(30.0, abs=0.2)


def crest_phase(solid, pitch: float, z_from: float, angle: float) -> float:
    """Height of the first crest middle above z_from, in the half-plane at ``angle``."""
    z, r = profile(solid, pitch, z_from, z_from + 3 * pitch, angle)
    return float(crest_middles(z, r)[0] - z_from) % pitch


def hand(solid, pitch: float, z_from: float) -> str:
    """"right" if the crest climbs a quarter pitch for each quarter turn anticlockwise seen from
    +Z (a right-hand helix: turned clockwise, it moves away from the viewer), "left" if it sinks."""
    phases = [crest_phase(solid, pitch, z_from, a) for a in (0, 90, 180, 270, 360)]
    climbs = [(b - a) % pitch for a, b in zip(phases, phases[1:])]
    if all(abs(c - pitch / 4) < pitch / 50 for c in climbs):
        return "right"
    if all(abs(c - 3 * pitch / 4) < pitch / 50 for c in climbs):
        return "left"
    return f"neither: climbs {climbs}"


@pytest.mark.parametrize("d,pitch,length", SIZES)
def test_threads_are_right_hand_and_a_mirrored_one_is_not(d, pitch, length):
    bolt = external_thread(d, pitch, length)
    assert hand(bolt, pitch, length / 3) == "right"
    assert hand(bolt.mirror((0.0, 1.0, 0.0)), pitch, length / 3) == "left"  # the check can fail
    assert hand(internal_thread_cutter(d, pitch, length, 0.2), pitch, length / 3) == "right"


def ideal_volume(d: float, pitch: float, length: float, clearance: float) -> float:
    """Every section across the axis is the profile wrapped once round the circle, so its area is
    pi * mean(R^2) over a pitch: crest flat 1/8, root flat 1/4, two straight flanks 5/8."""
    crest, root = d / 2 - clearance, minor(d, pitch) / 2 - clearance
    flanks = (crest**2 + crest * root + root**2) / 3
    return math.pi * (crest**2 / 8 + root**2 / 4 + 5 * flanks / 8) * length


@pytest.mark.parametrize("d,pitch,length", SIZES)
def test_volume_within_half_a_percent_of_the_true_thread(d, pitch, length):
    for clearance in (0.0, 0.15):
        rod = external_thread(d, pitch, length, clearance, chamfer_bottom=False, chamfer_top=False)
        assert rod.volume() == pytest.approx(ideal_volume(d, pitch, length, clearance), rel=5e-3)
        cutter = internal_thread_cutter(d, pitch, length, clearance, chamfer_bottom=False, chamfer_top=False)
        assert cutter.volume() == pytest.approx(ideal_volume(d, pitch, length, -clearance), rel=5e-3)


@pytest.mark.parametrize("d,pitch,length", SIZES + [(2, 0.4, 3), (8, 1.25, 0.5)])
def test_watertight_single_bodies_with_flat_ends(d, pitch, length):
    bolt, cutter = external_thread(d, pitch, length, 0.1), internal_thread_cutter(d, pitch, length, 0.1)
    for solid in (bolt, cutter):
        assert solid.status() == manifold3d.Error.NoError
        assert len(solid.decompose()) == 1
        mesh = manifold_to_trimesh(solid)
        assert mesh.is_watertight and mesh.is_winding_consistent and mesh.body_count == 1
        assert mesh.bounds[:, 2] == pytest.approx([0.0, length], abs=1e-5)
    # Chamfers: a bolt's end face is the root circle, a nut's countersink the major circle.
    root, crest = minor(d, pitch) / 2 - 0.1, d / 2 + 0.1
    for z in (1e-3, length - 1e-3):
        bolt_end = np.hypot(*np.concatenate(bolt.slice(z).to_polygons()).T)
        assert bolt_end.max() == pytest.approx(root, abs=2e-3)
        cut_end = np.hypot(*np.concatenate(cutter.slice(z).to_polygons()).T)
        assert cut_end.min() == pytest.approx(crest, abs=0.01)  # chords of the circle
        assert cut_end.max() <= crest + 1e-5


@settings(max_examples=25, deadline=None)
@given(
    thread=st.sampled_from([(d, p) for d, pitches in PITCHES.items() for p in pitches]),
    length=st.floats(0.2, 40.0),
    clearance=st.floats(-0.2, 0.3),
    ends=st.tuples(st.booleans(), st.booleans()),
)
def test_any_listed_thread_builds_a_valid_solid(thread, length, clearance, ends):
    d, pitch = thread
    for make in (external_thread, internal_thread_cutter):
        solid = make(d, pitch, length, clearance, chamfer_bottom=ends[0], chamfer_top=ends[1])
        assert solid.status() == manifold3d.Error.NoError and len(solid.decompose()) == 1
        assert manifold_to_trimesh(solid).is_watertight
        sign = 1 if make is external_thread else -1
        full = ideal_volume(d, pitch, length, sign * clearance)
        # Chamfers only take away from a bolt and only add to a cutter.
        assert (solid.volume() <= full * 1.001) if sign == 1 else (solid.volume() >= full * 0.99)


def nut_and_bolt(clearance: float):
    """An ISO 4032 M8 nut (13 across flats, 6.8 high) and an M8 bolt through it, both threaded
    from z=0 with the same clearance; the bolt is shifted down by whole pitches, which keeps it in
    phase."""
    pitch, height = 1.25, 6.8
    body = manifold3d.Manifold.extrude(manifold3d.CrossSection.circle(13 / math.sqrt(3), 6), height)
    nut = body - internal_thread_cutter(8, pitch, height, clearance)
    bolt = external_thread(8, pitch, height + 4 * pitch, clearance).translate((0.0, 0.0, -2 * pitch))
    return nut, bolt


def test_bolt_turns_in_nut_with_the_clearance_as_gap():
    nut, bolt = nut_and_bolt(0.2)
    assert nut.status() == manifold3d.Error.NoError and len(nut.decompose()) == 1 and nut.genus() == 1
    assert (nut ^ bolt).volume() < 0.01  # mm3: they do not touch
    z = np.arange(1.5, 5.3, 0.01) + 1e-4  # inside the nut, clear of its countersinks
    for angle in (0.0, 45.0, 100.0):
        gap = radius(axial_section(nut, angle), z, outermost=False) - radius(axial_section(bolt, angle), z)
        # 0.2 from each part: the same profile, one moved in and the other out.
        assert gap.min() == pytest.approx(0.4, abs=0.01)
        assert gap.max() == pytest.approx(0.4, abs=0.01)


def test_bolt_with_interference_overlaps_the_nut():
    nut, bolt = nut_and_bolt(-0.2)
    overlap = (nut ^ bolt).volume()
    # A 0.4 mm radial interference all round the 6.8 mm of thread: tens of mm3, not a sliver.
    assert overlap > 20.0


def test_impossible_threads_are_refused():
    with pytest.raises(AgentError, match="no core"):
        external_thread(3, 3.0, 10)
    with pytest.raises(AgentError, match="no core"):
        internal_thread_cutter(2, 0.4, 5, clearance=0.8)
    with pytest.raises(AgentError, match="positive"):
        external_thread(8, 1.25, 0)
