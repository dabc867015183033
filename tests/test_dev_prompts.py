"""Every dev prompt, through the real stages as the command line runs them: the offline parser,
the builder and the printability check, up to the STL written for slicing."""

from __future__ import annotations

import pytest

from octoprint_aiagent.agent.job_request import JobRequest
from octoprint_aiagent.agent.pipeline import JobOutputs, Pipeline, design_in_process
from octoprint_aiagent.agent.understand import Understander
from octoprint_aiagent.cad.mesh_io import read_stl
from octoprint_aiagent.model.printer import PrinterProfile
from octoprint_aiagent.model.progress import StageContext

from .conftest import dev_prompts

CASES = dev_prompts()


def designed(prompt: str, tmp_path):
    pipeline = Pipeline(understand=lambda text, ctx: Understander(None).understand(text, None, ctx), designer=design_in_process)
    outputs = pipeline.run(JobRequest(prompt=prompt), PrinterProfile(), tmp_path, "part", JobOutputs(), StageContext(), until="checking")
    return read_stl(outputs.stl_path), outputs


@pytest.mark.parametrize("case", CASES, ids=[c["prompt"] for c in CASES])
def test_prompt_designs_a_watertight_part_of_the_expected_size(case, tmp_path):
    mesh, outputs = designed(case["prompt"], tmp_path)
    assert mesh.is_watertight
    assert outputs.report["ok"], outputs.report
    extents = sorted(float(v) for v in mesh.extents)
    for got, want in zip(extents, sorted(case["extents"])):
        assert abs(got - want) <= case["tol_mm"], (extents, case["extents"])
    if case["volume"] is not None:
        assert abs(mesh.volume - case["volume"]) <= case["tol_volume"] * case["volume"]
