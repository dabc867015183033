"""Features a named part already has as parameters of its own: "a ring ... with a 20 mm hole" is a
tube 20 mm inside, "a knob ... with a 6 mm hole, 10 mm deep, in its bottom" is a knob's bore, "an
L bracket with M4 holes" an L bracket with its screw holes. Taking the feature into the part keeps
it the maker's part (editable by its own sizes) instead of a plain shape with a hole added.

Each rule: the part, the feature, and which of the feature's sizes become which parameters. A
feature is taken only when everything it says fits the part's parameters; otherwise it stays a
feature of the document, so nothing said is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model.spec import KINDS, Assumption
from ..model.standards import clearance_hole
from .features import Read
from .objects import label
from .writing import Draft

CENTRAL = (("centre",), ("through",), ("face", "top"), ("screw_word",))


@dataclass(frozen=True)
class Rule:
    feature: str
    sizes: dict  # the feature's size -> the part's parameter
    places: tuple = CENTRAL  # place words the feature may carry
    screw: str = ""  # the part's parameter a screw size goes to
    count: str = ""  # the part's parameter a count goes to
    needs: tuple = ()  # parameters the part must still lack
    extra: dict = field(default_factory=dict)
    fixed: int = 0  # the part has this many of the feature, a count it takes without a parameter
    default_screw: str = ""  # "with screw holes", no size: this screw, listed as an assumption


SCREW_HOLES = Rule("hole", {}, places=CENTRAL + (("countersink",), ("corners",)), screw="screw", count="holes")
# A wall hook's back plate has two screw holes; a wall screw is usually 4 mm.
HOOK_SCREW_HOLES = Rule("hole", {}, places=CENTRAL + (("countersink",),), screw="screw", fixed=2, default_screw="M4")
RULES = {
    "tube": Rule("hole", {"diameter": "inner_diameter"}, screw="inner_diameter", needs=("inner_diameter",)),
    "gear": Rule("hole", {"diameter": "bore"}, needs=("bore",)),
    "knob": Rule("hole", {"diameter": "shaft_diameter", "depth": "bore_depth"},
                 places=CENTRAL + (("face", "bottom"),), needs=("shaft_diameter",)),
    "l_bracket": SCREW_HOLES, "mending_plate": SCREW_HOLES, "wall_hook": HOOK_SCREW_HOLES,
    "t_bracket": Rule("rib", {"height": "height", "thickness": "web_thickness"}, places=(("along", "length"),), needs=("height",)),
}
SECOND = {"t_bracket": SCREW_HOLES}  # a T bracket takes its web and its screw holes


def absorbed(draft: Draft, reads: list) -> list:
    """``reads``: (index, Read) of the feature clauses. Returns the indices the part took."""
    taken = []
    for rule in (RULES.get(draft.kind), SECOND.get(draft.kind)):
        if rule is None or any(p in draft.params for p in rule.needs):
            continue
        for index, read in reads:
            if index in taken or read.kind != rule.feature or not _fits(rule, read):
                continue
            _take(draft, rule, read)
            taken.append(index)
            break
    return taken


def _fits(rule: Rule, read: Read) -> bool:
    if not all(p in rule.places for p in read.places):
        return False
    if read.screw and not rule.screw:
        return False
    if read.count > 1 and not rule.count and read.count != rule.fixed:
        return False
    if rule.screw and not read.screw and not rule.sizes and not (rule.default_screw and not read.values):
        return False
    return set(read.values) <= set(rule.sizes)


def _take(draft: Draft, rule: Rule, read: Read) -> None:
    describe = KINDS[draft.kind].param
    for size, (value, said) in read.values.items():
        name = rule.sizes[size]
        draft.params[name] = value
        draft.role(said, value, name, f"{label(draft.kind)} {describe(name).description}")
    if read.screw:
        target = describe(rule.screw)
        if target.kind == "thread":
            draft.params[rule.screw] = read.screw
            draft.role(read.screw, float(read.screw[1:].split("X")[0]), rule.screw, f"{label(draft.kind)} {target.description}")
        else:  # a tube's hole for a screw: the ISO 273 clearance hole
            value = clearance_hole(read.screw).diameter
            draft.params[rule.screw] = value
            draft.role(read.screw, value, rule.screw, f"{label(draft.kind)} {target.description}")
            draft.notes.append(f"'{read.screw} hole': an ISO 273 clearance hole for the screw, {value:g} mm")
    elif rule.default_screw:
        draft.params[rule.screw] = rule.default_screw
        draft.assumed.append(Assumption(rule.screw, rule.default_screw, f"screw holes without a size: for {rule.default_screw} screws"))
    if read.count == rule.fixed > 1:
        draft.role(f"{read.count} {read.kind}s", read.count, rule.screw, f"{label(draft.kind)} screw holes ({rule.fixed})")
    if rule.count and read.count > 1:
        draft.params[rule.count] = read.count
        draft.role(f"{read.count} {read.kind}s", read.count, rule.count, f"{label(draft.kind)} {describe(rule.count).description}")
    if ("countersink",) in read.places and "countersink" in KINDS[draft.kind].param_names:
        draft.params["countersink"] = True
