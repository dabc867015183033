"""The schema and the system prompt an LLM is held to are written from the part language's own
tables: every node type is in them, nothing the validator accepts is refused by the schema (a
server's grammar would make a valid part impossible to write), and the prompt's examples are
parts that pass the whole design loop's checks for their own request."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import given

from octoprint_aiagent.agent.design_loop import part_findings
from octoprint_aiagent.agent.understand import inspect_in_process
from octoprint_aiagent.language.grounding import ground
from octoprint_aiagent.language.parser import parse_prompt
from octoprint_aiagent.llm import prompting
from octoprint_aiagent.model.document import SOLID_TYPES, check_part
from octoprint_aiagent.model.features import FEATURES
from octoprint_aiagent.model.patterns import PATTERNS
from octoprint_aiagent.model.printer import PrinterProfile
from octoprint_aiagent.model.schema import part_schema
from octoprint_aiagent.model.sketches import SKETCHES
from octoprint_aiagent.model.spec import DesignSpec
from octoprint_aiagent.model.templates import TEMPLATES

from .conftest import DATA
from .test_part_document import PROPERTY, plates_with_holes

PARTS = jsonschema.Draft202012Validator(part_schema())
ANSWERS = jsonschema.Draft202012Validator(prompting.answer_schema())
ROWS = [json.loads(line) for name in ("dev_prompts", "compose_prompts")
        for line in (DATA / f"{name}.jsonl").read_text().splitlines() if line.strip()]
PROMPTS = [row["prompt"] for row in ROWS if not row.get("expect_error")]


def schema_errors(validator, doc) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_the_schemas_are_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(part_schema())
    jsonschema.Draft202012Validator.check_schema(prompting.answer_schema())


def test_every_node_type_has_its_branch():
    defs = part_schema()["$defs"]
    for family, table in (("solid", SOLID_TYPES), ("sketch", SKETCHES), ("feature", FEATURES), ("pattern", PATTERNS)):
        named = [next(iter(b["required"])) for b in defs[family]["anyOf"]]
        assert named == list(table), family


@pytest.mark.parametrize("prompt", PROMPTS)
def test_every_part_the_offline_parser_writes_fits_the_schema(prompt):
    spec = parse_prompt(prompt)
    assert schema_errors(PARTS, spec.part) == []
    assert schema_errors(ANSWERS, {"part": spec.part}) == []


def test_every_template_expands_into_documents_that_fit_the_schema():
    """The templates write sketches, solids and features of every family: their expansions, checked,
    are documents the schema must allow."""
    examples = {"cube": {"size": 20}, "hex_nut": {"size": "M8"}, "washer": {"size": "M5"}, "hex_bolt": {"size": "M6", "length": 30},
                "cap_screw": {"size": "M3", "length": 12}, "threaded_rod": {"size": "M8", "length": 40},
                "standoff": {"size": "M3", "length": 10}, "spacer": {"size": "M4", "length": 8},
                "l_bracket": {"length": 40, "width": 20, "thickness": 3},
                "t_bracket": {"length": 60, "width": 30, "thickness": 4, "height": 20},
                "mending_plate": {"length": 60, "width": 15, "screw": "M4"}}
    for name, t in TEMPLATES.items():
        params = examples.get(name) or {p.name: 20 if p.kind != "count" else 12 for p in t.params if p.required}
        if name == "tube":
            params = {"outer_diameter": 20, "inner_diameter": 10, "height": 5}
        node = check_part({name: params}).part
        assert schema_errors(PARTS, node) == [], name
        expanded = check_part(t.expand(node[name])).part
        assert schema_errors(PARTS, expanded) == [], name


@PROPERTY
@given(plates_with_holes())
def test_random_valid_documents_fit_the_schema(case):
    doc = case[0]
    assert schema_errors(PARTS, check_part(doc).part) == []


@pytest.mark.parametrize("doc, where", [
    ({"cube": {"size": 20, "colour": "red"}}, "colour"),
    ({"sphere": {"diameter": "20"}}, "'20'"),
    ({"box": {"length": 1, "width": 1, "height": 1}, "features": [{"drill": {}}]}, "drill"),
    ({"union": {"cube": {"size": 1}}}, "union"),
    ({"gcode": "G28"}, "gcode"),
])
def test_the_schema_refuses_what_is_no_document(doc, where):
    assert schema_errors(PARTS, doc), doc


@pytest.mark.parametrize("said, answer", prompting.EXAMPLES, ids=[e[0] for e in prompting.EXAMPLES])
def test_the_prompts_examples_pass_every_check_of_their_own_request(said, answer):
    """The model copies examples: each is an answer the loop accepts in its first round."""
    assert schema_errors(ANSWERS, answer) == []
    parsed = prompting.parse_answer(json.dumps(answer))
    spec = DesignSpec.from_dict(prompting.spec_data(parsed, said, "openai"))
    grounding = ground(said, spec, parsed.assumptions)
    assert grounding.findings == ()
    assert part_findings(grounding, inspect_in_process(PrinterProfile())(grounding.spec, None)) == []


def test_the_examples_are_not_the_prompts_the_plugin_is_measured_on():
    assert not {said for said, _ in prompting.EXAMPLES} & set(PROMPTS)


def test_the_system_prompt_is_short():
    """A small machine reads it on every call: its size in tokens is measured in BENCHMARKS.md; here,
    that it stays a page (about 1,000 tokens) as the language grows."""
    assert len(prompting.system_prompt()) < 4500
