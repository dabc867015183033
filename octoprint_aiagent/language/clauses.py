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


def feature_named(item, items: list) -> Optional[str]:
    """The feature an item names, if any, among the clause's ``items``."""
    if _is(item, "role") and item.value.count and item.value.count.endswith("_count"):
        name = item.value.count[: -len("_count")]
        return name if name in FEATURES else None
    if _is(item, "role") and item.value.role == "hole":
        return "hole"
    if _is(item, "role") and item.value.role == "bore" and not any(_is(i, "kind") for i in items):
        return "hole"  # "with a 5 mm bore": the part's own hole (a gear's, a tube's)
    if (_is(item, "place") and item.value[0] == "engrave") or _text(item).startswith(TEXT_MARK):
        return "text"  # a quoted text is always letters on the part
    return None


def head_of(items: list) -> tuple[Optional[str], Optional[Noun]]:
    """What a run of items names first: a feature wins over a fastener it is for ("holes for M3
    bolts"); an object anywhere else makes the clause an object's."""
    feature = next((f for f in (feature_named(i, items) for i in items) if f), None)
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
        clause.items = _purpose_named(clause.items)
        clause.head, clause.noun = head_of(clause.items)
    return [part for clause in out for stacked in _stacked_apart(clause) for part in _features_apart(stacked)]


def _stacked_apart(clause: Clause) -> list[Clause]:
    """ "a 20 mm cube on top of a 40 mm cube", "a cylinder ... standing on a 50 x 50 x 5 mm plate":
    the object after "on top of" is the part; the one before goes on its top. Two clauses, the
    part's first, the other keeping the words that say where it goes."""
    items = clause.items
    stack_at = next((k for k, i in enumerate(items) if _is(i, "place", ("stack",))), None)
    if stack_at is None:
        return [clause]
    named_before = any(_is(i, "kind") for i in items[:stack_at])
    named_after = any(_is(i, "kind") for i in items[stack_at + 1:])
    if not (named_before and named_after):
        return [clause]
    out = []
    for part in (items[stack_at + 1:], items[: stack_at + 1]):
        split_clause = Clause(part)
        split_clause.head, split_clause.noun = head_of(part)
        out.append(split_clause)
    return out


_PREPOSITIONS = frozenset(("of", "in", "into", "on", "through", "across"))


def _features_apart(clause: Clause) -> list[Clause]:
    """An object's clause that also names a feature is two clauses, the object's first: "a 40 mm
    cube hollowed out" | "hollowed out"; "drill a 6 mm hole through the middle | of a 30 mm plate";
    "a filleted 20 mm cube" | "filleted". A feature is never lost inside its object's words."""
    items = clause.items
    noun_at = next((k for k, i in enumerate(items) if _is(i, "kind") and not _for_fastener(items, k)), None)
    if noun_at is None:
        return [clause]
    before = next((k for k in range(noun_at) if feature_named(items[k], [])), None)  # a bore before "of a plate" is a hole
    opening = next((k for k in range(noun_at - 1, before, -1) if _text(items[k]).split()[-1:] and _text(items[k]).split()[-1] in _PREPOSITIONS),
                   None) if before is not None else None
    after = next((k for k in range(noun_at + 1, len(items)) if feature_named(items[k], items)), None)
    adjective = next((k for k in range(noun_at) if feature_named(items[k], items)), None)
    if opening is not None:  # "drill a hole ... of a plate": the object, then the feature ("right through" stays its)
        parts = [items[opening + 1:], items[: opening + int(_is(items[opening], "place"))]]
    elif after is not None:
        parts = [items[:after], items[after:]]
    elif adjective is not None:  # "a filleted 20 mm cube": the word alone says the feature
        parts = [items[:adjective] + items[adjective + 1:], [items[adjective]]]
    else:
        return [clause]
    out = []
    for part in parts:
        split_clause = Clause(part)
        split_clause.head, split_clause.noun = head_of(part)
        out.append(split_clause)
    return out


def _purpose_named(items: list) -> list:
    """ "an M8 nut for my bolt": a fastener after "for", once a part is named, is what the part goes
    with (its size stays, to say which), not a second part."""
    first = next((k for k, i in enumerate(items) if _is(i, "kind")), None)
    if first is None:
        return items
    return [Phrase("filler", None, i.text) if k > first and _is(i, "kind") and _for_fastener(items, k) else i
            for k, i in enumerate(items)]


def _for_fastener(items: list, k: int) -> bool:
    """Is the noun at k a fastener a hole is for ("holes for M3 bolts")?"""
    return items[k].value.noun.split()[-1].rstrip("s") in FASTENERS and any(_text(i) == "for" for i in items[:k])
