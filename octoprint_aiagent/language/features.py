"""Feature clauses -> feature nodes of the part document: "a 10 mm hole through the middle",
"four 4 mm holes 6 mm in from each corner", "a slot 10 mm wide and 5 mm deep along its top",
"all edges rounded to 2 mm", "hollowed out from the top, leaving 2 mm walls".

Each feature has a table: the size words it takes and the parameter each sets, and the order in
which sizes given without a word fill it. A size its table has no place for is refused, naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..model.errors import AgentError
from .clauses import Clause
from .reading import STAGE, Reading, Sized
from .units import Token
from .vocabulary import Phrase

# role -> parameter ("*2": the size is a radius of it; "@": where the feature goes, not its size)
_HOLE = {"hole": "diameter", "bore": "diameter", "diameter": "diameter", "wide": "diameter", "across": "diameter",
         "size": "diameter", "radius": "diameter*2", "inner_diameter": "diameter", "deep": "depth"}
SIDES = ("left", "right", "front", "back")
_PLACES = {"corner_inset": "@inset", "edge_inset": "@edge", "pattern_diameter": "@circle", "spacing": "@spacing",
           **{f"edge_{side}": f"@{side}" for side in SIDES}}
TABLES = {
    "hole": ({**_HOLE, **_PLACES}, ("diameter",)),
    "pocket": ({"pocket": "size", "diameter": "diameter", "radius": "diameter*2", "across": "size", "size": "size",
                "wide": "width", "long": "length", "deep": "depth", "height": "depth", "side": "size", **_PLACES},
               ("size", "depth")),
    "slot": ({"slot": "width", "wide": "width", "long": "length", "deep": "depth", **_PLACES}, ("length", "width", "depth")),
    "groove": ({"groove": "width", "wide": "width", "deep": "depth", "long": "length", "height": "depth", **_PLACES},
               ("width", "depth")),
    "rib": ({"rib": "thickness", "thick": "thickness", "wide": "thickness", "height": "height", "long": "length"},
            ("thickness", "height")),
    "boss": ({"boss": "diameter", "diameter": "diameter", "radius": "diameter*2", "across": "diameter", "wide": "diameter",
              "height": "height", "thick": "height", "long": "height", **_PLACES}, ("diameter", "height")),
    "rim": ({"rim": "width", "wide": "width", "thick": "width", "height": "height", "deep": "height"}, ("width", "height")),
    "flange": ({"flange": "diameter", "diameter": "diameter", "across": "diameter", "wide": "diameter",
                "radius": "diameter*2", "outer_diameter": "diameter", "thick": "thickness", "height": "thickness",
                "long": "thickness"}, ("diameter", "thickness")),
    "fillet": ({"fillet": "radius", "radius": "radius", "size": "radius"}, ("radius",)),
    "chamfer": ({"chamfer": "size", "size": "size", "wide": "size", "long": "size"}, ("size",)),
    "shell": ({"shell": "wall", "wall": "wall", "thick": "wall", "inward": "wall", "floor": "floor"}, ("wall",)),
    "text": ({"text": "height", "height": "height", "size": "height", "deep": "relief", "thick": "relief", "relief": "relief"},
             ("height",)),
}
# "a 10 x 20 mm pocket, 3 mm deep", "a 10 x 20 x 3 mm pocket": bare sizes are its outline's two sides
POCKET_SIDES = ("length", "width", "depth")


def bare_sizes_taken(feature: str) -> int:
    """How many sizes without a word the feature can take, in order."""
    order = TABLES.get(feature, ({}, ()))[1]
    return max(len(order), len(POCKET_SIDES) if feature == "pocket" else 0)


DESCRIBE = {"size": "size", "diameter": "diameter", "depth": "depth", "width": "width", "length": "length",
            "thickness": "thickness", "height": "height", "radius": "radius", "wall": "wall thickness",
            "floor": "floor thickness", "relief": "relief"}


@dataclass
class Read:
    """A feature clause read: its sizes by parameter, where it goes, and the words that said them."""

    kind: str
    values: dict = field(default_factory=dict)  # parameter or "@place" -> (value, said)
    count: int = 1
    places: list = field(default_factory=list)
    screw: Optional[str] = None  # "M3": the screw or thread a hole is for
    grid: Optional[tuple] = None  # "a 4 by 3 grid": columns, rows
    shape: str = ""  # "round", "square" or "rect" when the clause says so
    edges_named: bool = False  # "its edges": all of them
    words: tuple = ()  # the clause's own words (texts to put on the part are placeholders among them)
    plural: bool = False  # "holes", no number: more than one, how many the placement says


def read_feature(kind: str, clause: Clause, reading: Reading) -> Read:
    table, order = TABLES[kind]
    words = tuple(i.text for i in clause.items if isinstance(i, Token))
    shape = next((f for f in ("round", "square") if f in reading.flags), "")
    if not shape and any(w in ("rectangular", "rectangle", "oblong") for w in (getattr(i, "text", "") for i in clause.items)):
        shape = "rect"
    edges = any(isinstance(i, Phrase) and i.category == "role" and i.value.role == "side" and "edge" in i.text for i in clause.items)
    found = Read(kind, places=list(reading.places), grid=reading.grid, shape=shape, edges_named=edges, words=words)
    found.count = _count(kind, reading)
    found.plural = any(isinstance(i, Phrase) and i.category == "role" and i.value.count == f"{kind}_count" and i.value.plural
                       for i in clause.items)
    loose: list[Sized] = []
    for s in reading.sizes:
        if s.measure.unit == "M":
            found.screw = s.measure.text.upper().replace(" ", "")
            continue
        if s.measure.unit == "deg":
            raise AgentError(STAGE, f"I understood a {kind} but not what the angle '{s.said}' is for")
        if s.role is None:
            loose.append(s)
            continue
        target = table.get(s.role)
        if target is None:
            raise AgentError(STAGE, f"I understood a {kind} but not what '{s.said}' is for",
                             hint=f"say what each size of the {kind} measures")
        _set(found, target, s)
    if kind == "pocket" and len(loose) >= 2 and (len(loose) == len(POCKET_SIDES) or "depth" in found.values):
        order = POCKET_SIDES
    for s in loose:  # sizes without a word fill the feature's sizes in order
        free = [p for p in order if p not in found.values]
        if not free:
            raise AgentError(STAGE, f"I understood a {kind} but not what '{s.said}' is for",
                             hint=f"say what each size of the {kind} measures, e.g. '5 mm deep'")
        _set(found, free[0], s)
    return found


def _set(found: Read, target: str, s: Sized) -> None:
    factor = 2.0 if target.endswith("*2") else 1.0
    name = target[:-2] if factor != 1.0 else target
    value = s.measure.value * factor
    if name in found.values and abs(found.values[name][0] - value) > 1e-9:
        what = DESCRIBE.get(name, name.lstrip("@"))
        raise AgentError(STAGE, f"the request gives the {found.kind} two different {what}s: "
                                f"{found.values[name][0]:g} mm ('{found.values[name][1]}') and {value:g} mm ('{s.said}')")
    found.values[name] = (round(value, 6), s.said)


def _count(kind: str, reading: Reading) -> int:
    counts = reading.all_counts()
    n = counts.get(f"{kind}_count") or (counts.get("hole_count") if kind == "hole" else None)
    if reading.grid and n is None:
        n = reading.grid[0] * reading.grid[1]
    return n or 1


def place_of(read: Read, default: str = "top") -> str:
    for place in read.places:
        if place[0] in ("face", "span"):
            return place[1]
    return default


def has(read: Read, *place: str) -> bool:
    return tuple(place) in read.places or any(p[: len(place)] == tuple(place) for p in read.places)


def style_of(read: Read, default: str) -> str:
    for place in read.places:
        if place[0] in ("style", "engrave"):
            return place[1]
    return default
