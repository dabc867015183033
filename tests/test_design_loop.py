"""The design loop against a scripted OpenAI-compatible server on loopback (real HTTP): the model
answers with part documents, each is built and measured in this process, and what contradicts the
request goes back to the model as findings until a part matches, the rounds run out, or the
offline parser takes over. Every answer here was written to exercise one path of the loop."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from octoprint_aiagent.agent.design_loop import Goal, design
from octoprint_aiagent.agent.understand import Understander, inspect_in_process
from octoprint_aiagent.language.grounding import CHOSEN
from octoprint_aiagent.language.parser import parse_prompt
from octoprint_aiagent.llm import prompting
from octoprint_aiagent.llm.config import LLMConfig
from octoprint_aiagent.llm.loop import LoopThread
from octoprint_aiagent.model.errors import AgentError
from octoprint_aiagent.model.printer import PrinterProfile
from octoprint_aiagent.model.progress import StageContext

from .fake_llm_server import FakeLLMServer, openai_reply

CHAT = "/v1/chat/completions"
PLATE = "a plate 80 x 50 x 4 mm with four 4 mm holes 6 mm in from each corner"
HOOK = "a towel holder for a rail 25 mm across"  # no object the offline parser knows


def plate(width=50.0, holes=4, inset=6.0, **more):
    pattern = {"corners": {"inset": inset}} if holes == 4 else {"row": {"count": holes}}
    return {"part": {"box": {"length": 80, "width": width, "height": 4},
                     "features": [{"hole": {"diameter": 4}, "pattern": pattern}]}, **more}


def hook(rail=25.0):
    """A hook: a back plate, an arm as long as the rail is thick, and a lip at its end, one body."""
    return {"part": {"union": [
        {"box": {"length": 30, "width": 5, "height": 60}},
        {"box": {"length": 30, "width": rail, "height": 5}, "translate": [0, 2.5 + rail / 2, 0]},
        {"box": {"length": 30, "width": 5, "height": 15}, "translate": [0, 5 + rail, 0]}]},
        "assumptions": [{"what": "plate height", "value": 60}]}


@pytest.fixture(scope="module")
def loop():
    thread = LoopThread()
    yield thread
    thread.stop()


@pytest.fixture
def server():
    with FakeLLMServer() as fake:
        yield fake


def script(server, *answers):
    """The model's answers, one per round; the last one repeats."""
    before = len(server.posts(CHAT))

    def handler(request):
        n = len(server.posts(CHAT)) - before
        answer = answers[min(n, len(answers)) - 1]
        return openai_reply(answer if isinstance(answer, str) else json.dumps(answer))

    server.handler = handler


def understand(loop, server, prompt, rounds=3, timeout_s=30.0):
    config = LLMConfig("openai", server.url, "fake", timeout_s=timeout_s)
    return Understander(loop).understand(prompt, config, StageContext(), rounds=rounds)


def asked(server, n):
    """What the model was told in its n-th call (1-based): the last message."""
    return server.posts(CHAT)[n - 1].json["messages"][-1]["content"]


# -- the paths through the loop -------------------------------------------------------------------


def test_right_first_time_is_one_call_and_says_what_it_measured(loop, server):
    script(server, plate())
    spec = understand(loop, server, PLATE)
    assert spec.backend == "openai" and len(server.posts(CHAT)) == 1
    assert spec.part["box"] == {"length": 80.0, "width": 50.0, "height": 4.0}
    assert spec.notes[-1] == "LLM round 1: the part matches the request (80.0 x 50.0 x 4.0 mm)"
    # Every number the request states is placed, and said where.
    assert {(r.said, r.path) for r in spec.roles} >= {("4 mm holes", "features[0].hole.diameter"),
                                                      ("6 mm in from each corner", "features[0].pattern.corners.inset")}
    assert not [a for a in spec.assumptions if a.reason.startswith(CHOSEN)]
    body = server.posts(CHAT)[0].json
    assert body["response_format"]["json_schema"]["schema"] == prompting.answer_schema()


def test_a_wrong_size_is_found_on_the_part_and_fixed_in_round_two(loop, server):
    script(server, plate(width=52), plate())
    spec = understand(loop, server, PLATE)
    assert len(server.posts(CHAT)) == 2 and spec.backend == "openai"
    told = asked(server, 2)
    assert "the request says 50 mm" in told and "box size along Y 52" in told and "80.0 x 52.0 x 4.0 mm" in told
    assert server.posts(CHAT)[1].json["messages"][-2] == {"role": "assistant", "content": json.dumps(plate(width=52))}
    assert spec.part["box"]["width"] == 50.0
    assert spec.notes[-2].startswith("LLM round 1: the request says 50 mm") and spec.notes[-1].startswith("LLM round 2: the part matches")


def test_a_missing_hole_is_counted(loop, server):
    script(server, plate(holes=3), plate())
    spec = understand(loop, server, PLATE)
    assert "the request asks for 4 holes, the part has 3" in asked(server, 2) and spec.backend == "openai"


def test_never_fixed_fails_with_every_rounds_findings_when_offline_cannot_help(loop, server):
    script(server, hook(rail=18))
    with pytest.raises(AgentError) as err:
        understand(loop, server, HOOK)
    message = err.value.message
    assert len(server.posts(CHAT)) == 3 and err.value.stage == "understanding" and err.value.reason == "invalid"
    for n in (1, 2, 3):
        assert f"LLM round {n}: the request says 25 mm ('rail 25 mm'), but no size of the part is 25 mm" in message
    assert "offline parser did not understand" in message


def test_never_fixed_falls_back_to_the_offline_parser_with_the_findings(loop, server):
    script(server, plate(width=52))
    spec = understand(loop, server, PLATE)
    assert spec.backend == "offline" and spec.part == parse_prompt(PLATE).part
    (note,) = [n for n in spec.notes if n.startswith("the LLM answer was not used")]
    assert "after 3 rounds" in note and "LLM round 3: the request says 50 mm" in note and note.endswith("understood offline")


def test_the_rounds_are_a_setting(loop, server):
    script(server, plate(width=52))
    understand(loop, server, PLATE, rounds=1)
    assert len(server.posts(CHAT)) == 1


def test_invented_sizes_are_assumptions_with_the_models_words(loop, server):
    script(server, hook())
    spec = understand(loop, server, HOOK)
    assert spec.backend == "openai"
    chosen = {a.field: (a.value, a.reason) for a in spec.assumptions if a.reason.startswith(CHOSEN)}
    assert chosen["union[0].box.height"] == (60.0, CHOSEN + " (plate height)")
    assert chosen["union[0].box.length"] == (30.0, CHOSEN)
    assert ("rail 25 mm", 25.0) in {(r.said, r.value) for r in spec.roles} or any("25" in n for n in spec.notes)


def test_the_object_must_be_the_one_the_request_names(loop, server):
    box = {"part": {"box": {"length": 60, "width": 40, "height": 25}}}
    script(server, box, hook())
    spec = understand(loop, server, HOOK)
    assert "a plain box is not the object it describes" in asked(server, 2) and spec.kind == "union"
    script(server, {"part": {"sphere": {"diameter": 20}}}, {"part": {"cube": {"size": 20}}})
    spec = understand(loop, server, "a 20 mm cube")
    assert "the request asks for a cube, but the part is a sphere" in asked(server, 4) and spec.kind == "cube"


# -- absurd documents ---------------------------------------------------------------------------------

def _deep(levels: int) -> dict:
    node = {"cube": {"size": 40}}
    for _ in range(levels):
        node = {"union": [node]}
    return {"part": node}


CUBE_40 = {"part": {"cube": {"size": 40}}}
SENTINEL = f"/tmp/ai-{uuid.uuid4().hex[:8]}"  # short: a name or a text has at most 64 characters
ABSURD = [
    ("depth bomb", _deep(40), "nests deeper than 32 levels"),
    ("600 nodes", {"part": {"union": [{"cube": {"size": 40}}] * 600}}, "more than 500 nodes"),
    ("10,000 nodes", {"part": {"union": [{"cube": {"size": 40}}] * 10_000}}, "longer than 64 kB"),
    ("1 km away", {"part": {"cube": {"size": 40}, "translate": [1_000_000, 0, 0]}}, "must be within +-1000"),
    ("beyond the bounds", {"part": {"cube": {"size": 40}, "translate": [990, 0, 0]}}, "reaches beyond +-1000 mm"),
    ("a feature off its solid", {"part": {"cube": {"size": 40}, "features": [
        {"add": {"solid": {"cylinder": {"diameter": 10, "height": 10}}}, "at": [300, 0]}]}}, "does not join the part"),
    ("a floating piece", {"part": {"union": [{"cube": {"size": 40}}, {"cube": {"size": 10}, "translate": [0, 0, 45]}]}},
     "part.union[1] starts 5 mm above the top of part.union[0]"),
    ("G-code in a name", {"part": {"cube": {"size": 40}, "name": "G28 Z-100"}}, "G-code"),
    ("G-code as text on the part", {"part": {"cube": {"size": 40}, "features": [{"text": {"text": "M104 S300"}}]}}, "G-code"),
    ("code as text on the part", {"part": {"cube": {"size": 40}, "features": [
        {"text": {"text": f"open('{SENTINEL}','w')"}, "on": "front"}]}}, "which the request does not ask for"),
    ("a material", {"part": {"cube": {"size": 40}}, "material": "ABS"}, "does not allow: material"),
]


@pytest.mark.parametrize("answer, finding", [a[1:] for a in ABSURD], ids=[a[0] for a in ABSURD])
def test_an_absurd_document_is_a_finding_and_the_next_round_repairs_it(loop, server, answer, finding):
    script(server, answer, CUBE_40)
    spec = understand(loop, server, "a 40 mm cube")
    assert finding in asked(server, 2)
    assert spec.backend == "openai" and spec.part == {"cube": {"size": 40.0}} and spec.material is None
    assert not Path(SENTINEL).exists()


def test_code_in_a_label_is_only_a_label(loop, server):
    """Nothing in a document is ever run: a name is text, shown as text."""
    script(server, {"part": {"cube": {"size": 40}, "name": f"__import__('os').system('touch {SENTINEL}')"}})
    spec = understand(loop, server, "a 40 mm cube")
    assert spec.part["name"].startswith("__import__") and not Path(SENTINEL).exists()


def test_out_of_time_ends_the_rounds():
    """The loop stops when the LLM timeout is used up, saying so; the model is not asked again."""
    calls = []

    def ask(messages, left):
        calls.append(left)
        time.sleep(0.05)
        return json.dumps(plate(width=52))

    goal = Goal(PLATE, PLATE, prompting.messages(PLATE), "openai")
    outcome = design(goal, ask, inspect_in_process(PrinterProfile()), 3, time.monotonic() + 0.01, StageContext())
    assert outcome.spec is None and len(calls) == 1
    assert outcome.notes[-1] == "LLM round 2: no time was left for this round (the LLM timeout)"


# -- changing a part ------------------------------------------------------------------------------


def test_refine_edits_the_document_and_the_change_is_measured(loop, server):
    before = parse_prompt("a 40 mm cube")
    wrong = {"part": {"cube": {"size": 40}, "features": [{"hole": {"diameter": 8}}]}}
    right = {"part": {"cube": {"size": 40}, "features": [{"hole": {"diameter": 10}}]}}
    script(server, wrong, right)
    config = LLMConfig("openai", server.url, "fake", timeout_s=30)
    spec = Understander(loop).refine(before, "add a 10 mm hole through the middle", config)
    first = asked(server, 1)
    assert '{"part":{"cube":{"size":40.0}}}' in first and "add a 10 mm hole through the middle" in first
    assert "the request says 10 mm" in asked(server, 2)
    assert spec.features == [{"hole": right["part"]["features"][0]["hole"] | {"counterbore": False, "countersink": False,
                                                                               "nut_trap": False, "insert": False}}]
    assert spec.prompt == "a 40 mm cube / add a 10 mm hole through the middle" and spec.backend == "openai"
    assert "changed by the LLM ('add a 10 mm hole through the middle')" in spec.notes


def test_a_relative_change_is_measured_as_a_difference(loop, server):
    before = parse_prompt("a cylinder 30 mm wide and 10 mm tall")
    script(server, {"part": {"cylinder": {"diameter": 30, "height": 20}}})
    config = LLMConfig("openai", server.url, "fake", timeout_s=30)
    spec = Understander(loop).refine(before, "make it 10 mm taller", config)
    assert spec.backend == "openai" and spec.part == {"cylinder": {"diameter": 30.0, "height": 20.0}}
    assert [r.said for r in spec.roles] == ["30 mm wide"]  # what still holds of the first request
    assert len(server.posts(CHAT)) == 1


def test_a_refine_that_changes_nothing_falls_back_to_the_offline_change(loop, server):
    before = parse_prompt("a 40 mm cube")
    script(server, {"part": {"cube": {"size": 40}}})
    config = LLMConfig("openai", server.url, "fake", timeout_s=30)
    spec = Understander(loop).refine(before, "make it 10 mm taller", config)
    assert "the part is the same as before: 'make it 10 mm taller' changed nothing in it" in asked(server, 2)
    assert spec.backend == "offline" and spec.part["box"]["height"] == 50.0
    assert any(n.startswith("the LLM's change was not used: after 3 rounds") for n in spec.notes)


def test_the_command_line_designs_with_the_llm_for_its_printer(server, tmp_path):
    """The loop measures for the printer given with --bed: a part that does not fit is a finding."""
    import os
    import subprocess
    import sys

    from octoprint_aiagent.cad.mesh_io import read_stl

    script(server, {"part": {"box": {"length": 150, "width": 20, "height": 10}}}, {"part": {"box": {"length": 90, "width": 20, "height": 10}}})
    stl = tmp_path / "bar.stl"
    r = subprocess.run([sys.executable, "-m", "octoprint_aiagent", "design", "a bar 20 mm wide and 10 mm thick, as long as fits",
                        "--backend", "openai", "--base-url", server.url, "--model", "fake", "--rounds", "2", "--bed", "100x100x100",
                        "-o", str(stl)], capture_output=True, text=True, timeout=300, env=dict(os.environ, AIAGENT_QUIET="1"), check=False)
    assert r.returncode == 0, r.stderr
    spec = json.loads(r.stdout)["spec"]
    assert "it cannot be printed: 150.0 x 20.0 x 10.0 mm does not fit" in spec["notes"][-2]
    assert spec["part"]["box"]["length"] == 90.0 and max(read_stl(str(stl)).extents) == pytest.approx(90.0)
