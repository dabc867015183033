"""Splitting a request into clauses: the object it names, then each feature, as people write them.

"a plate 80 x 50 x 4 mm | with four 4 mm holes, 6 mm in from each corner" is two clauses: a
clause starts at "with", "and", a comma, "plus", ... only when what follows names something of its
own (an object, a feature, "another"); otherwise it goes on describing what came before
(", 5 mm thick", "and 20 mm tall"). A title before a colon ("a T-shaped bracket: a plate ...")
names the part and the rest describes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .feature_words import FEATURE_NOUNS, TEXT_MARK
from .units import Measure, Number
from .vocabulary import Noun, Phrase

BOUNDARIES = frozenset(("with", "and", "plus", "then", "also", ",", ";", "having", "but", "featuring", "while", "where"))
FEATURES = frozenset(FEATURE_NOUNS) | {"hole"}
FASTENERS = frozenset(("bolt", "screw", "nut", "washer", "insert"))  # in a hole's clause: what the hole is for


@dataclass
class Clause:
    items: list = field(default_factory=list)
    head: Optional[str] = None  # "object", a feature ("hole", "slot", ...), "another", "text", or None
    noun: Optional[Noun] = None  # for an object

    @property
    def words(self) -> str:
        return " ".join(_text(i) for i in self.items if _text(i))


def _text(item) -> str:
    return getattr(item, "text", "") or ""


def _is(item, category: str, value=None) -> bool:
    return isinstance(item, Phrase) and item.category == category and (value is None or item.value == value)


def head_of(items: list) -> tuple[Optional[str], Optional[Noun]]:
    """What a run of items names first: a feature wins over a fastener it is for ("holes for M3
    bolts"); an object anywhere else makes the clause an object's."""
    feature = None
    for item in items:
        if _is(item, "role") and item.value.count and item.value.count.endswith("_count"):
            name = item.value.count[: -len("_count")]
            if name in FEATURES:
                feature = feature or name
        elif _is(item, "role") and item.value.role == "hole":
            feature = feature or "hole"
        elif _is(item, "role") and item.value.role == "bore" and not any(_is(i, "kind") for i in items):
            feature = feature or "hole"  # "with a 5 mm bore": the part's own hole (a gear's, a tube's)
        elif _is(item, "place") and item.value[0] == "engrave":
            feature = feature or "text"
        elif _text(item).startswith(TEXT_MARK):  # a quoted text is always letters on the part
            feature = feature or "text"
    nouns = [i.value for i in items if _is(i, "kind")]
    fors = [k for k, i in enumerate(items) if _text(i) == "for"]
    after_for = [i.value for i in items[fors[0]:] if _is(i, "kind")] if fors else []
    purpose = any(isinstance(i, Measure) and i.unit == "M" for i in items) and after_for == nouns
    if feature is None and nouns and purpose and all(n.noun.split()[-1].rstrip("s") in FASTENERS for n in nouns):
        return None, None  # ", for M4 screws": what the part is for, said about the part
    objects = [n for n in nouns if not (feature == "hole" and n.noun in FASTENERS)]
    if objects and (feature is None or _before(items, objects[0], feature)):
        return "object", objects[0]
    if feature:
        return feature, None
    if any(_is(i, "place", ("another",)) for i in items):
        return "another", None
    return None, None


def _before(items: list, noun: Noun, feature: str) -> bool:
    """Does the object noun come before the feature's word? ("a plate with holes" is one object)."""
    for item in items:
        if _is(item, "kind") and item.value is noun:
            return True
        if _is(item, "role") and ((item.value.count or "").startswith(feature) or item.value.role in ("hole", "bore")):
            return False
    return False


def split(items: list) -> tuple[list, list]:
    """(title items, the rest): the words before a colon, if any."""
    for i, item in enumerate(items):
        if getattr(item, "text", None) == ":":
            return items[:i], items[i + 1 :]
    return [], items


def has_sizes(items: list) -> bool:
    return any(isinstance(i, (Measure, Number)) for i in items)


def clauses_of(items: list) -> list[Clause]:
    """The clauses of a request, each with its head (None: it only goes on describing)."""
    out: list[Clause] = [Clause()]
    for item in items:
        if (_is(item, "sep") and item.text in BOUNDARIES) and any(not _is(i, "sep") for i in out[-1].items):
            out.append(Clause())
        # The boundary word stays at the start of its clause: merged back into the clause before,
        # it still keeps sizes on either side of it apart.
        out[-1].items.append(item)
    out = [c for c in out if c.items]
    for clause in out:
        clause.head, clause.noun = head_of(clause.items)
    return out
