"""The offline parser: a request in English -> a validated DesignSpec, with no LLM.

The request is split into clauses (clauses.py): the object it names (objects.py decides which
named part and places its sizes) and each feature (features.py reads it, writing.py writes its
node and says where it goes). Every number is given a role, recorded in ``spec.roles`` ("10 mm
-> hole diameter"), or the request is refused naming the number; a stated feature is never
dropped. Sizes a part needs but the request leaves out are the catalogue's defaults, listed as
assumptions.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Optional

from ..model.errors import AgentError
from ..model.materials import MATERIALS
from ..model.spec import KINDS, Assumption, DesignSpec, validate_spec
from ..model.standards import FIT_CLEARANCE_MM
from .absorbing import absorbed
from .clauses import Clause, clauses_of, has_sizes, head_of, split
from .drawing import mark_points, part_placement, points_in, polygon_base, redraw, run_text, split_moves
from .feature_words import TEXT_MARK
from .features import TABLES, Read, bare_sizes_taken, read_feature
from .objects import HOLLOWED, a_label, label, placed_values, resolve_kind
from .reading import STAGE, Reading, clean_request, items_of, read_items
from .vocabulary import FLAG_PARAMS, ROLE_PARAMS
from .writing import WRITERS, Draft, add_or_cut, placement

_QUOTED = re.compile(r"(?<![\w])[\"“'‘]([^\"”'’]{1,64})[\"”'’](?!\w)")
_NAMED = re.compile(r"\b(?:the name|the word|the words|the text|the letters|initials|saying|reading|that says|which says)\s+"
                    r"((?:[A-Z][\w.&-]*)(?:\s+[A-Z][\w.&-]*)*)")
# "a name tag with ANNA in raised letters": once the request speaks of letters, a word in capitals
# is the text, unless it is a material, a screw size or an abbreviation the parser reads itself.
_SPEAKS_OF_TEXT = re.compile(r"\b(?:letters?|lettering|text|engrav\w*|emboss\w*|label|tag|initials|name)\b", re.I)
_CAPITALS = re.compile(r"(?<![\w'])([A-Z][A-Z0-9&.-]*[A-Z0-9](?:\s+[A-Z][A-Z0-9&.-]*[A-Z0-9])*)(?![\w'])")
_NOT_TEXT = set(MATERIALS) | {"OD", "ID", "MM", "CM", "XYZ", "PCB", "LED", "USB"}


def parse_prompt(prompt: str) -> DesignSpec:
    """Understand a request offline. Raises AgentError(stage "understanding", reason "invalid")."""
    text = clean_request(prompt)
    clauses, readings, texts, notes, moves, runs = read_clauses(text)
    draft = Draft(notes=notes)
    base = next((i for i, c in enumerate(clauses) if c.head == "object"), None)
    if base is None:
        what = next((c.head for c in clauses if c.head), None)
        raise AgentError(STAGE, "I did not understand what object to make" + (f" with the {what}" if what else ""),
                         hint="name the object and its sizes, e.g. 'a 20 mm cube' or 'a cylinder 30 mm wide and 10 mm tall'; "
                         f"I know: {', '.join(label(k) for k in KINDS)}")
    if clauses[base].noun.kind == "extrude":  # an outline through points (drawing.py)
        draft.kind = "extrude"
        draft.params, roles = polygon_base(readings[base], points_in(clauses[base].items, runs))
        for role in roles:
            draft.role(*role)
    else:
        _base(draft, readings[base])
    features = _absorbed(draft, [(c, r) for i, (c, r) in enumerate(zip(clauses, readings)) if i != base])
    previous: Optional[dict] = None
    for clause, reading in features:
        previous = _feature(draft, clause, reading, previous, texts)
    missing = [p.description for p in KINDS[draft.kind].params if p.required and p.name not in draft.params] if draft.kind in KINDS else []
    if missing:
        raise AgentError(STAGE, f"I understood {a_label(draft.kind)} but not its {' or '.join(missing)}",
                         hint="add the missing size, e.g. '... 20 mm tall'")
    materials = list(dict.fromkeys(m for r in readings for m in r.materials))
    if len(materials) > 1:
        raise AgentError(STAGE, f"the request names several materials ({', '.join(materials)}); choose one")
    quantities = {r.quantity for r in readings if r.quantity}
    if len(quantities) > 1:
        raise AgentError(STAGE, f"the request gives two different quantities: {' and '.join(map(str, sorted(quantities)))}")
    _every_point_run_used(clauses[base], moves, runs)
    node: dict = {draft.kind: draft.params}
    if draft.features:
        node["features"] = draft.features
    moved, roles, notes = part_placement(moves, runs)
    node.update(moved)
    for role in roles:
        draft.role(*role)
    draft.notes += notes
    spec = DesignSpec(
        part=node,
        assumptions=tuple(draft.assumed),
        material=materials[0] if materials else None,
        quantity=quantities.pop() if quantities else 1,
        roles=tuple(draft.roles),
        backend="offline",
        prompt=text,
        notes=tuple(n for r in readings for n in r.notes) + tuple(draft.notes),
    )
    return validate_spec(spec)


def read_clauses(text: str) -> tuple[list[Clause], list[Reading], list[str], list[str], list[Clause], list]:
    """A cleaned request as clauses, each read: (clauses, their readings, the texts to put on the
    part, notes, the clauses that move the part, the runs of points). Grounding reads an LLM's
    request the same way (grounding.py)."""
    marked, texts = mark_texts(text)
    marked, runs = mark_points(marked)
    title, rest = split(redraw(items_of(marked)))
    notes = []
    clauses, moves = split_moves(clauses_of(rest))
    named = title and head_of(title)[0] == "object"
    if title and (has_sizes(title) or (named and not any(c.head == "object" for c in clauses))):
        clauses = _with_title(title, clauses)
    elif title:
        notes.append(f"'{_words(title)}' is the part's name; what follows says what it is")
    clauses = _attached(clauses)
    return clauses, [read_items(c.items) for c in clauses], texts, notes, moves, runs


def _every_point_run_used(base: Clause, moves: list[Clause], runs: list) -> None:
    """Points are an outline (the base's) or an offset (a move's); any others are refused."""
    using = moves + ([base] if base.noun.kind == "extrude" else [])
    used = [points_in(c.items, runs) for c in using]
    for run in runs:
        if not any(run is u for u in used):
            raise AgentError(STAGE, f"I understood the points {run_text(run)} but not what they are for",
                             hint="points can give a part's outline ('a polygon through the points ..., 5 mm thick') "
                             "or where to move it ('move it by (10, 0, 0)')")


def mark_texts(text: str) -> tuple[str, list[str]]:
    """Texts to put on the part ("'M3'", "the name ANNA") out of the sentence, so their letters
    and numbers are not read as sizes: each becomes a placeholder word, in order."""
    texts: list[str] = []

    def keep(match: re.Match) -> str:
        texts.append(match.group(1).strip())
        return f" {TEXT_MARK}{chr(ord('a') + len(texts) - 1)} "

    marked = _QUOTED.sub(keep, text)
    marked = _NAMED.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + keep(m), marked)
    if not texts and _SPEAKS_OF_TEXT.search(marked):
        marked = _CAPITALS.sub(lambda m: m.group(0) if _reads_itself(m.group(1)) else keep(m), marked)
    return marked, texts


def _reads_itself(capitals: str) -> bool:
    return any(w in _NOT_TEXT or re.fullmatch(r"M\d[\dX.]*", w) for w in capitals.split())


def _words(items: list) -> str:
    return " ".join(getattr(i, "text", "") for i in items if getattr(i, "text", "")).strip()


def _with_title(title: list, clauses: list[Clause]) -> list[Clause]:
    """ "an axle 60 mm long in all: a cylinder 8 mm across with ...": the title and the first
    object after the colon are one object, described twice."""
    head = Clause(list(title))
    head.head, head.noun = head_of(head.items)
    first = next((c for c in clauses if c.head == "object"), None)
    if head.head == "object" and first is not None:
        noun = first.noun if first.noun.kind == head.noun.kind else head.noun
        first.items = [i for i in head.items if not _is_noun(i)] + first.items
        first.noun = noun
        return clauses
    return [head] + clauses


def _is_noun(item) -> bool:
    return getattr(item, "category", None) == "kind"


def _attached(clauses: list[Clause]) -> list[Clause]:
    """Clauses that name nothing ("5 mm thick", "in its bottom") belong to the clause before, or,
    when their size words do not fit that feature, to the object."""
    out: list[Clause] = []
    leading: list = []  # words before anything is named ("diameter 20 mm, height 5 mm, a cylinder")
    for k, clause in enumerate(clauses):
        if clause.head is None and not out:
            leading += clause.items
            continue
        following = clauses[k + 1] if k + 1 < len(clauses) else None
        if clause.head is None and _opens(clause) and following is not None and following.head not in (None, "object", "another") \
                and _continues(following) and _fits(following.head, clause):
            following.items = clause.items + following.items  # "with a 40 mm long, 6 mm wide slot"
            continue
        if clause.head is not None:
            if clause.head == "object" and leading and not any(c.head == "object" for c in out):
                clause.items = leading + clause.items
                leading = []
            out.append(clause)
            continue
        target = out[-1]
        base = next((c for c in out if c.head == "object"), None)
        if target.head not in (None, "object", "another") and base is not None and not _fits(target.head, clause):
            target = base
        target.items.extend(clause.items)
    if leading:  # nothing named at all: the reader says what is missing
        out.insert(0, Clause(leading))
    return out


def _continues(clause: Clause) -> bool:
    """Does the clause go on from a comma ("with a 40 mm long, | 6 mm wide slot"), rather than start
    with a word of its own ("with a diameter of 60 mm | and 6 holes")?"""
    first = clause.items[0]
    return getattr(first, "category", None) != "sep" or first.text == ","


def _opens(clause: Clause) -> bool:
    """Does the clause start a new thing ("with a 40 mm long, ...") rather than go on describing?"""
    first = clause.items[0]
    return getattr(first, "category", None) == "sep" and first.text in ("with", "having", "featuring", "plus") and has_sizes(clause.items)


def _fits(feature: str, clause: Clause) -> bool:
    reading = read_items(list(clause.items))
    if reading.materials or reading.quantity or reading.nouns:
        return False
    table = TABLES.get(feature, ({}, ()))[0]
    loose = [s for s in reading.sizes if s.role is None and s.measure.unit != "M"]
    # "a name tag saying 'LEO', 50 x 20 x 3 mm": more bare sizes than the feature takes are the part's
    return len(loose) <= bare_sizes_taken(feature) and \
        all(s.role is None or s.role in table or s.measure.unit == "M" for s in reading.sizes)


def _base(draft: Draft, reading: Reading) -> None:
    kind, noun, notes = resolve_kind(reading)
    thread = next((p for p in KINDS[kind].params if p.kind == "thread"), None)
    # "M8x30" reads as the thread M8 and a 30 mm length in the screw's unit: only the M-words name threads
    screws = [s for s in reading.sizes if s.measure.unit == "M" and s.measure.text.upper().startswith("M")]
    if thread and screws:  # "an M8 nut (for an M8 bolt)": the size names the thread; it is not a length to place
        names = {s.measure.text.upper().replace(" ", "") for s in screws}
        if len(names) > 1:
            raise AgentError(STAGE, f"the request names {' and '.join(sorted(names))} for one {label(kind)}; which size?")
        draft.params[thread.name] = names.pop()
        for screw in screws:
            draft.role(screw.said, screw.measure.value, thread.name, f"{label(kind)} {thread.description}")
        reading = replace(reading, sizes=[s for s in reading.sizes if s not in screws])
    elif thread and thread.required:
        raise AgentError(STAGE, f"I understood {a_label(kind)} but not its size", hint=f"e.g. 'an M8 {label(kind)}'")
    turn = next((p for p in KINDS[kind].params if p.kind == "angle" and p.name != "pressure_angle"), None)
    angles = [s for s in reading.sizes if s.measure.unit == "deg" and s.role is None]
    if turn and angles:  # "leaning back at 60 degrees"
        draft.params[turn.name] = angles[0].measure.value
        draft.role(angles[0].said, angles[0].measure.value, turn.name, f"{label(kind)} {turn.description}")
        reading = replace(reading, sizes=[s for s in reading.sizes if s is not angles[0]])
    board = next((p[1] for p in reading.places if p[0] == "board"), None)
    if board and "board" in KINDS[kind].param_names:
        draft.params["board"] = board
    for flag in list(reading.flags) + sorted(reading.roles):
        name, value = {**FLAG_PARAMS, **ROLE_PARAMS}.get(flag, {}).get(kind, (None, None))
        if name:
            draft.params[name] = value
    if kind in HOLLOWED and ("hollow" in reading.flags or "wall" in reading.roles):
        reading = _hollowed(draft, kind, reading)
    values, more = placed_values(kind, noun, reading)
    draft.kind = kind
    draft.notes += notes + more
    for name, (value, said) in values.items():
        draft.params[name] = round(value, 6)
        draft.role(said, value, name, f"{label(kind)} {KINDS[kind].param(name).description}")
    for name, n in reading.all_counts().items():
        if name in KINDS[kind].param_names:
            draft.params[name] = n
            draft.role(f"{n} {name.replace('_', ' ')}", n, name, f"{label(kind)} {KINDS[kind].param(name).description}")
    fit = next((p[1] for p in reading.places if p[0] == "fit"), None)
    if fit and "clearance" not in draft.params:
        _fit_in_words(draft, kind, fit)
    draft.overall = ("overall",) in reading.places
    if kind == "enclosure" and board:
        _sized_for_board(draft, board)


def _hollowed(draft: Draft, kind: str, reading: Reading) -> Reading:
    """ "a hollow cube 30 mm with 2 mm walls": the solid, and a shell feature with the walls
    (closed all round unless the request opens it). Returns the reading without the wall size."""
    walls = [s for s in reading.sizes if s.role == "wall"]
    if not walls:
        raise AgentError(STAGE, f"I understood a hollow {label(kind)} but not its wall thickness",
                         hint=f"e.g. 'a hollow {label(kind)} ... with 2 mm walls'")
    if len(walls) > 1:
        raise AgentError(STAGE, f"the request gives two wall thicknesses ({walls[0].said}, {walls[1].said}); which one?")
    wall = walls[0]
    opened = "open" in reading.flags
    draft.role(wall.said, wall.measure.value, f"{draft.where}.shell.wall", "shell wall thickness")
    draft.features.append({"shell": {"wall": wall.measure.value, "open": ["top"] if opened else []}})
    if not opened:
        draft.notes.append("hollow and closed all round: the inside cannot be reached once printed")
    return replace(reading, sizes=[s for s in reading.sizes if s is not wall],
                   flags=reading.flags - {"hollow", "open"})


def _fit_in_words(draft: Draft, kind: str, fit: str) -> None:
    """ "an M8 nut, loose fit": the part's clearance per side, in place of the printer's setting."""
    if "clearance" not in KINDS[kind].param_names:
        raise AgentError(STAGE, f"I understood a {fit} fit, but {a_label(kind)} has nothing that fits something else",
                         hint="a fit is for holes, threads, nuts, bolts and lids, e.g. 'an M8 nut, loose fit' or '0.3 mm clearance'")
    draft.params["clearance"] = FIT_CLEARANCE_MM[fit]
    draft.notes.append(f"a {fit} fit: {FIT_CLEARANCE_MM[fit]:g} mm clearance per side instead of the printer's setting")


def _sized_for_board(draft: Draft, board: str) -> None:
    """An enclosure for a board, sizes left out: the board with 2 mm of room around it, inside
    walls of the default thickness, 30 mm tall. Each such size is an assumption, shown as one."""
    from ..model.templates.enclosures import BOARDS

    length, width, _size, _holes = BOARDS[board]
    wall = draft.params.get("wall", KINDS["enclosure"].param("wall").default)
    for name, value in (("length", length + 4 + 2 * wall), ("width", width + 4 + 2 * wall), ("height", 30.0)):
        if name not in draft.params:
            draft.params[name] = round(value, 1)
            reason = f"the {board.replace('_', ' ')} with 2 mm around it" if name != "height" else "default height for a board's case"
            draft.assumed.append(Assumption(name, round(value, 1), reason))


def _absorbed(draft: Draft, features: list) -> list:
    """The feature clauses left once the part has taken those that are its own (absorbing.py)."""
    reads = [(i, read_feature(c.head, c, r)) for i, (c, r) in enumerate(features) if c.head in ("hole", "rib")]
    taken = set(absorbed(draft, reads))
    return [f for i, f in enumerate(features) if i not in taken]


_EVERY_FACE = re.compile(r"\b(?:on|in|through|into) (?:each|every|all(?: the)?|all of the) (?:sides?|faces?)\b")


def _one_face_at_a_time(clause: Clause) -> None:
    """ "a hole on each side": a feature goes on one face; several faces are said one by one, never
    read as one hole with the rest dropped."""
    said = _EVERY_FACE.search(clause.words.lower())
    if said and clause.head not in ("fillet", "chamfer", "shell", "rim"):
        raise AgentError(STAGE, f"'{said.group(0).strip()}': I place a {clause.head} on one face at a time",
                         hint="name each, e.g. 'a 10 mm hole through it from front to back and another from side to side'")


def _feature(draft: Draft, clause: Clause, reading: Reading, previous: Optional[dict], texts: list) -> Optional[dict]:
    if clause.head == "another":
        if previous is None:
            raise AgentError(STAGE, "'another' follows no feature it could repeat")
        kind = next(iter(previous))
        node = {kind: previous[kind], **placement(draft, Read(kind, places=list(reading.places)))}
        draft.notes.append(f"'{clause.words.strip(' ,')}': the same {kind} again, placed as it says")
    elif clause.head == "object":
        node = add_or_cut(draft, reading, joined_by=getattr(clause.items[0], "text", ""))
    elif clause.head is None:
        raise AgentError(STAGE, f"I did not understand what '{clause.words}' adds to the part")
    else:
        _one_face_at_a_time(clause)
        read = read_feature(clause.head, clause, reading)
        where = draft.where
        node = WRITERS[clause.head](draft, read, texts)
        placed = {r.said for r in draft.roles if r.path.startswith(where)}
        for _value, said in read.values.values():
            if said not in placed:  # every number has a role, or the request is refused naming it
                raise AgentError(STAGE, f"I understood a {read.kind} but not what '{said}' is for",
                                 hint=f"say what each size of the {read.kind} measures")
    draft.features.append(node)
    return node
