"""Every dev prompt, through the real stages: offline parser -> builder -> printability."""

from __future__ import annotations

import pytest

from octoprint_aiagent.language.parser import parse_prompt
from octoprint_aiagent.agent.pipeline import design_stage
from octoprint_aiagent.model.printer import PrinterProfile

from .conftest import dev_prompts

CASES = dev_prompts()


@pytest.mark.parametrize("case", CASES, ids=[c["prompt"] for c in CASES])
def test_prompt_designs_a_watertight_part_of_the_expected_size(case):
    spec = parse_prompt(case["prompt"])
    mesh, report = design_stage(spec, PrinterProfile())
    assert mesh.is_watertight
    assert report.ok, report.to_dict()
    extents = sorted(float(v) for v in mesh.extents)
    for got, want in zip(extents, sorted(case["extents"])):
        assert abs(got - want) <= case["tol_mm"], (extents, case["extents"])
    if case["volume"] is not None:
        assert abs(mesh.volume - case["volume"]) <= case["tol_volume"] * case["volume"]
