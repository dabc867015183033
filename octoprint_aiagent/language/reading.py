"""Reading a request: which sizes it states, what each size measures, and which object, features,
counts, material and quantity it names. No decisions about the part are made here (see parser).

A size is attached to the size word next to it ("30 mm in diameter", "radius of 15 mm",
"8mm OD 3.2mm ID"): sizes and size words form a chain, and the pairing that attaches the most
sizes wins, so "diameter 30 height 10" and "30 diameter 10 height" both read right.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..model.errors import AgentError
from .units import MM_PER_UNIT, POINT_RUN, Measure, Number, Token, normalise, read_quantities, tokenize
from .vocabulary import Item, Noun, Phrase, RoleWord, match_phrases

STAGE = "understanding"
MAX_DIMENSIONS = 3
# Generic size words, and feature nouns: "a pocket 5 mm deep" pairs 5 mm with "deep", after it.
_GENERIC_ROLES = frozenset(("height", "thick", "deep", "long", "wide", "across", "size", "side", "hole", "pocket", "slot",
                            "groove", "rib", "boss", "rim", "flange", "fillet", "chamfer", "shell", "text"))


@dataclass(frozen=True)
class Group:
    """ "60 x 40 x 20 mm": sizes in a row, each in millimetres."""

    measures: tuple[Measure, ...]


@dataclass(frozen=True)
class Sized:
    """A stated size and what it measures (role None: the sentence does not say)."""

    measure: Measure
    role: str | None = None
    said: str = ""  # the words as written, for messages: "radius of 15mm"


@dataclass
class Reading:
    nouns: list[Noun] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)  # every size word named, with or without a size
    materials: list[str] = field(default_factory=list)
    quantity: int | None = None
    counts: dict[str, int] = field(default_factory=dict)  # stated in numbers ("four holes", "12 teeth")
    single_hole: bool = False  # "a 5 mm hole": one hole, though no number says so
    sizes: list[Sized] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)  # print settings stated ("20% infill"): not sizes
    notes: list[str] = field(default_factory=list)
    places: list[tuple] = field(default_factory=list)  # feature_words.PLACE values, in order
    grid: tuple[int, int] | None = None  # "a 4 by 3 grid": columns, rows

    def all_counts(self) -> dict[str, int]:
        """Stated counts, and a hole count of 1 where the request speaks of "a hole"."""
        if self.single_hole and "hole_count" not in self.counts:
            return {**self.counts, "hole_count": 1}
        return dict(self.counts)


_EXPONENT = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d+")
_NEGATIVE = re.compile(r"(?<![\w./-])[-−]\s?\d+(?:\.\d+)?")


def clean_request(text, what: str = "request") -> str:
    """Reject what cannot be a request; drop control characters. Returns the cleaned text.

    Its length is the entry points' business (``job_request.check_prompt_length``, from the
    ``max_prompt_chars`` setting)."""
    if not isinstance(text, str):
        raise AgentError(STAGE, f"the {what} must be text")
    cleaned = "".join(
        " " if unicodedata.category(c) == "Cc" else c for c in text if unicodedata.category(c) not in ("Cf", "Cs", "Co", "Cn")
    )
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise AgentError(STAGE, f"the {what} is empty", hint="describe the part, e.g. 'a 20 mm cube'")
    if not any(c.isalpha() for c in cleaned):
        raise AgentError(STAGE, f"the {what} has no words, only {cleaned[:40]!r}", hint="describe the part, e.g. 'a 20 mm cube'")
    # Numbers the reader does not take apart must be refused, not half read ("1e9" is not 1).
    odd = _EXPONENT.search(cleaned) or _NEGATIVE.search(POINT_RUN.sub(" ", cleaned))  # coordinates may be negative
    if odd:
        kind = "negative" if odd.re is _NEGATIVE else "in exponent notation"
        raise AgentError(STAGE, f"{odd.group(0).strip()!r} is {kind}: sizes are plain positive numbers", hint="e.g. 'a 20 mm cube'")
    return cleaned


def items_of(text: str) -> list[Item]:
    normal = normalise(text)
    return match_phrases(read_quantities(tokenize(normal), normal))


def analyse(text: str) -> Reading:
    return read_items(items_of(text))


def read_items(items: list[Item | None]) -> Reading:
    """Items (None for pieces a caller already used) -> Reading."""
    reading = Reading()
    items = _take_grid([i for i in items if i is not None], reading)
    items = _group_sizes(items)
    items = _take_counts(items, reading)
    items = _take_quantity(items, reading)
    items = _bare_numbers(items, reading)
    _pair_sizes(items, reading)
    for item in items:
        if isinstance(item, Phrase):
            if item.category == "kind":
                reading.nouns.append(item.value)
            elif item.category == "flag":
                reading.flags.add(item.value)
            elif item.category == "material" and item.value not in reading.materials:
                reading.materials.append(item.value)
            elif item.category == "role":
                reading.roles.update(r for r in (item.value.role, item.value.count) if r)
            elif item.category == "place":
                reading.places.append(item.value)
    return reading


def _take_grid(items: list[Item], reading: Reading) -> list[Item]:
    """ "a 4 by 3 grid", "a grid of 4 x 3": two whole numbers beside the word grid are its
    columns and rows, not sizes."""
    for i in range(len(items) - 2):
        a, times, b = items[i : i + 3]
        whole = all(isinstance(n, Number) and n.is_whole for n in (a, b)) and _phrase(times, "times")
        beside = [items[j] for j in (i - 1, i - 2, i + 3) if 0 <= j < len(items)]
        if whole and any(_phrase(x, "place") and x.value == ("pattern", "grid") for x in beside):
            reading.grid = (int(a.value), int(b.value))
            return items[:i] + items[i + 3 :]
    return items


def _is_size(item) -> bool:
    return (isinstance(item, Measure) and item.is_length) or (isinstance(item, Number) and not item.is_word)


def _phrase(item, category: str) -> bool:
    return isinstance(item, Phrase) and item.category == category


def _counting_word(item) -> bool:
    return _phrase(item, "role") and item.value.count is not None


def _group_sizes(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    i = 0
    while i < len(items):
        members = [items[i]] if _is_size(items[i]) else []
        j = i + 1
        while members and j + 1 < len(items) and _phrase(items[j], "times") and _is_size(items[j + 1]):
            members.append(items[j + 1])
            j += 2
        if len(members) < 2:
            out.append(items[i])
            i += 1
            continue
        after = items[j] if j < len(items) else None
        first = members[0]
        counted = (_counting_word(after) or _phrase(after, "kind")) and after.value.plural  # not "a 30 x 20 mm recess"
        if len(members) == 2 and isinstance(first, Number) and first.is_whole and isinstance(members[1], Measure) and counted:
            out.extend(members)  # "4 x M3 holes", "2 x 20mm cubes": a count, then a size
        else:
            if len(members) > MAX_DIMENSIONS:
                said = " x ".join(m.text for m in members)
                raise AgentError(STAGE, f"'{said}' has {len(members)} sizes; a part has at most three")
            out.append(Group(_with_units(members)))
        i = j
    return out


def _with_units(members: list) -> tuple[Measure, ...]:
    """A number without a unit takes the unit stated after it in the group, else the one before."""
    units = [m.unit if isinstance(m, Measure) else None for m in members]
    out = []
    for k, m in enumerate(members):
        if isinstance(m, Measure):
            out.append(m)
            continue
        unit = next((u for u in units[k + 1 :] if u), None) or next((u for u in reversed(units[:k]) if u), "")
        out.append(Measure(m.value * MM_PER_UNIT[unit], unit, m.text))
    return tuple(out)


def _set_once(target: dict[str, int], name: str, value: int, what: str) -> None:
    if target.get(name, value) != value:
        raise AgentError(STAGE, f"the request gives two different {what}: {target[name]} and {value}")
    target[name] = value


def _next_index(items: list[Item], i: int) -> int:
    """Index of the next item after i that is not a filler word."""
    j = i + 1
    while j < len(items) and _phrase(items[j], "filler"):
        j += 1
    return j


def _take_counts(items: list[Item], reading: Reading) -> list[Item]:
    """ "four 3mm holes", "12 tooth", "teeth: 20", "a 5 mm hole" -> counts; numbers used are removed."""
    used: set[int] = set()
    for i, item in enumerate(items):
        if isinstance(item, Number) and item.is_whole:
            k = i + 1
            # "four 3mm holes", "4 countersunk M4 holes": a size and words saying how, then the noun
            while k < len(items) and (isinstance(items[k], Measure) or _phrase(items[k], "place") or _phrase(items[k], "flag")
                                      or (_phrase(items[k], "role") and items[k].value.count is None)):
                k += 1
            if k < len(items) and _counting_word(items[k]):
                _set_once(reading.counts, items[k].value.count, int(item.value), items[k].value.count.replace("_", " "))
                used.add(i)
        elif _counting_word(item):
            j = _next_index(items, i)
            if j < len(items) and isinstance(items[j], Number) and items[j].is_whole and j not in used:
                _set_once(reading.counts, item.value.count, int(items[j].value), item.value.count.replace("_", " "))
                used.add(j)
            elif not item.value.plural and item.value.count == "hole_count":
                reading.single_hole = True
    return [item for i, item in enumerate(items) if i not in used]


def _take_quantity(items: list[Item], reading: Reading) -> list[Item]:
    """ "2 copies", "three of them", "a pair of", "4 washers", "make 3" -> quantity."""
    used: set[int] = set()
    found: dict[str, int] = {}
    for i, item in enumerate(items):
        if _phrase(item, "qty"):
            _set_once(found, "quantity", item.value, "quantities")
        elif _phrase(item, "qty_label"):
            j = _next_index(items, i)
            if j < len(items) and isinstance(items[j], Number) and items[j].is_whole:
                _set_once(found, "quantity", int(items[j].value), "quantities")
                used.add(j)
        elif isinstance(item, Number) and item.is_whole and _names_quantity(items, i):
            _set_once(found, "quantity", int(item.value), "quantities")
            used.add(i)
    reading.quantity = found.get("quantity")
    return [item for i, item in enumerate(items) if i not in used]


def _names_quantity(items: list[Item], i: int) -> bool:
    number = items[i]
    after = items[i + 1] if i + 1 < len(items) else None
    if _phrase(after, "qty_noun"):
        return True
    before = [it for it in items[max(0, i - 2) : i] if not (isinstance(it, Token) and it.text in ("me", "us"))]
    if before and _phrase(before[-1], "verb") and (after is None or _phrase(after, "sep")):
        return True  # "make 3", "print 4 please"
    for nxt in items[i + 1 :]:  # "4 washers", "three small 20mm cubes"
        if _phrase(nxt, "kind"):
            return nxt.value.plural or number.is_word
        if not (
            isinstance(nxt, (Measure, Group))
            or _phrase(nxt, "filler")
            or _phrase(nxt, "flag")
            or (isinstance(nxt, Token) and nxt.kind == "word")
        ):
            return False
    return False


def _bare_numbers(items: list[Item], reading: Reading) -> list[Item]:
    """Numbers left over are lengths in mm if written in digits ("a 20 cube"); number words are dropped."""
    out: list[Item] = []
    bare = []
    for item in items:
        if isinstance(item, Number):
            if not item.is_word:
                out.append(Measure(item.value, "", item.text))
                bare.append(item.text)
            continue
        if isinstance(item, Group) and any(m.unit == "" for m in item.measures):
            bare.extend(m.text for m in item.measures)
        out.append(item)
    if bare:
        reading.notes.append(f"numbers without a unit read as millimetres: {', '.join(bare)}")
    return out


def _pair_sizes(items: list[Item], reading: Reading) -> None:
    """Attach sizes to the size words next to them (maximum matching on the chain; see module doc)."""
    nodes = [it for it in items if not _phrase(it, "filler")]
    best = [0.0] * (len(nodes) + 1)
    for k in range(2, len(nodes) + 1):
        weight = _edge(nodes[k - 2], nodes[k - 1])
        best[k] = max(best[k - 1], best[k - 2] + weight) if weight else best[k - 1]
    roles: dict[int, tuple[Phrase, bool]] = {}
    k = len(nodes)
    while k >= 2:
        weight = _edge(nodes[k - 2], nodes[k - 1])
        if weight and best[k] == best[k - 2] + weight:
            first, second = nodes[k - 2], nodes[k - 1]
            size_first = isinstance(first, Measure)
            roles[id(first if size_first else second)] = (second if size_first else first, size_first)
            k -= 2
        else:
            k -= 1
    for item in items:
        if isinstance(item, Group):
            reading.sizes.extend(Sized(m, None, m.text) for m in item.measures)
            continue
        if not isinstance(item, Measure):
            continue
        word, size_first = roles.get(id(item), (None, True))
        role = word.value.role if word else None
        said = item.text if word is None else (f"{item.text} {word.text}" if size_first else f"{word.text} {item.text}")
        if role == "setting" or item.unit in ("%", "C"):
            reading.settings.append(said)
            reading.notes.append(f"'{said}' is a print setting, not part of the design: ignored here")
            continue
        reading.sizes.append(Sized(item, role, said))


def _edge(a, b) -> float:
    """Weight of attaching a size to the size word next to it; 0 if they cannot pair.

    Attaching more sizes always wins; then specific words (wall, outer diameter) over generic
    ones (thick, wide); then a word after its size ("10 mm tall") over one before it."""
    if isinstance(a, Measure) and isinstance(b, Phrase):
        word, after = b, 1
    elif isinstance(b, Measure) and isinstance(a, Phrase):
        word, after = a, 0
    else:
        return 0
    if word.category != "role" or not isinstance(word.value, RoleWord) or word.value.role is None:
        return 0
    size = a if isinstance(a, Measure) else b
    if (size.unit == "deg") != (word.value.role in ("angle", "pressure_angle")) and size.unit != "":
        return 1  # an angle goes with an angle's word, a length with a length's: this pair only
        # when neither has a better partner, so "pressure angle 5 mm" is refused as a length
    return 1000 + (10 if word.value.role in _GENERIC_ROLES else 20) + after
