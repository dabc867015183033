"""The command line, as a user runs it: a subprocess, exit codes, files, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from octoprint_aiagent.cad.mesh_io import read_stl


def cli(*args, cwd=None):
    env = dict(os.environ, AIAGENT_QUIET="1")
    return subprocess.run([sys.executable, "-m", "octoprint_aiagent", *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=env, check=False)


def test_help_lists_the_commands():
    r = cli("--help")
    assert r.returncode == 0
    for command in ("parse", "design", "slice", "run"):
        assert command in r.stdout


def test_parse_prints_the_spec():
    r = cli("parse", "a tube 40mm long, outer diameter 20mm, inner diameter 16mm")
    assert r.returncode == 0, r.stderr
    spec = json.loads(r.stdout)
    assert spec["part"] == {"tube": {"outer_diameter": 20.0, "inner_diameter": 16.0, "height": 40.0}}
    assert sorted(r["path"] for r in spec["roles"]) == ["height", "inner_diameter", "outer_diameter"]


@pytest.mark.parametrize("prompt", ["", "   ", "a cylinder 30 mm wide", "something nice"])
def test_parse_refuses_with_exit_2_and_one_line(prompt):
    r = cli("parse", prompt)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("error: understanding:")


def test_design_writes_a_binary_stl_and_a_report(tmp_path):
    stl, report = tmp_path / "box.stl", tmp_path / "report.json"
    r = cli("design", "an open box 60x40x20 with 2mm walls", "-o", str(stl), "--report", str(report))
    assert r.returncode == 0, r.stderr
    mesh = read_stl(str(stl))
    assert mesh.is_watertight and abs(mesh.volume - 11712) < 0.01 * 11712
    data = json.loads(report.read_text())
    assert data["spec"]["kind"] == "open_box" and data["report"]["ok"] is True


def test_design_refuses_a_part_larger_than_the_bed(tmp_path):
    r = cli("design", "a box 300 x 30 x 10 mm", "-o", str(tmp_path / "big.stl"), "--bed", "220x220x250")
    assert r.returncode == 2
    assert "fit" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "big.stl").exists()


@pytest.mark.parametrize("slicer,binary", [("builtin", None), ("prusaslicer", "prusa-slicer"), ("curaengine", "CuraEngine")])
def test_run_and_slice_with_each_backend(tmp_path, slicer, binary):
    if binary and not shutil.which(binary):
        pytest.skip(f"{binary} is not installed")
    stl, gcode = tmp_path / "cube.stl", tmp_path / "cube.gcode"
    r = cli("run", "a 20mm calibration cube", "-o", str(gcode), "--stl", str(stl), "--slicer", slicer)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["slicer"] == slicer and out["check"]["ok"] is True and out["check"]["layer_count"] == 100
    again = tmp_path / "again.gcode"
    r = cli("slice", str(stl), "-o", str(again), "--slicer", slicer, "--material", "PETG", "--quality", "draft")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["check"]["ok"] is True
    assert "M109 S240" in again.read_text()


def test_slice_refuses_a_missing_file_and_a_bad_bed(tmp_path):
    r = cli("slice", str(tmp_path / "none.stl"), "-o", str(tmp_path / "x.gcode"))
    assert r.returncode == 2 and "no mesh file" in r.stderr
    r = cli("run", "a 20mm cube", "-o", str(tmp_path / "x.gcode"), "--bed", "huge")
    assert r.returncode == 2 and "WIDTHxDEPTHxHEIGHT" in r.stderr
    assert not (tmp_path / "x.gcode").exists()
