"""The material the user named is the one the G-code is made for: from the request's material
field, else the request's words, else the default, decided once with the spec and read from there
by slicing and the G-code check (issue: a PETG cube was sliced with PLA temperatures)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from octoprint_aiagent.agent.pipeline import with_material
from octoprint_aiagent.language.parser import parse_prompt
from octoprint_aiagent.language.refine import refine_spec
from octoprint_aiagent.model.errors import AgentError
from octoprint_aiagent.model.materials import MATERIALS


def run_cli(*args):
    env = dict(os.environ, AIAGENT_QUIET="1")
    r = subprocess.run([sys.executable, "-m", "octoprint_aiagent", *args], capture_output=True, text=True, timeout=300, env=env, check=False)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def heat_commands(gcode: str) -> set:
    return {line.split(";")[0].strip() for line in gcode.splitlines() if line.startswith(("M104 S", "M109 S", "M140 S", "M190 S"))} - {"M104 S0", "M140 S0"}


@pytest.mark.parametrize("name", list(MATERIALS))
def test_a_prompt_naming_a_material_gets_its_temperatures_on_the_command_line(name, tmp_path):
    preset = MATERIALS[name]
    gcode = tmp_path / "part.gcode"
    out = run_cli("run", f"a 20 mm cube in {preset.label}", "-o", str(gcode), "--slicer", "builtin", "--quality", "draft")
    assert out["spec"]["material"] == name and out["check"]["material"] == name
    assert out["check"]["max_nozzle_temp"] == preset.nozzle_temp and out["check"]["max_bed_temp"] == preset.bed_temp
    assert heat_commands(gcode.read_text()) == {f"M104 S{preset.nozzle_temp}", f"M109 S{preset.nozzle_temp}",
                                                f"M140 S{preset.bed_temp}", f"M190 S{preset.bed_temp}"}


def test_the_material_field_wins_over_the_words_and_says_so():
    spec = with_material(parse_prompt("a 20 mm cube in PETG"), "abs", "PLA")
    assert spec.material == "ABS"
    assert any("PETG" in n and "ABS" in n for n in spec.notes)


def test_without_a_choice_the_words_then_the_default_decide():
    assert with_material(parse_prompt("an ABS cylinder 20 mm wide and 10 mm tall"), None, "PLA").material == "ABS"
    default = with_material(parse_prompt("a 20 mm cube"), None, "PETG")
    assert default.material == "PETG"
    assert [(a.field, a.value) for a in default.assumptions] == [("material", "PETG")]


def test_an_unknown_material_is_refused():
    with pytest.raises(AgentError, match="unknown material"):
        with_material(parse_prompt("a 20 mm cube"), "wood", "PLA")


def test_refine_changes_the_material_of_the_spec():
    spec = with_material(parse_prompt("a 20 mm cube"), None, "PLA")
    assert refine_spec(spec, "use PETG").material == "PETG"
    assert refine_spec(spec, "make it 10 mm taller").material == "PLA"
