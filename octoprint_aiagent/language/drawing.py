"""Requests in CAD terms, as people who know CAD write them.

"sketch a rectangle 50 by 75 mm and extrude it 15 mm", "on the top face draw a circle of radius
7.5 mm and cut it through", "a polygon through the points (0,0), (40,0), (40,10), (10,40), 5 mm
thick", "rotate it 90 degrees about X", "translate it so its centre is at the origin".

Drawing words become the words the reader already knows: a circle drawn and extruded is a
cylinder; drawn on the part and cut, a hole; drawn on it and extruded, a boss; a rectangle cut
into the part is a pocket; "extrude it 15 mm" states a height and "cut it 5 mm" a depth. A polygon
through points is an outline of its own, extruded. Turning or moving the finished part changes
where it is, not what is printed (it is laid on the bed the way it prints best), so those numbers
are kept as the part's placement, each with its role.
"""

from __future__ import annotations

import math
import re
from typing import Optional

import numpy as np

from ..model.errors import AgentError
from .clauses import Clause, head_of
from .reading import STAGE, Reading
from .units import POINT_RUN, Measure, Number, Token
from .vocabulary import Noun, Phrase, RoleWord

POINTS_MARK = "pointlist"  # the placeholder word a run of "(x, y)" points becomes while the sentence is read
_COORDINATE = re.compile(r"[-−]?\s?\d+(?:\.\d+)?")
_POINT = re.compile(r"\(([^()]*)\)")
# Where a drawn shape's verbs are looked for: up to these words on either side.
_SCOPE_ENDS = frozenset((";", ".", "then", "with", "plus", "also"))
_CUTS = {("cut_verb",), ("cut",)}
_VERBS = {("sketch",), ("extrude",)} | _CUTS
_MOVES = {("rotate",), ("translate",)}
_AXES = "xyz"
PLACEMENT_ONLY = "where the part sits, not its shape: it is laid on the bed the way it prints best"


def mark_points(text: str) -> tuple[str, list[list[list[float]]]]:
    """Runs of coordinates ("(0,0), (40,0), (40,10)") out of the sentence, so their numbers are not
    read as sizes: each run becomes a placeholder word."""
    runs: list[list[list[float]]] = []

    def keep(match: re.Match) -> str:
        points = [[float(c.replace("−", "-").replace(" ", "")) for c in _COORDINATE.findall(p)] for p in _POINT.findall(match.group(0))]
        runs.append(points)
        return f" {POINTS_MARK}{chr(ord('a') + len(runs) - 1)} "

    return POINT_RUN.sub(keep, text), runs


def point_text(point: list) -> str:
    return f"({', '.join(f'{v:g}' for v in point)})"


def run_text(run: list) -> str:
    return ", ".join(map(point_text, run))


def points_in(items: list, runs: list) -> Optional[list]:
    """The point run a clause mentions, if any."""
    for item in items:
        text = getattr(item, "text", "") or ""
        if text.startswith(POINTS_MARK):
            return runs[ord(text[len(POINTS_MARK):]) - ord("a")]
    return None


def _place(item) -> Optional[tuple]:
    return item.value if isinstance(item, Phrase) and item.category == "place" else None


def _scope(items: list, i: int) -> tuple[int, int]:
    """Where the items around item i that speak of the same drawn shape start and end."""
    start, end = i, i + 1
    while start > 0 and getattr(items[start - 1], "text", "") not in _SCOPE_ENDS:
        start -= 1
    while end < len(items) and getattr(items[end], "text", "") not in _SCOPE_ENDS and not _names_shape(items[end]):
        end += 1
    return start, end


def _names_shape(item) -> bool:
    return _shape(item) is not None or (isinstance(item, Phrase) and item.category == "kind")


def _shape(item) -> Optional[str]:
    """ "circle", "rect" or "points" for a word that names a drawn outline."""
    if isinstance(item, Phrase) and item.category == "role" and item.text == "circle":
        return "circle"
    if isinstance(item, Phrase) and item.category == "kind" and item.text in ("rectangle", "square"):
        return "rect"
    if isinstance(item, Token) and item.text.startswith(POINTS_MARK):
        return "points"
    return None


def redraw(items: list) -> list:
    """The items with drawing words turned into the words for what they make (see the module)."""
    if any(_place(i) == ("revolve",) for i in items):
        raise AgentError(STAGE, "revolving a drawn profile is not understood offline",
                         hint="name the solid it makes (a cylinder, a tube, a cone, a dome) with its sizes, or set up an LLM")
    items = [_shell_verb(items, k) for k in range(len(items))]
    if not any(_place(i) in _VERBS or _shape(i) == "points" for i in items):
        return items
    out = list(items)
    for i, item in enumerate(items):
        shape = _shape(item)
        if shape is None:
            continue
        start, end = _scope(items, i)
        places = {_place(s) for s in items[start:end]}
        verbs = places & _VERBS
        if (not verbs and shape != "points") or (shape == "points" and places & _MOVES):
            continue  # points beside "move it" are where to, not an outline
        if shape == "points":  # the outline is given by its points: a noun beside them only names it
            out[start:i] = [Phrase("filler", None, p.text) if isinstance(p, Phrase) and p.category == "kind" else p
                            for p in out[start:i]]
        on_part = any(isinstance(p, Phrase) and p.category == "kind" for p in out[:i])
        out[i] = _made_by(item, shape, on_part, verbs) or out[i]
        if ("extrude",) in verbs and shape != "points":
            _extruded_by(out, start, end, i, 1 if shape == "circle" else 2)
    return [_verb_as_size_word(item, out[k + 1] if k + 1 < len(out) else None) for k, item in enumerate(out)]


def _extruded_by(out: list, start: int, end: int, shape_at: int, sizes: int) -> None:
    """ "extrude a circle of radius 10 mm by 5 mm": the last "by" after the outline's own sizes is
    the extrusion's, not a second side of the outline."""
    for k in range(end - 2, shape_at, -1):
        if getattr(out[k], "category", None) == "times" and out[k].text == "by" and isinstance(out[k + 1], (Measure, Number)):
            if sum(isinstance(i, (Measure, Number)) for i in out[start:k]) >= sizes:
                out[k] = Phrase("role", RoleWord("height"), out[k].text)
            return


def _shell_verb(items: list, k: int):
    """ "shell the top face inward by 2 mm", "shell it, 2 mm walls": "shell" opening its clause is
    the CAD command (hollow the part out), not the word for a wall."""
    item = items[k]
    if not (isinstance(item, Phrase) and item.category == "role" and item.text == "shell"):
        return item
    opens = k == 0 or getattr(items[k - 1], "category", None) == "sep"
    follows = items[k + 1] if k + 1 < len(items) else None
    names_what = (_place(follows) or ("",))[0] == "face" or getattr(follows, "text", "") in ("it", "the", "its")
    return Phrase("role", RoleWord("shell", "shell_count", False), item.text) if opens and names_what else item


def _made_by(item, shape: str, on_part: bool, verbs: set):
    if shape == "points":  # an outline, unless the part already has one (then the points are refused)
        return None if on_part else Phrase("kind", Noun("extrude", "polygon", False), item.text)
    cut, extrude = bool(verbs & _CUTS), ("extrude",) in verbs
    if not on_part:
        return Phrase("kind", Noun("cylinder", "circle", False), item.text) if shape == "circle" else None
    if shape == "circle" and not (cut or extrude):
        raise AgentError(STAGE, "a circle is drawn on the part, but is it cut in (a hole) or extruded out (a boss)?",
                         hint="e.g. 'draw a circle of radius 5 mm on the top and cut it through'")
    if cut:
        feature = "hole" if shape == "circle" else "pocket"
        return Phrase("role", RoleWord(feature, f"{feature}_count", False), item.text)
    if shape == "circle":
        return Phrase("role", RoleWord("boss", "boss_count", False), item.text)
    return None  # a rectangle extruded from a face: a block added on it, as the object reader knows


def _verb_as_size_word(item, following):
    place = _place(item)
    if place == ("extrude",):
        return Phrase("role", RoleWord("height"), item.text)  # "extrude it 15 mm"
    if place == ("cut_verb",) and isinstance(following, (Measure, Number)):
        return Phrase("role", RoleWord("deep"), item.text)  # "cut it 5 mm"
    if place == ("sketch",):
        return Phrase("filler", None, item.text)
    return item


def polygon_base(reading: Reading, points: list) -> tuple[dict, list]:
    """An outline through points, extruded: (params of the extrude node, [(said, value, path, role)])."""
    if len(points) < 3:
        raise AgentError(STAGE, f"an outline needs at least 3 points, not {len(points)}: {run_text(points)}")
    if any(len(p) != 2 for p in points):
        raise AgentError(STAGE, "an outline's points are (x, y) pairs", hint="e.g. 'through the points (0,0), (40,0), (0,30)'")
    heights = [s for s in reading.sizes if s.role in (None, "height", "thick", "deep", "long") and s.measure.unit != "deg"]
    others = [s for s in reading.sizes if s not in heights]
    if others or len(heights) > 1:
        said = (others or heights[1:])[0].said
        raise AgentError(STAGE, f"I understood an outline through points but not what '{said}' is for",
                         hint="give the outline's points and one thickness, e.g. '5 mm thick'")
    if not heights:
        raise AgentError(STAGE, "I understood an outline through points but not how thick to make it",
                         hint="e.g. 'extruded 5 mm' or '5 mm thick'")
    height = heights[0]
    roles = [(height.said, height.measure.value, "height", "thickness of the outline, extruded")]
    for n, (x, y) in enumerate(points):
        roles += [(point_text([x, y]), x, f"sketch.polygon.points[{n}][0]", f"point {n + 1} of the outline, x"),
                  (point_text([x, y]), y, f"sketch.polygon.points[{n}][1]", f"point {n + 1} of the outline, y")]
    return {"sketch": {"polygon": {"points": points}}, "height": height.measure.value}, roles


def split_moves(clauses: list[Clause]) -> tuple[list[Clause], list[Clause]]:
    """(the clauses that describe the part, the clauses that turn or move it): a clause is split
    where "rotate"/"move" begins ("a cube rotated 45 degrees about Z")."""
    kept: list[Clause] = []
    moves: list[Clause] = []
    moving = False  # the clause before was a move
    for clause in clauses:
        at = next((k for k, i in enumerate(clause.items) if _place(i) in _MOVES), None)
        if at is None:
            if moving and clause.head is None and any(_axis(i) for i in clause.items):
                moves[-1].items.extend(clause.items)  # "rotate it 90 degrees about Z, then 90 about X"
            else:
                kept.append(clause)
                moving = False
            continue
        before = Clause(clause.items[:at])
        before.head, before.noun = head_of(before.items)
        if any(not (isinstance(i, Phrase) and i.category == "sep") for i in before.items):
            kept.append(before)
        moves.append(Clause(clause.items[at:]))
        moving = True
    return kept, moves


def _axis(item) -> Optional[str]:
    place = _place(item)
    return place[1] if place and place[0] == "axis" else None


def part_placement(moves: list[Clause], runs: list) -> tuple[dict, list, list]:
    """The root's rotate/translate from the moving clauses: (placement, roles, notes). Turns are
    applied in the order said and kept as the equivalent turn about X, then Y, then Z."""
    turn, shift = np.eye(3), np.zeros(3)
    roles: list = []
    notes: list = []
    turned = shifted = False
    for clause in moves:
        verb = next(_place(i) for i in clause.items if _place(i) in _MOVES)
        axes = [a for a in map(_axis, clause.items) if a]
        point = points_in(clause.items, runs)
        values = [i for i in clause.items if isinstance(i, (Measure, Number))]
        words = _said(clause.items, runs)
        if verb == ("rotate",):
            if not values:
                raise AgentError(STAGE, f"'{words}': by how many degrees?", hint="e.g. 'rotate it 90 degrees about X'")
            for value, axis in _paired(values, axes, words, "turn"):
                if value.unit not in ("deg", ""):
                    raise AgentError(STAGE, f"'{value.text}' is a length; a turn is an angle", hint="e.g. 'rotate it 90 degrees about X'")
                turn = _turn(axis, value.value) @ turn
                roles.append((value.text, value.value, "rotate", f"turn about {axis.upper()} ({PLACEMENT_ONLY})"))
                turned = True
        elif point is not None:
            if values or len(point) != 1:
                raise AgentError(STAGE, f"'{words}': move it by one (x, y, z) offset", hint="e.g. 'move it by (10, 0, 5)'")
            offset = (point[0] + [0.0, 0.0])[:3]
            shift += offset
            roles += [(point_text(point[0]), v, f"translate[{k}]", f"move along {_AXES[k].upper()} ({PLACEMENT_ONLY})")
                      for k, v in enumerate(offset)]
            shifted = True
        else:
            for value, axis in _paired(values, axes, words, "move"):
                if value.unit in ("deg", "M", "%", "C"):
                    raise AgentError(STAGE, f"'{value.text}' is not a distance to move by", hint="e.g. 'move it 10 mm along X'")
                shift[_AXES.index(axis)] += value.value
                roles.append((value.text, value.value, "translate", f"move along {axis.upper()} ({PLACEMENT_ONLY})"))
                shifted = True
        notes.append(f"'{words}': {PLACEMENT_ONLY}")
    out: dict = {}
    if turned:
        out["rotate"] = _xyz_angles(turn)
    if shifted and np.any(shift):
        out["translate"] = [round(float(v), 6) for v in shift]
    return out, roles, notes


def _paired(values: list, axes: list, words: str, what: str) -> list:
    if len(axes) == len(values):
        return list(zip(values, axes))
    example = "rotate it 90 degrees about X" if what == "turn" else "move it 10 mm along Y"
    raise AgentError(STAGE, f"'{words}': say which axis each {what} is {'about' if what == 'turn' else 'along'}",
                     hint=f"e.g. '{example}'")


def _said(items: list, runs: list) -> str:
    """The clause's words as written, its points put back."""
    words = []
    for item in items:
        text = getattr(item, "text", "") or ""
        if text.startswith(POINTS_MARK):
            text = run_text(runs[ord(text[len(POINTS_MARK):]) - ord("a")])
        words.append(text)
    return " ".join(w for w in words if w).strip(" ,;")


def _turn(axis: str, degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    k = _AXES.index(axis)
    i, j = [n for n in range(3) if n != k]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    if k == 1:  # about Y, z turns towards x
        m[i, j], m[j, i] = s, -s
    return m


def _xyz_angles(m: np.ndarray) -> list:
    """Angles (degrees) about X, then Y, then Z that make the turn ``m`` (m = Rz Ry Rx)."""
    y = math.asin(max(-1.0, min(1.0, -m[2, 0])))
    if abs(math.cos(y)) > 1e-9:
        x, z = math.atan2(m[2, 1], m[2, 2]), math.atan2(m[1, 0], m[0, 0])
    else:  # gimbal lock: the turn about X and Z are one; put it all on X
        x, z = math.atan2(-m[1, 2], m[1, 1]), 0.0
    return [round(math.degrees(a), 6) + 0.0 for a in (x, y, z)]
