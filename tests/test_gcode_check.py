"""The G-code check: hand-written prints that break one rule each must be caught; a correct one and
real slicer output must pass, with time and filament that follow from the moves."""

from __future__ import annotations

import math

import pytest

from octoprint_aiagent.model.materials import MATERIALS, QUALITIES
from octoprint_aiagent.model.printer import PrinterProfile
from octoprint_aiagent.model.progress import StageContext
from octoprint_aiagent.slicing import find_slicers, slice_file
from octoprint_aiagent.slicing.gcode_check import check_gcode
from octoprint_aiagent.slicing.profiles import SliceSettings

PLA_NORMAL = SliceSettings(PrinterProfile(), MATERIALS["PLA"], QUALITIES["normal"])
SIDE = 10.0  # mm, the printed square
E_PER_LAYER = 2.0  # mm of filament per square
FEED = 1200.0  # mm/min = 20 mm/s


def start(bed=60, nozzle=210, home=True, wait_nozzle=True, wait_bed=True) -> list:
    lines = ["G90", "M82", f"M140 S{bed}", f"M104 S{nozzle}"]
    lines += ["G28"] if home else []
    lines += [f"M190 S{bed}"] if wait_bed else []
    lines += [f"M109 S{nozzle}"] if wait_nozzle else []
    return lines + ["G92 E0"]


def layer(z: float, e0: float, cx=110.0, cy=110.0, extrude=True) -> list:
    """A square of SIDE mm around (cx, cy) at height z; extrusion continues from e0."""
    h = SIDE / 2
    corners = [(cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h), (cx - h, cy - h)]
    lines = [f"G0 F6000 X{cx - h:.3f} Y{cy - h:.3f} Z{z:.3f}", f"G1 F{FEED:g}"]
    for i, (x, y) in enumerate(corners, 1):
        e = e0 + E_PER_LAYER * i / 4 if extrude else e0
        lines.append(f"G1 X{x:.3f} Y{y:.3f} E{e:.5f}")
    return lines


END = ["M104 S0", "M140 S0", "M107", "G91", "G1 Z5 F600", "G90", "M84"]


def layers(count=5, first=0.2, step=0.2, skip=None, **kw) -> list:
    out = []
    for i in range(count):
        out += layer(first + i * step, E_PER_LAYER * i, extrude=(i != skip), **kw)
    return out


def good_print(**kw) -> list:
    return start() + layers(**kw) + END


def check(tmp_path, lines, settings=PLA_NORMAL, model_height=1.0):
    path = tmp_path / "t.gcode"
    path.write_text("\n".join(lines) + "\n")
    return check_gcode(path, settings, model_height)


def assert_only(report, rule):
    assert not report.ok
    assert report.rules_failed == [rule], report.errors


def replace(lines, old, new):
    assert old in lines, old
    return [new if line == old else line for line in lines]


# -- a correct print passes and is measured -----------------------------------------------------


def test_good_print_passes_with_time_and_filament_from_the_moves(tmp_path):
    report = check(tmp_path, good_print())
    assert report.ok, report.errors
    assert report.warnings == []
    assert report.layer_count == 5 and report.first_layer_z == 0.2 and report.layer_height == 0.2
    assert report.filament_mm == pytest.approx(5 * E_PER_LAYER)
    area = math.pi * (1.75 / 2) ** 2
    assert report.filament_g == pytest.approx(5 * E_PER_LAYER * area / 1000 * 1.24)
    # Per layer: 4 sides at 20 mm/s; travel between layers; the 5 mm lift at 10 mm/s at the end.
    travel = [math.hypot(0, 0.2)] * 4  # each next layer starts at the same corner, 0.2 mm higher
    expected = 5 * (4 * SIDE / 20.0) + sum(travel) / 100.0 + 5 / 10.0
    assert report.est_time_s == pytest.approx(expected, rel=1e-6)
    assert report.bounds == ((105.0, 105.0, 0.2), (115.0, 115.0, 1.0))
    assert report.max_nozzle_temp == 210 and report.max_bed_temp == 60


def test_relative_extrusion_and_g92_resets_give_the_same_filament(tmp_path):
    lines = start() + ["M83"]
    for i in range(5):
        lines += ["G92 E0"] + [line if " E" not in line else line.split(" E")[0] + f" E{E_PER_LAYER / 4:.5f}" for line in layer(0.2 + 0.2 * i, 0)]
    lines += ["G1 E-0.8 F2100"] + END  # a final retraction is filament not used
    report = check(tmp_path, lines)
    assert report.ok, report.errors
    assert report.filament_mm == pytest.approx(5 * E_PER_LAYER - 0.8)


def test_slicer_estimates_are_read_from_comments_and_cura_placeholders_are_not(tmp_path):
    prusa = good_print() + ["; filament used [mm] = 10.00", "; filament used [g] = 0.03",
                            "; estimated printing time (normal mode) = 1h 2m 3s"]  # fmt: skip
    assert check(tmp_path, prusa).slicer_estimates == {"filament_mm": 10.0, "filament_g": 0.03, "time_s": 3723.0}
    cura_cli = [";FLAVOR:Marlin", ";TIME:6666", ";Filament used: 0m", ";Generated with Cura_SteamEngine 4.13.0"] + good_print()
    report = check(tmp_path, cura_cli)
    assert report.slicer_estimates == {} and report.generator == "Cura_SteamEngine 4.13.0"
    cura_gui = [";TIME:933", ";Filament used: 1.5m"] + good_print()
    assert check(tmp_path, cura_gui).slicer_estimates == {"time_s": 933.0, "filament_mm": 1500.0}


# -- each rule, broken once -----------------------------------------------------------------------


def test_move_outside_the_bed(tmp_path):
    lines = good_print()
    lines.insert(lines.index("G1 F1200"), "G0 X230 Y110")
    assert_only(check(tmp_path, lines), "outside_bed")


def test_relative_move_outside_the_bed(tmp_path):
    lines = good_print()
    lines[lines.index("M104 S0"):lines.index("M104 S0")] = ["G91", "G1 X120", "G90"]
    report = check(tmp_path, lines)
    assert_only(report, "outside_bed")
    assert "X225 Y105" in report.errors[0]  # 105 + 120: the last position plus the move


def test_part_outside_a_centre_origin_bed(tmp_path):
    centre = SliceSettings(PrinterProfile(origin="center"), MATERIALS["PLA"], QUALITIES["normal"])
    assert_only(check(tmp_path, good_print(), centre), "outside_bed")  # X115 on a bed from -110 to 110
    assert check(tmp_path, start() + layers(cx=0.0, cy=0.0) + END, centre).ok


def test_circular_bed_corners_are_outside(tmp_path):
    round_bed = SliceSettings(PrinterProfile(bed_x=220, bed_y=220, bed_shape="circular"), MATERIALS["PLA"], QUALITIES["normal"])
    assert check(tmp_path, good_print(), round_bed).ok
    corner = good_print(cx=20.0, cy=20.0)  # inside the 220 mm square, outside the 220 mm circle
    assert check(tmp_path, corner, PLA_NORMAL).ok
    assert_only(check(tmp_path, corner, round_bed), "outside_bed")


def test_move_above_the_build_height(tmp_path):
    lines = replace(good_print(), "G1 Z5 F600", "G1 Z260 F600")
    assert_only(check(tmp_path, lines), "build_height")


def test_nozzle_too_hot_for_the_material(tmp_path):
    lines = start(nozzle=260) + layers() + END
    assert_only(check(tmp_path, lines), "nozzle_temp")


def test_bed_too_hot_for_the_material(tmp_path):
    lines = start(bed=110) + layers() + END
    assert_only(check(tmp_path, lines), "bed_temp")


def test_extrusion_before_the_nozzle_is_heated(tmp_path):
    lines = start(wait_nozzle=False) + layers() + END
    report = check(tmp_path, lines)
    assert_only(report, "heat_up")
    late = start(wait_nozzle=False) + layer(0.2, 0) + ["M109 S210"] + layers()[len(layer(0.2, 0)):] + END
    assert_only(check(tmp_path, late), "heat_up")


def test_extrusion_before_the_bed_is_heated(tmp_path):
    no_bed = [line for line in good_print() if not line.startswith(("M140 S60", "M190"))]
    assert_only(check(tmp_path, no_bed), "bed_heat_up")
    not_waited = [line for line in good_print() if not line.startswith("M190")]
    report = check(tmp_path, not_waited)
    assert report.ok and [p.rule for p in report.problems] == ["bed_wait"]


def test_no_bed_heating_needed_without_a_heated_bed(tmp_path):
    cold = SliceSettings(PrinterProfile(heated_bed=False), MATERIALS["PLA"], QUALITIES["normal"])
    no_bed = [line for line in good_print() if not line.startswith(("M140", "M190"))]
    assert check(tmp_path, no_bed, cold).ok
    report = check(tmp_path, good_print(), cold)
    assert report.ok and "bed_not_heated" in [p.rule for p in report.problems]


def test_moves_before_homing(tmp_path):
    lines = start(home=False) + layers() + END
    assert_only(check(tmp_path, lines), "homing")


def test_missing_layer(tmp_path):
    report = check(tmp_path, good_print(skip=2))
    assert_only(report, "missing_layer")
    assert "Z0.4" in report.errors[0] and "Z0.8" in report.errors[0]


def test_wrong_layer_height(tmp_path):
    report = check(tmp_path, good_print(count=4, step=0.3), model_height=1.1)
    assert_only(report, "layer_height")


def test_layer_count_does_not_match_the_model(tmp_path):
    assert_only(check(tmp_path, good_print(), model_height=2.0), "layer_count")
    assert check(tmp_path, good_print(), model_height=1.1).ok  # one layer of rounding is fine


def test_a_top_thinner_than_a_line_may_be_left_out(tmp_path):
    """Slicers print nothing where a part's tip is narrower than a line: given the mesh, the check
    counts the layers the part can have up to there; a block as tall gets no such allowance."""
    trimesh = pytest.importorskip("trimesh")
    # 1 mm tall: 5 layers. The cone is 0.4 mm across at the middle of its last layer (z 0.9), less
    # than the 0.45 mm line, and 1.2 mm at the middle of the one below: printable up to z 0.8.
    cone, block = tmp_path / "cone.stl", tmp_path / "block.stl"
    trimesh.creation.cone(radius=2.0, height=1.0, sections=64).export(str(cone))
    trimesh.creation.box((4.0, 4.0, 1.0), transform=trimesh.transformations.translation_matrix((0, 0, 0.5))).export(str(block))
    path = tmp_path / "t.gcode"
    path.write_text("\n".join(good_print(count=3)) + "\n")
    assert check_gcode(path, PLA_NORMAL, 1.0, stl_path=cone).ok
    report = check_gcode(path, PLA_NORMAL, 1.0, stl_path=block)
    assert_only(report, "layer_count")
    assert "3 layers for a part 1 mm tall; expected about 5" in report.errors[0]
    assert_only(check_gcode(path, PLA_NORMAL, 1.0), "layer_count")
    path.write_text("\n".join(good_print(count=2)) + "\n")  # cut short below the tip
    report = check_gcode(path, PLA_NORMAL, 1.0, stl_path=cone)
    assert_only(report, "layer_count")
    assert "expected 4 to 5 (its top is thinner than a line)" in report.errors[0]
    # A mesh that cannot be read gives no allowance, and the error says why.
    (tmp_path / "broken.stl").write_text("not a mesh")
    report = check_gcode(path, PLA_NORMAL, 1.0, stl_path=tmp_path / "broken.stl")
    assert_only(report, "layer_count")
    assert "expected about 5 (the mesh, which could show a top thinner than a line, was not read:" in report.errors[0]


def test_first_layer_at_the_wrong_height(tmp_path):
    assert_only(check(tmp_path, good_print(first=0.4), model_height=1.2), "first_layer")


def test_heaters_left_on_at_the_end(tmp_path):
    assert_only(check(tmp_path, [line for line in good_print() if line != "M104 S0"]), "end_heaters")
    assert_only(check(tmp_path, [line for line in good_print() if line != "M140 S0"]), "end_heaters")


def test_end_without_motors_off_or_with_fan_on_warns(tmp_path):
    lines = [line for line in good_print() if line not in ("M84", "M107")]
    lines.insert(3, "M106 S255")
    report = check(tmp_path, lines)
    assert report.ok
    assert sorted(p.rule for p in report.problems) == ["end_fan", "end_motors"]


def test_nothing_extruded(tmp_path):
    assert_only(check(tmp_path, start() + END), "no_extrusion")


def test_repeated_violations_are_counted_not_listed(tmp_path):
    lines = good_print(cx=250.0)  # every move of every layer is off the bed
    report = check(tmp_path, lines)
    assert report.rules_failed == ["outside_bed"] and len(report.errors) == 1
    assert "more like it" in report.errors[0]


def test_lower_case_and_unspaced_words_are_read(tmp_path):
    lines = [line.lower() for line in good_print()]
    assert check(tmp_path, lines).filament_mm == pytest.approx(5 * E_PER_LAYER)
    packed = [line.replace(" ", "") if line.startswith("G1 X") else line for line in good_print()]
    assert "G1X115.000Y105.000E0.50000" in packed
    report = check(tmp_path, packed)
    assert report.ok and report.filament_mm == pytest.approx(5 * E_PER_LAYER) and report.layer_count == 5


def test_inch_units_are_refused(tmp_path):
    lines = good_print()
    lines.insert(0, "G20")
    assert "units" in check(tmp_path, lines).rules_failed


# -- real slicer output passes --------------------------------------------------------------------


@pytest.fixture(scope="module")
def cube_stl(tmp_path_factory):
    trimesh = pytest.importorskip("trimesh")
    path = tmp_path_factory.mktemp("stl") / "cube.stl"
    mesh = trimesh.creation.box((20, 20, 20))
    mesh.apply_translation((0, 0, 10))
    mesh.export(str(path))
    return path


@pytest.mark.parametrize("slicer", ["prusaslicer", "curaengine"])
def test_real_slicer_output_passes_and_matches_the_slicers_filament(slicer, cube_stl, tmp_path):
    if not find_slicers()[slicer]:
        pytest.skip(f"{slicer} is not installed here (CI installs it)")
    out = tmp_path / f"{slicer}.gcode"
    slice_file(cube_stl, out, PLA_NORMAL, slicer, StageContext(), found=find_slicers())
    report = check_gcode(out, PLA_NORMAL, 20.0)
    assert report.ok, report.errors
    assert report.layer_count == 100
    assert report.filament_mm == pytest.approx(report.slicer_estimates["filament_mm"], rel=0.01)
    # Ours ignores acceleration: lower than the slicer's, but in the same range.
    assert 0.6 * report.slicer_estimates["time_s"] < report.est_time_s < 1.05 * report.slicer_estimates["time_s"]


def cut_above(src, dst, z_cut: float) -> None:
    """Copy the G-code at ``src`` to ``dst`` with nothing extruded above ``z_cut``: the part's top
    layers gone, the start and end sequences kept, as a print stopped short of its top would be."""
    z, relative = 0.0, False
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        for line in f:
            words = line.split(";", 1)[0].split()
            code = words[0].upper() if words else ""
            if code in ("G90", "G91"):
                relative = code == "G91"
            elif code in ("G0", "G1"):
                for w in words[1:]:
                    if w[:1].upper() == "Z":
                        z = z + float(w[1:]) if relative else float(w[1:])
                if z > z_cut:
                    out.write(" ".join(w for w in words if w[:1].upper() != "E") + "\n")
                    continue
            out.write(line)


@pytest.mark.slow
@pytest.mark.parametrize("slicer", ["builtin", "prusaslicer", "curaengine"])
def test_a_pointed_top_left_out_passes_and_a_print_cut_short_does_not(slicer, tmp_path):
    """A 10 mm pyramid, sliced for real: CuraEngine stops two layers below its tip, where it is
    narrower than a line (the builtin slicer and PrusaSlicer one), which the check allows given the
    mesh. Cut two layers below that, the print is short of the part, mesh or not."""
    trimesh = pytest.importorskip("trimesh")
    if not find_slicers()[slicer]:
        pytest.skip(f"{slicer} is not installed here (CI installs it)")
    stl, out, short = tmp_path / "pyramid.stl", tmp_path / "pyramid.gcode", tmp_path / "short.gcode"
    trimesh.creation.cone(radius=7.0, height=10.0, sections=4).export(str(stl))
    slice_file(stl, out, PLA_NORMAL, slicer, StageContext(), found=find_slicers(), model_height=10.0)
    report = check_gcode(out, PLA_NORMAL, 10.0, stl_path=stl)
    assert report.ok, report.errors
    assert report.layer_count == {"curaengine": 48}.get(slicer, 49)
    without_mesh = check_gcode(out, PLA_NORMAL, 10.0)
    assert without_mesh.ok == (slicer != "curaengine"), without_mesh.errors

    cut_above(out, short, 9.21)  # printable up to z 9.6, 48 layers, 47 allowed: 46 kept
    report = check_gcode(short, PLA_NORMAL, 10.0, stl_path=stl)
    assert report.layer_count == 46
    assert_only(report, "layer_count")
    assert "expected 48 to 50 (its top is thinner than a line)" in report.errors[0]
    cut_above(out, short, 9.41)  # 47 kept: within the one layer the check allows for rounding
    assert check_gcode(short, PLA_NORMAL, 10.0, stl_path=stl).ok


def test_the_isolated_check_reports_what_the_in_process_check_does(tmp_path):
    """The pipeline checks in a child process (for the printer's sake): same verdict, same numbers."""
    from octoprint_aiagent.slicing.isolated_check import check_gcode_isolated

    path = tmp_path / "bad.gcode"
    path.write_text("M104 S210\nM109 S210\nG28\nG1 Z0.2 F600\nG1 X500 Y10 E5 F1200\n")
    inline = check_gcode(path, PLA_NORMAL, 20.0)
    isolated = check_gcode_isolated(path, PLA_NORMAL, 20.0, StageContext(), tmp_path)
    assert not isolated.ok and isolated.rules_failed == inline.rules_failed
    assert isolated.to_dict() == inline.to_dict()


def test_the_isolated_check_reads_the_mesh_for_a_pointed_top(tmp_path):
    from octoprint_aiagent.slicing.isolated_check import check_gcode_isolated

    trimesh = pytest.importorskip("trimesh")
    cone = tmp_path / "cone.stl"
    trimesh.creation.cone(radius=2.0, height=1.0, sections=64).export(str(cone))
    path = tmp_path / "t.gcode"
    path.write_text("\n".join(good_print(count=3)) + "\n")
    assert not check_gcode_isolated(path, PLA_NORMAL, 1.0, StageContext(), tmp_path).ok
    assert check_gcode_isolated(path, PLA_NORMAL, 1.0, StageContext(), tmp_path, stl_path=cone).ok
