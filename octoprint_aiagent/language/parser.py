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
from ..model.spec import KINDS, DesignSpec, validate_spec
from ..model.standards import clearance_hole
from .clauses import Clause, clauses_of, has_sizes, head_of, split
from .features import TABLES, Read, read_feature
from .objects import label, placed_values, resolve_kind
from .reading import STAGE, Reading, clean_request, items_of, read_items
from .vocabulary import FLAG_PARAMS
from .writing import TEXT_MARK, WRITERS, Draft, add_or_cut, placement

_QUOTED = re.compile(r"(?<![\w])[\"“'‘]([^\"”'’]{1,64})[\"”'’](?!\w)")
_NAMED = re.compile(r"\b(?:the name|the word|the words|the text|the letters|initials|saying|reading|that says|which says)\s+"
                    r"((?:[A-Z][\w.&-]*)(?:\s+[A-Z][\w.&-]*)*)")


def parse_prompt(prompt: str) -> DesignSpec:
    """Understand a request offline. Raises AgentError(stage "understanding", reason "invalid")."""
    text = clean_request(prompt)
    clauses, readings, texts, notes = read_clauses(text)
    draft = Draft(notes=notes)
    base = next((i for i, c in enumerate(clauses) if c.head == "object"), None)
    if base is None:
        what = next((c.head for c in clauses if c.head), None)
        raise AgentError(STAGE, "I did not understand what object to make" + (f" with the {what}" if what else ""),
                         hint="name the object and its sizes, e.g. 'a 20 mm cube' or 'a cylinder 30 mm wide and 10 mm tall'; "
                         f"I know: {', '.join(label(k) for k in KINDS)}")
    _base(draft, readings[base])
    features = _absorbed(draft, [(c, r) for i, (c, r) in enumerate(zip(clauses, readings)) if i != base])
    previous: Optional[dict] = None
    for clause, reading in features:
        previous = _feature(draft, clause, reading, previous, texts)
    missing = [p.description for p in KINDS[draft.kind].params if p.required and p.name not in draft.params]
    if missing:
        raise AgentError(STAGE, f"I understood a {label(draft.kind)} but not its {' or '.join(missing)}",
                         hint="add the missing size, e.g. '... 20 mm tall'")
    materials = list(dict.fromkeys(m for r in readings for m in r.materials))
    if len(materials) > 1:
        raise AgentError(STAGE, f"the request names several materials ({', '.join(materials)}); choose one")
    quantities = {r.quantity for r in readings if r.quantity}
    if len(quantities) > 1:
        raise AgentError(STAGE, f"the request gives two different quantities: {' and '.join(map(str, sorted(quantities)))}")
    node: dict = {draft.kind: draft.params}
    if draft.features:
        node["features"] = draft.features
    spec = DesignSpec(
        part=node,
        material=materials[0] if materials else None,
        quantity=quantities.pop() if quantities else 1,
        roles=tuple(draft.roles),
        backend="offline",
        prompt=text,
        notes=tuple(n for r in readings for n in r.notes) + tuple(draft.notes),
    )
    return validate_spec(spec)


def read_clauses(text: str) -> tuple[list[Clause], list[Reading], list[str], list[str]]:
    """A cleaned request as clauses, each read: (clauses, their readings, the texts to put on the
    part, notes). Grounding reads an LLM's request the same way (grounding.py)."""
    marked, texts = mark_texts(text)
    title, rest = split(items_of(marked))
    notes = []
    clauses = clauses_of(rest)
    named = title and head_of(title)[0] == "object"
    if title and (has_sizes(title) or (named and not any(c.head == "object" for c in clauses))):
        clauses = _with_title(title, clauses)
    elif title:
        notes.append(f"'{_words(title)}' is the part's name; what follows says what it is")
    clauses = _attached(clauses)
    return clauses, [read_items(c.items) for c in clauses], texts, notes


def mark_texts(text: str) -> tuple[str, list[str]]:
    """Texts to put on the part ("'M3'", "the name ANNA") out of the sentence, so their letters
    and numbers are not read as sizes: each becomes a placeholder word, in order."""
    texts: list[str] = []

    def keep(match: re.Match) -> str:
        texts.append(match.group(1).strip())
        return f" {TEXT_MARK}{chr(ord('a') + len(texts) - 1)} "

    marked = _QUOTED.sub(keep, text)
    marked = _NAMED.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + keep(m), marked)
    return marked, texts


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
    for clause in clauses:
        if clause.head is None and not out:
            leading += clause.items
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


def _fits(feature: str, clause: Clause) -> bool:
    reading = read_items(list(clause.items))
    if reading.materials or reading.quantity or reading.nouns:
        return False
    table = TABLES.get(feature, ({}, ()))[0]
    return all(s.role is None or s.role in table or s.measure.unit == "M" for s in reading.sizes)


def _base(draft: Draft, reading: Reading) -> None:
    kind, noun, notes = resolve_kind(reading)
    thread = next((p.name for p in KINDS[kind].params if p.kind == "thread"), None)
    if thread:  # "an M8 nut": the size names the thread; it is not a length to place
        screws = [s for s in reading.sizes if s.measure.unit == "M"]
        if not screws:
            raise AgentError(STAGE, f"I understood a {label(kind)} but not its size", hint=f"e.g. 'an M8 {label(kind)}'")
        draft.params[thread] = screws[0].measure.text.upper().replace(" ", "")
        draft.role(screws[0].said, screws[0].measure.value, thread, f"{label(kind)} {KINDS[kind].param(thread).description}")
        reading = replace(reading, sizes=[s for s in reading.sizes if s is not screws[0]])
    for flag in reading.flags:
        name, value = FLAG_PARAMS.get(flag, {}).get(kind, (None, None))
        if name:
            draft.params[name] = value
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
    draft.overall = ("overall",) in reading.places


def _absorbed(draft: Draft, features: list) -> list:
    """A tube's or a gear's own hole: "a ring 30 mm across, 5 mm thick, with a 20 mm hole" is a
    tube 20 mm inside, as the catalogue has it, when the part has no hole of its own yet."""
    own = {"tube": "inner_diameter", "gear": "bore"}.get(draft.kind)
    if own is None or own in draft.params:
        return features
    for i, (clause, reading) in enumerate(features):
        if clause.head != "hole":
            continue
        read = read_feature("hole", clause, reading)
        central = read.count == 1 and all(p in (("centre",), ("through",), ("face", "top"), ("screw_word",)) for p in read.places)
        if central and set(read.values) == {"diameter"} and not read.screw:
            value, said = read.values["diameter"]
        elif central and not read.values and read.screw and "x" not in read.screw.lower():
            value, said = clearance_hole(read.screw).diameter, read.screw
            draft.notes.append(f"'{read.screw} hole': an ISO 273 clearance hole for the screw, {value:g} mm")
        else:
            break
        draft.params[own] = value
        draft.role(said, value, own, f"{label(draft.kind)} {KINDS[draft.kind].param(own).description}")
        return features[:i] + features[i + 1 :]
    return features


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
