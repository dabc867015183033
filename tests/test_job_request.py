"""A job request's own spec or part document is checked when the request arrives, and the tab's
definitions of the part language come from the same tables as the validator."""

from __future__ import annotations

import json

import pytest

from octoprint_aiagent.agent.job_request import parse_job_request
from octoprint_aiagent.model.errors import AgentError
from octoprint_aiagent.model.glossary import glossary
from octoprint_aiagent.model.spec import KINDS

PLATE = {"box": {"length": 60, "width": 40, "height": 5}, "features": [{"hole": {"diameter": 6}, "pattern": {"corners": {"inset": 6}}}]}


def parse(body: dict):
    return parse_job_request(body, {"quality": "normal", "infill_percent": 20}, 2000)


@pytest.mark.parametrize("body, message", [
    ({"spec": {"part": dict(PLATE, features=[{"hole": {"diameter": 0}, "pattern": {"corners": {}}}])}},
     "part.features[0].hole.diameter is 0 mm; it must be from 0.1 to 1000 mm"),
    ({"spec": {"part": dict(PLATE, features=[{"hole": {"diameter": 6}, "pattern": {"grid": {"columns": 2.5, "rows": 2}}}])}},
     "part.features[0].pattern.grid.columns must be a whole number"),
    ({"part": {"cube": {"size": 20, "height": 3}}}, "part.cube has no parameter 'height'"),
    ({"spec": {"part": {"cube": {"size": 20}}, "quantity": 0}}, "quantity must be a whole number from 1"),
])
def test_an_invalid_document_is_refused_before_a_job_is_made(body, message):
    with pytest.raises(AgentError) as caught:
        parse(body)
    assert caught.value.http_status == 422
    assert message in caught.value.message


def test_a_valid_document_or_sentence_makes_a_request():
    request, _ = parse({"spec": {"part": PLATE, "material": "PETG", "prompt": "a plate"}, "quality": "fine"})
    assert request.spec["part"] == PLATE and request.quality == "fine"
    assert request.stated_spec().backend == "user"
    assert parse({"part": {"cube": {"size": 20}}})[0].stated_spec().params == {"size": 20.0}
    sentence, _ = parse({"prompt": "a 20 mm cube"})
    assert sentence.stated_spec() is None  # understood later, in the job


def test_the_glossary_describes_every_node_with_units_and_bounds():
    words = glossary()
    json.dumps(words)  # served as it is
    assert set(KINDS) <= set(words["types"]["solid"])
    hole = words["types"]["feature"]["hole"]
    assert hole["group"] == "cut" and "on" in hole["placed_by"]
    assert words["types"]["feature"]["fillet"]["placed_by"] == []
    assert hole["params"]["diameter"] == {"kind": "length", "unit": "mm", "role": "diameter", "description": "diameter",
                                          "minimum": 0.1, "maximum": 1000.0}
    assert words["types"]["pattern"]["grid"]["params"]["columns"]["kind"] == "count"
    assert words["types"]["sketch"]["gear"]["params"]["pressure_angle"]["unit"] == "°"
    assert words["placement"]["feature"]["from_edge"]["unit"] == "mm"
    assert words["placement"]["feature"]["on"]["choices"] == ["top", "bottom", "front", "back", "left", "right"]
