"""Involute spur gear profile (2D), and its exact area for checking the tessellation.

Standard full-depth proportions from the tip diameter: module m = OD / (teeth + 2), pitch
diameter m * teeth, addendum m, dedendum 1.25 m, tooth thickness at the pitch circle half the
circular pitch (no backlash: the fit is the slicer's business). Below the base circle the flank
is radial; root fillets and undercut are not modelled (they change the area by well under 1%).

Tooth i is centred on angle 2*pi*i/teeth, so tooth 0's tip touches +X and the X extent is the
full tip diameter for an even tooth count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def involute_function(angle: float) -> float:
    """inv(a) = tan(a) - a: the polar angle swept by the involute up to pressure angle a."""
    return math.tan(angle) - angle


@dataclass(frozen=True)
class GearGeometry:
    teeth: int
    module: float
    tip_radius: float
    pitch_radius: float
    base_radius: float
    root_radius: float
    pressure_angle: float  # radians

    @property
    def flank_start_radius(self) -> float:
        """Where the involute begins: the base circle, or the root circle when that is larger."""
        return max(self.base_radius, self.root_radius)

    def half_angle(self, radius: float) -> float:
        """Half the angular thickness of a tooth at ``radius`` (>= base radius)."""
        at_radius = math.acos(min(1.0, self.base_radius / radius))
        return math.pi / (2 * self.teeth) + involute_function(self.pressure_angle) - involute_function(at_radius)

    def involute_parameter(self, radius: float) -> float:
        """t such that a point of the involute at ``radius`` is base_radius * sqrt(1 + t^2) away."""
        return math.sqrt(max(0.0, (radius / self.base_radius) ** 2 - 1.0))


def gear_geometry(teeth: int, outer_diameter: float, pressure_angle_deg: float = 20.0) -> GearGeometry:
    module = outer_diameter / (teeth + 2)
    pitch = module * teeth / 2.0
    angle = math.radians(pressure_angle_deg)
    return GearGeometry(
        teeth=teeth,
        module=module,
        tip_radius=outer_diameter / 2.0,
        pitch_radius=pitch,
        base_radius=pitch * math.cos(angle),
        root_radius=pitch - 1.25 * module,
        pressure_angle=angle,
    )


def gear_outline(geo: GearGeometry, arc_step: float, flank_points: int = 10) -> np.ndarray:
    """Counter-clockwise outline as an (n, 2) array. ``arc_step`` is the largest angle (radians)
    between points on the tip and root circles."""
    start = geo.flank_start_radius
    # Uniform in the involute parameter t puts points closer together near the base circle,
    # where the involute bends most.
    t = np.linspace(geo.involute_parameter(start), geo.involute_parameter(geo.tip_radius), flank_points)
    flank_r = geo.base_radius * np.sqrt(1.0 + t * t)
    flank_r[0], flank_r[-1] = start, geo.tip_radius
    flank_psi = np.array([geo.half_angle(r) for r in flank_r])
    if geo.root_radius < start:  # radial flank from the root circle up to the base circle
        flank_r = np.concatenate([[geo.root_radius], flank_r])
        flank_psi = np.concatenate([[flank_psi[0]], flank_psi])

    tip_psi = flank_psi[-1]
    tip_n = 2 * max(1, math.ceil(tip_psi / arc_step)) + 1  # odd: one point exactly on the tooth axis
    tip_angles = np.linspace(-tip_psi, tip_psi, tip_n)[1:-1]
    pitch_angle = 2 * math.pi / geo.teeth
    root_gap = pitch_angle - 2 * flank_psi[0]
    root_n = max(0, math.ceil(root_gap / arc_step) - 1)
    root_angles = flank_psi[0] + root_gap * np.arange(1, root_n + 1) / (root_n + 1)

    # One tooth with the root arc after it, as (radius, angle) pairs.
    radii = np.concatenate([flank_r, np.full(tip_angles.size, geo.tip_radius), flank_r[::-1],
                            np.full(root_angles.size, geo.root_radius)])
    angles = np.concatenate([-flank_psi, tip_angles, flank_psi[::-1], root_angles])
    all_angles = (angles[None, :] + pitch_angle * np.arange(geo.teeth)[:, None]).ravel()
    all_radii = np.tile(radii, geo.teeth)
    return np.column_stack([all_radii * np.cos(all_angles), all_radii * np.sin(all_angles)])


def gear_area(geo: GearGeometry) -> float:
    """Exact area of the ideal profile, from the polar area integral 1/2 * r^2 dphi.

    Along an involute r^2 = rb^2 (1 + t^2) and dphi = t^2 / (1 + t^2) dt, so each flank
    contributes rb^2 (t_tip^3 - t_start^3) / 6; arcs contribute r^2 * angle / 2; radial lines 0.
    """
    t_tip = geo.involute_parameter(geo.tip_radius)
    t_start = geo.involute_parameter(geo.flank_start_radius)
    flanks = geo.base_radius**2 * (t_tip**3 - t_start**3) / 3.0
    tip = geo.tip_radius**2 * geo.half_angle(geo.tip_radius)
    root = geo.root_radius**2 * (math.pi / geo.teeth - geo.half_angle(geo.flank_start_radius))
    return geo.teeth * (flanks + tip + root)
