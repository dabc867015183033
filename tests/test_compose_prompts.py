"""The composed parts of shared/eval/compose_prompts.jsonl (features, composition, standard parts,
and requests that must be refused), through the real stages as the command line runs them: the
offline parser, the builder and the printability check, up to the STL written for slicing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from octoprint_aiagent.model.errors import AgentError

from .test_dev_prompts import designed

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "compose_prompts.jsonl").read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("case", [c for c in CASES if not c.get("expect_error")], ids=lambda c: c["prompt"])
def test_composed_part_has_the_expected_size(case, tmp_path):
    mesh, outputs = designed(case["prompt"], tmp_path)
    assert mesh.is_watertight
    assert outputs.report["ok"], outputs.report
    extents = sorted(float(v) for v in mesh.extents)
    for got, want in zip(extents, sorted(case["extents"])):
        assert abs(got - want) <= case["tol_mm"], (extents, case["extents"])
    if case["volume"] is not None:
        assert abs(mesh.volume - case["volume"]) <= case["tol_volume"] * case["volume"], (mesh.volume, case["volume"])


@pytest.mark.parametrize("case", [c for c in CASES if c.get("expect_error")], ids=lambda c: c["prompt"])
def test_requests_that_must_be_refused_are_refused_with_a_reason_and_no_file(case, tmp_path):
    with pytest.raises(AgentError) as err:
        designed(case["prompt"], tmp_path)
    assert err.value.reason == "invalid" and len(err.value.message) > 20
    assert not any(tmp_path.iterdir()), "no model file for a refused request"
