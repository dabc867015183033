"""Offline refinement: only what the instruction names changes, and the result is a valid spec."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from octoprint_aiagent.language.parser import parse_prompt
from octoprint_aiagent.language.refine import refine_spec
from octoprint_aiagent.model.errors import AgentError
from octoprint_aiagent.model.spec import DesignSpec

CYLINDER = "a cylinder 30mm diameter 10mm tall"
TRAY = "an open box 60x40x20 with 2mm walls"
RING = "a ring, inner diameter 18mm, 2mm wall, 3 mm wide"
GEAR = "a 12 tooth gear, 30mm outer diameter, 5mm thick"

CHANGES = [
    (CYLINDER, "make it 10 mm taller", {"height": 20}),
    (CYLINDER, "2 cm wider", {"diameter": 50}),
    (CYLINDER, "double the height", {"height": 20}),
    (CYLINDER, "make the diameter 40mm", {"diameter": 40}),
    (CYLINDER, "taller by 5mm", {"height": 15}),
    (CYLINDER, "20% taller", {"height": 12}),
    (CYLINDER, "make it 10% smaller", {"diameter": 27, "height": 9}),
    (CYLINDER, "twice as tall", {"height": 20}),
    (CYLINDER, "half the height", {"height": 5}),
    (CYLINDER, "radius 25mm", {"diameter": 50}),
    (CYLINDER, "scale by 1.5", {"diameter": 45, "height": 15}),
    (CYLINDER, "scale it to 50%", {"diameter": 15, "height": 5}),
    (CYLINDER, "5mm shorter", {"height": 5}),
    (CYLINDER, "set the height to 1 inch", {"height": 25.4}),
    (TRAY, "thicker walls: 3mm", {"wall": 3}),
    (TRAY, "make the walls 1 mm thicker", {"wall": 3}),
    (TRAY, "1mm thicker walls", {"wall": 3}),
    (TRAY, "10 mm deeper", {"height": 30}),
    (TRAY, "make it 2cm longer and 1 cm wider", {"length": 80, "width": 50}),
    (TRAY, "floor 4mm", {"floor": 4}),
    (TRAY, "double the size", {"length": 120, "width": 80, "height": 40, "wall": 4}),
    (RING, "thicker walls: 3mm", {"inner_diameter": 16}),
    (RING, "walls 1 mm thinner", {"inner_diameter": 20}),
    (RING, "make it 2mm wider", {"outer_diameter": 24}),
    (RING, "make the hole 20mm", {"inner_diameter": 20}),
    (GEAR, "20 teeth", {"teeth": 20}),
    (GEAR, "double the teeth", {"teeth": 24}),
    (GEAR, "make the bore 5mm", {"bore": 5}),
    (GEAR, "pressure angle 25 degrees", {"pressure_angle": 25}),
    ("a 20 mm sphere", "make it 30mm", {"diameter": 30}),
]


@pytest.mark.parametrize("prompt,instruction,changed", CHANGES, ids=[f"{c[0][:12]}: {c[1]}" for c in CHANGES])
def test_only_what_the_instruction_names_changes(prompt, instruction, changed):
    before = parse_prompt(prompt)
    after = refine_spec(before, instruction)
    assert after.kind == before.kind and after.backend == "offline"
    expected = {**before.params, **changed}
    assert dict(after.params) == pytest.approx(expected, rel=1e-9)
    assert (after.material, after.quantity) == (before.material, before.quantity)
    assert after.prompt == f"{before.prompt} / {instruction}"
    assert after.notes[:-1] == before.notes and instruction in after.notes[-1]


def test_a_count_changes_the_feature_it_counts():
    plate = parse_prompt("a plate 100x50x3mm with a 5mm hole")
    refined = refine_spec(plate, "6 holes")
    assert refined.params == plate.params
    assert refined.features == [{**plate.features[0], "pattern": {"spread": {"count": 6}}}]
    assert refine_spec(refined, "make it 4 holes").features[0]["pattern"] == {"spread": {"count": 4}}


def test_assumptions_stay_unless_the_instruction_states_the_value():
    tray = parse_prompt(TRAY)
    assert {a.field for a in tray.assumptions} == {"floor"}
    assert refine_spec(tray, "10 mm deeper").assumptions == tray.assumptions
    assert refine_spec(tray, "floor 4mm").assumptions == ()
    gear = parse_prompt(GEAR)
    refined = refine_spec(gear, "make the bore 5mm")
    assert {a.field for a in refined.assumptions} == {"pressure_angle"}


def test_scaling_everything_scales_assumed_values_with_it():
    cup = parse_prompt("a cup 50mm tall with 40mm diameter")
    refined = refine_spec(cup, "double the size")
    assert refined.params["wall"] == 4
    assert {a.field: a.value for a in refined.assumptions}["wall"] == 4


def test_material_and_quantity():
    spec = parse_prompt(CYLINDER)
    assert refine_spec(spec, "use PETG").material == "PETG"
    assert refine_spec(spec, "make 3 of them").quantity == 3
    both = refine_spec(spec, "3 copies in ABS, 5mm shorter")
    assert (both.quantity, both.material, both.params["height"]) == (3, "ABS", 5)


def test_a_cube_made_taller_becomes_a_box():
    refined = refine_spec(parse_prompt("a 20mm cube"), "make it 10 mm taller")
    assert refined.kind == "box" and dict(refined.params) == {"length": 20, "width": 20, "height": 30}
    assert refine_spec(parse_prompt("a 20mm cube"), "30mm bigger").params == {"size": 50}


def test_refinements_chain():
    spec = refine_spec(refine_spec(parse_prompt(CYLINDER), "make it 10 mm taller"), "use TPU")
    assert spec.prompt == f"{CYLINDER} / make it 10 mm taller / use TPU"
    assert spec.params["height"] == 20 and spec.material == "TPU" and len(spec.notes) == 2


def test_a_user_spec_without_a_prompt_gets_the_instruction_as_prompt():
    spec = DesignSpec.from_dict({"part": {"cube": {"size": 10}}})
    assert refine_spec(spec, "make it 20mm").prompt == "make it 20mm"


REFUSED = [
    (CYLINDER, "make it nicer", "did not understand the change"),
    (CYLINDER, "", "empty"),
    (CYLINDER, "make it 10 mm", "say which size"),
    (CYLINDER, "make it taller", "how much taller"),
    (CYLINDER, "make it a sphere", "changing the shape"),
    (CYLINDER, "add a lid", "changing the shape"),
    (CYLINDER, "height 0mm", "it must be from 0.1 to 1000 mm"),
    (CYLINDER, "with 20% infill", "print setting"),
    (CYLINDER, "12 teeth", "no teeth"),
    (CYLINDER, "use PLA or ABS", "several materials"),
    (TRAY, "walls 25mm", "leave no room"),
    (TRAY, "10mm bigger", "say which size"),
    (GEAR, "the pressure angle 5mm", "does not fit"),
]


@pytest.mark.parametrize("prompt,instruction,message", REFUSED, ids=[r[1] or "empty" for r in REFUSED])
def test_refused_instructions_say_why(prompt, instruction, message):
    with pytest.raises(AgentError) as err:
        refine_spec(parse_prompt(prompt), instruction)
    assert err.value.stage == "understanding" and err.value.reason == "invalid"
    assert message in err.value.message


def test_a_part_of_several_pieces_cannot_be_refined_offline():
    spec = DesignSpec.from_dict({"part": {"union": [{"cube": {"size": 1}}, {"cube": {"size": 1}, "translate": [1, 0, 0]}]}})
    with pytest.raises(AgentError, match="several pieces"):
        refine_spec(spec, "make it 10 mm taller")


@settings(max_examples=50, deadline=None)
@given(
    st.integers(1, 500).map(lambda t: t / 10),
    st.sampled_from(["make it {} mm taller", "{}mm taller please", "taller by {} mm", "{} mm higher, please"]),
)
def test_taller_adds_exactly_the_amount(delta, template):
    before = parse_prompt("a box 50 x 30 x 10 mm")
    after = refine_spec(before, template.format(f"{delta:g}"))
    assert after.params["height"] == pytest.approx(10 + delta)
    assert (after.params["length"], after.params["width"]) == (50, 30)


WORDS = ["make", "it", "10", "mm", "taller", "wider", "by", "double", "half", "the", "height", "walls", "thicker", "20%", "scale",
         "to", "1.5", "use", "PETG", "3", "of them", "copies", "diameter", "radius", "teeth", "hole", "bigger", "as", "twice"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([CYLINDER, TRAY, RING, GEAR, "a 20mm cube"]),
       st.one_of(st.text(max_size=100), st.lists(st.sampled_from(WORDS), max_size=10).map(" ".join)))
def test_any_instruction_gives_a_spec_or_a_clear_error(prompt, instruction):
    try:
        spec = refine_spec(parse_prompt(prompt), instruction)
    except AgentError as err:
        assert err.stage == "understanding" and err.message
        return
    assert spec.backend == "offline" and spec.prompt.startswith(f"{prompt} / ")
