"""Holding an LLM's part document to the words of the request.

An LLM answers with a document; a small one often answers with wrong numbers (a radius as a
diameter, 2 for "2 cm") or with something else than was asked (a box for "a phone stand").
``ground`` reads the request clause by clause, as the offline parser does, and holds the
document to it:

1. **The object.** When the request names an object the reader knows ("a cube", "a gear"), the
   document must make something of its shape (a cube or a box, not a sphere; a bracket may be
   made of blocks). When it names none the reader knows ("a phone stand"), a plain primitive is
   not it: a box, with nothing on it, is refused.
2. **Every stated size** must be a number of the document in a role that fits (``fits``): a
   diameter as a diameter (or half of it as a radius), a radius doubled, a wall as a wall (or
   between two sizes, outer = inner + 2 x wall), any other size as any size or placement; or be
   made of two (a shaft and its flange, "60 mm long in all"). A stated screw size ("M3") must be
   a thread of the document, or a hole a little wider than the screw.
3. **Counts**: stated counts of features must match the document's (a pattern of 4 is 4 holes),
   teeth must match; "a hole" (and "another") is one, "holes" at least two.
4. **Texts** on the part must be texts of the request; a size the model invented is kept and
   listed as an assumption (with the model's own word for it, when it gave one); the material is
   the request's, never the model's; the quantity is the request's, else 1.

Contradictions a measurement cannot settle are ``findings``. A stated size or hole count the
document does not show is ``missing``: the built part may still show it (an extent, a hole's
diameter, the holes through it), which the design loop measures (agent/understand.py); without
a part to measure, a missing size is a finding too (``ground_spec``). Values match within 0.5 %.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Optional

from ..model.document import SOLID_TYPES, Number, node_type, numbers
from ..model.errors import AgentError
from ..model.features import FEATURES
from ..model.sketches import SKETCHES
from ..model.solids import COMPOSITIONS
from ..model.spec import Assumption, DesignSpec, Role, assumption_field, validate_spec
from ..model.standards import parse_metric
from ..model.templates import OPEN_TEMPLATES
from .objects import a_label, label, resolve_kind
from .parser import read_clauses
from .reading import STAGE, Reading, clean_request
from .vocabulary import Phrase

REL_TOL = 0.005
MESH_TOL_MM = 0.1  # curves are facets and holes are measured by their section's area: within this or...
MESH_REL_TOL = 0.01  # ...this share of the size, a measured length is the stated one
SCREW_CLEARANCE = 1.3  # a hole up to this many times the screw is a hole for it (ISO 273 coarse, plus fit)
MAX_LISTED = 6  # sizes of the part named in a finding, so the model sees what it wrote
CHOSEN = "not stated in the request; chosen by the LLM"

ROUND = frozenset(("diameter", "inner_diameter", "top_diameter", "bore", "pattern_diameter"))
RADIUS = frozenset(("radius",))
WALLS = frozenset(("wall", "thickness", "width", "floor"))
_DIAMETER_WORDS = frozenset(("diameter", "outer_diameter", "inner_diameter", "bore", "base_diameter", "top_diameter",
                             "pattern_diameter"))
_RADIUS_WORDS = frozenset(("radius", "outer_radius", "inner_radius", "base_radius", "top_radius"))
_SETTINGS = frozenset(("clearance", "scale", "margin"))  # numbers that tune the build, not sizes of the part
_LENGTHS = ("length", "length0", "number")
_SHAPE_COUNTS = {"hex": 6, "hexagon": 6, "hexagonal": 6, "triangle": 3, "triangular": 3, "square": 4, "pentagon": 5,
                 "pentagonal": 5, "octagon": 8, "octagonal": 8}
# The document roles a size word names, to say where a stated size went when several numbers fit.
_NAMED_BY = {
    "hole": ROUND, "bore": ROUND, "wide": frozenset(("width", "diameter")), "long": frozenset(("length",)),
    "height": frozenset(("height",)), "thick": frozenset(("thickness", "height", "wall")), "deep": frozenset(("depth",)),
    "corner_inset": frozenset(("inset",)), "edge_inset": frozenset(("inset",)), "spacing": frozenset(("spacing",)),
    **{f"edge_{side}": frozenset(("inset",)) for side in ("left", "right", "front", "back")},
    "side": frozenset(("side", "length", "width")), "size": frozenset(("size",)), "across_flats": frozenset(("across_flats",)),
    "fillet": RADIUS, "chamfer": frozenset(("chamfer",)), "text": frozenset(("text_height",)), "relief": frozenset(("relief",)),
    "floor": frozenset(("floor",)), "rib": frozenset(("thickness",)), "rim": frozenset(("width",)),
    "slot": frozenset(("width",)), "groove": frozenset(("width",)),
}
# What an object of a shape may be made of in a document: an L bracket of two blocks, a bolt of a
# hexagon and a thread. A polygon may be anything, so it is never held against the request.
_MADE_OF = {"bracket": {"block"}, "bolt": {"hex", "round"}, "pyramid": {"block"}, "cone": {"round"}, "ball": {"round"},
            "gear": {"round"}, "hex": {"round"}, "triangle": set(), "block": set(), "round": set()}


@dataclass(frozen=True)
class Fit:
    """Where a stated size may be in a document: numbers with one of ``roles`` (None: any size
    or placement), whose value is the stated one times ``factor``."""

    roles: Optional[frozenset]
    factor: float = 1.0


def fits(role: Optional[str]) -> tuple[Fit, ...]:
    if role in _DIAMETER_WORDS:
        return (Fit(ROUND), Fit(RADIUS, 0.5))
    if role in _RADIUS_WORDS:
        return (Fit(ROUND, 2.0), Fit(RADIUS))
    if role == "wall":
        return (Fit(WALLS),)
    if role == "across_corners":
        return (Fit(ROUND | {"across_corners"}), Fit(frozenset({"across_flats"}), math.sqrt(3) / 2))
    return (Fit(None),)


@dataclass(frozen=True)
class Missing:
    """Something the request states that the document does not show: a size (any of ``lengths``
    measured on the part settles it) or a number of holes (``holes``, or at least that many)."""

    message: str
    lengths: tuple[float, ...] = ()
    holes: Optional[int] = None
    at_least: bool = False

    def seen(self, lengths: Sequence[float], holes: int) -> bool:
        """Does the built part show it? ``lengths``: its extents and hole diameters; ``holes``: how
        many holes go through it."""
        if self.holes is not None:
            return holes >= self.holes if self.at_least else holes == self.holes
        return any(abs(m - v) <= max(MESH_TOL_MM, MESH_REL_TOL * v) for m in lengths for v in self.lengths)


@dataclass(frozen=True)
class Grounding:
    spec: DesignSpec  # with the request's material and quantity, its roles and the assumptions
    findings: tuple[str, ...] = ()  # contradictions: the document is not what was asked
    missing: tuple[Missing, ...] = ()  # stated, not in the document: the built part may show them

    @property
    def problems(self) -> tuple[str, ...]:
        """Everything wrong, when there is no part to measure."""
        return self.findings + tuple(m.message for m in self.missing)


@dataclass(frozen=True)
class _Request:
    """What the request states, read clause by clause."""

    readings: list
    heads: list  # what each clause names: "object", a feature, "another", or None
    plural_holes: list  # whether each clause speaks of holes ("holes") rather than a hole
    base: Optional[Reading]  # the clause that names the object
    texts: list
    words: str  # the cleaned request, lower case, for texts written on the part

    @property
    def sizes(self):
        return [s for r in self.readings for s in r.sizes if s.measure.unit not in ("deg", "M")]

    @property
    def screws(self):
        return [s for r in self.readings for s in r.sizes if s.measure.unit == "M"]

    def counts(self, name: str) -> list[int]:
        return [r.counts[name] for r in self.readings if name in r.counts]

    def holes(self) -> tuple[int, bool]:
        """(how many holes the request asks for, whether exactly): "four holes" is 4, "a hole"
        and "another" one each, "holes" at least 2."""
        total, exact, previous = 0, True, None
        for head, r, plural in zip(self.heads, self.readings, self.plural_holes):
            if head == "hole" or "hole_count" in r.counts:
                n = r.counts.get("hole_count", 2 if plural else 1)
                total, exact = total + n, exact and ("hole_count" in r.counts or not plural)
            elif head == "another" and previous == "hole":
                total += 1
            previous = head if head != "another" else previous
        return total, exact


def _read(prompt: str) -> _Request:
    text = clean_request(prompt)
    clauses, readings, texts, *_ = read_clauses(text)
    base = next((r for c, r in zip(clauses, readings) if c.head == "object"), None)
    plural = [any(isinstance(i, Phrase) and i.category == "role" and i.value.count == "hole_count" and i.value.plural for i in c.items)
              for c in clauses]
    return _Request(readings, [c.head for c in clauses], plural, base, texts, " ".join(text.lower().split()))


def ground(prompt: str, spec: DesignSpec, assumed: Sequence = (), before: Optional[DesignSpec] = None) -> Grounding:
    """Hold ``spec`` (an LLM's) to ``prompt``. ``assumed``: what the model said it chose (objects
    with ``what`` and ``value``). ``before``: the part the prompt asks to change (a refine), whose
    sizes stand unless the prompt changes them. Raises AgentError only for a request that cannot
    be read at all."""
    request = _read(prompt)
    doc = numbers(spec.part)
    findings: list[str] = _object(request, spec) if before is None else []
    missing: list[Missing] = []
    roles: list[Role] = []
    changes = _changes(before, doc)
    taken: set = set()
    for value, role, said in _stated(request):
        found = _placed(value, role, doc, taken)
        if found is not None:
            taken.add(found.path)
            roles.append(Role(said, value, assumption_field(found.path), _describe(found)))
        elif not _made_of_two(value, role, doc) and not any(_close(c, value) for c in changes):
            missing.append(_missing_size(value, said, role, doc))
    findings += _screws(request, spec.part, doc)
    found_counts, count_problems, hole_problem = _counts(request, spec.part, doc)
    findings += count_problems
    missing += hole_problem
    findings += _texts(request, spec.part, before)
    if before is None:
        findings += _opening(request, spec.part)
    spec, notes = _order(request, spec, before)
    if before is not None:
        if (spec.part, spec.quantity, spec.material) == (before.part, before.quantity, before.material):
            findings.append(f"the part is the same as before: '{prompt}' changed nothing in it")
        now = {assumption_field(n.path): n.value for n in doc}
        roles = [r for r in before.roles if now.get(r.path) == r.value] + roles  # what still holds of the first request
    assumptions, more = _chosen(request, spec, doc, assumed, found_counts, before)
    grounded = replace(spec, roles=tuple(roles), assumptions=assumptions, notes=spec.notes + tuple(notes + more))
    return Grounding(validate_spec(grounded), tuple(findings), tuple(missing))


def _changes(before: Optional[DesignSpec], doc: list[Number]) -> set:
    """For a change to a part: by how much each number changed ("10 mm taller" is no size of the
    part; it is the difference between its height before and now)."""
    if before is None:
        return set()
    old = {n.path: n.value for n in numbers(before.part)}
    return {abs(n.value - old[n.path]) for n in doc if n.path in old and n.value != old[n.path]}


def ground_spec(prompt: str, spec: DesignSpec, assumed: Sequence = (), before: Optional[DesignSpec] = None) -> DesignSpec:
    """``ground`` without a part to measure: any problem is an AgentError listing them all."""
    grounding = ground(prompt, spec, assumed, before)
    if grounding.problems:
        raise AgentError(STAGE, "; ".join(grounding.problems))
    return grounding.spec


# -- sizes -----------------------------------------------------------------------------------


def _stated(request: _Request) -> list[tuple[float, Optional[str], str]]:
    """(value, role, words) of every stated length; a gear's module is its tip diameter,
    module x (teeth + 2), once the teeth are stated."""
    teeth = request.counts("teeth")
    return [(s.measure.value * (teeth[0] + 2), "diameter", s.said) if s.role == "module" and teeth else (s.measure.value, s.role, s.said)
            for s in request.sizes]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-9)


def _candidates(doc: list[Number]) -> list[Number]:
    """The document's numbers a stated size can be: sizes, and how far things are placed."""
    return [n for n in doc if n.param.role not in _SETTINGS and n.param.role != "angle" and (n.places or n.param.kind in _LENGTHS)]


def _placed(value: float, role: Optional[str], doc: list[Number], taken: set) -> Optional[Number]:
    """The number of the document a stated size is: of those that fit, one the size's own word
    names ("4 mm holes": a hole's diameter rather than a 4 mm plate), and one no other stated
    size took, first. Which one it is only says where the size went (``spec.roles``)."""
    found = [n for fit in fits(role) for n in _candidates(doc)
             if (fit.roles is None or n.param.role in fit.roles) and _close(abs(n.value), value * fit.factor)]
    named = _NAMED_BY.get(role, frozenset())
    found.sort(key=lambda n: (n.path in taken, n.param.role not in named))
    return found[0] if found else None


def _made_of_two(value: float, role: Optional[str], doc: list[Number]) -> bool:
    """A size the document makes of two of its own: an axle's shaft and flange "60 mm long in
    all", or a wall between an outer and an inner size (outer - inner = 2 x wall)."""
    lengths = [abs(n.value) for n in _candidates(doc) if n.value]
    pairs = [(a, b) for i, a in enumerate(lengths) for j, b in enumerate(lengths) if i < j]
    if role == "wall":
        return any(_close(abs(a - b), 2 * value) for a, b in pairs)
    return any(f.roles is None for f in fits(role)) and any(_close(a + b, value) for a, b in pairs)


def _missing_size(value: float, said: str, role: Optional[str], doc: list[Number]) -> Missing:
    stated = f"the request says {value:g} mm ('{said}')"
    if role in _DIAMETER_WORDS:
        where, seen = f"no diameter of the part is {value:g} mm (nor a radius {value / 2:g} mm)", (value,)
    elif role in _RADIUS_WORDS:
        stated = f"the request says a radius of {value:g} mm ('{said}')"
        where, seen = f"no diameter of the part is {2 * value:g} mm (nor a radius {value:g} mm)", (2 * value,)
    elif role == "wall":
        stated = f"the request says a {value:g} mm wall ('{said}')"
        where, seen = f"no wall of the part is {value:g} mm thick", (value,)
    else:
        where, seen = f"no size of the part is {value:g} mm", (value,)
    roles = set().union(*(f.roles or set() for f in fits(role))) if all(f.roles for f in fits(role)) else None
    have = [n for n in _candidates(doc) if not n.places and n.value and (roles is None or n.param.role in roles)]
    listed = ", ".join(f"{_describe(n)} {n.value:g}" for n in have[:MAX_LISTED]) + (", ..." if len(have) > MAX_LISTED else "")
    return Missing(f"{stated}, but {where}" + (f"; it has {listed}" if listed else ""), seen)


def _describe(n: Number) -> str:
    owner = n.path.rsplit(".", 2)[-2].split("[")[0]
    return f"{owner.replace('_', ' ')} {n.param.description}" if not n.places else f"{owner.replace('_', ' ')}: {n.param.description}"


def _strings(node, path: str = "part"):
    """(path, key, text) of every string in a document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str):
                yield f"{path}.{key}", key, value
            else:
                yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{path}[{i}]")


def _screws(request: _Request, part: dict, doc: list[Number]) -> list[str]:
    threads = [parse_metric(text).major_diameter for _, key, text in _strings(part) if key in ("size", "screw", "thread")]
    holes = [n.value for n in doc if n.param.role in ROUND]
    out = []
    for s in request.screws:
        d = s.measure.value
        if not any(_close(t, d) for t in threads) and not any(d - 1e-6 <= h <= SCREW_CLEARANCE * d for h in holes):
            out.append(f"the request names {s.said.upper()}, but nothing in the part is for an {s.said.upper()} screw "
                       f"(a thread of that size, or a hole of {d:g} to {SCREW_CLEARANCE * d:.1f} mm)")
    return out


# -- counts ------------------------------------------------------------------------------------


def _instances(feature: dict) -> int:
    pattern = feature.get("pattern")
    if not pattern:
        return 1
    kind, value = next(iter(pattern.items()))
    return {"corners": 4, "grid": value.get("columns", 1) * value.get("rows", 1)}.get(kind, value.get("count", 1))


def _feature_counts(node, counts: dict) -> dict:
    """How many of each feature the document makes, patterns counted out."""
    if isinstance(node, dict):
        for feature in node.get("features") or ():
            kind = next(k for k in feature if k in FEATURES)
            counts[kind] = counts.get(kind, 0) + _instances(feature)
        for value in node.values():
            _feature_counts(value, counts)
    elif isinstance(node, list):
        for value in node:
            _feature_counts(value, counts)
    return counts


def _counts(request: _Request, part: dict, doc: list[Number]) -> tuple[set, list[str], list[Missing]]:
    """(the document's counts the request states, contradictions, holes to look for on the part)."""
    made = _feature_counts(part, {})
    named = {}  # count parameters by name: a gear's teeth, a plate's hole_count
    for n in doc:
        if n.param.kind == "count":
            named.setdefault(n.param.name, []).append(int(n.value))
    names = {name for r in request.readings for name in r.counts} - {"hole_count"}
    stated_counts: set = set()
    findings, missing = [], []
    for name in sorted(names):
        stated = sum(request.counts(name))
        stated_counts.update(request.counts(name))
        if name == "teeth":
            if stated not in named.get("teeth", []):
                have = ", ".join(map(str, named.get("teeth", []))) or "no teeth"
                findings.append(f"the request asks for {stated} teeth, the part has {have}")
            continue
        feature = name[: -len("_count")]
        have = made.get(feature, 0)
        if have != stated:
            findings.append(f"the request asks for {stated} {feature}s, the part has {have}")
    holes, exact = request.holes()
    stated_counts.update(request.counts("hole_count"))
    if holes:
        # A tube's or a ring's inside, a gear's bore: the part's own hole; a square hole is a pocket.
        have = made.get("hole", 0) + sum(named.get("hole_count", [])) + sum(1 for n in doc if n.param.role in ("inner_diameter", "bore") and n.value)
        if made.get("pocket") and (have + made["pocket"] == holes if exact else have < holes):
            have += made["pocket"]
        if have != holes if exact else have < holes:
            asked = f"{holes} hole{'s' if holes > 1 else ''}" if exact else f"at least {holes} holes"
            missing.append(Missing(f"the request asks for {asked}, the part has {have}", holes=holes, at_least=not exact))
    return stated_counts, findings, missing


# -- the object, texts, material and quantity ---------------------------------------------------


def _shapes(node: dict) -> set:
    """The shapes a solid node makes ("block", "round", ...); "" when it cannot be told."""
    kind = node_type(node)
    value = node[kind]
    if kind in COMPOSITIONS:
        return set().union(*(_shapes(child) for child in (value if kind == "union" else value[:1])))
    if kind == "extrude":
        return _outline(value["sketch"])
    if kind in ("array", "circular_array"):
        return _shapes(value["solid"])
    return {SOLID_TYPES[kind].shape}


def _outline(sketch: dict) -> set:
    kind = next(k for k in sketch if k in SKETCHES)
    value = sketch[kind]
    if kind in ("union", "difference"):
        return set().union(*(_outline(s) for s in (value if kind == "union" else value[:1])))
    if kind == "offset":
        return _outline(value["sketch"])
    if kind == "regular_polygon":
        return {{3: "triangle", 4: "block", 6: "hex"}.get(value["sides"], "polygon")}
    return {SKETCHES[kind].shape}


def _object(request: _Request, spec: DesignSpec) -> list[str]:
    root = spec.kind
    plain = root not in COMPOSITIONS and not spec.features and root not in ("extrude", "revolve", "array", "circular_array")
    if not any(r.nouns for r in request.readings):
        # An object the reader has no word for ("a phone stand") is more than a bare primitive.
        if plain:
            return [f"the request does not ask for {a_label(root)}: a plain {label(root)} is not the object it describes; "
                    "design that object"]
        return []
    if request.base is None:
        return []
    try:
        kind, _, _ = resolve_kind(request.base)
    except AgentError:
        return []  # several objects, or words the reader cannot settle: nothing to hold the model to
    want = SOLID_TYPES[kind].shape
    made = _shapes(spec.part)
    if not want or made & {"", "polygon"} or made & ({want} | _MADE_OF.get(want, set())):
        return []
    return [f"the request asks for {a_label(kind)}, but the part is {a_label(root)} ({' and '.join(sorted(made))}, not {want})"]


def _opening(request: _Request, part: dict) -> list[str]:
    """ "an open box": the part must be open somewhere (an open template, or a shell open on a face)."""
    if request.base is None or _has_opening(part):
        return []
    try:
        kind, _, _ = resolve_kind(request.base)
    except AgentError:
        kind = None
    if "open" not in request.base.flags and kind not in ("open_box", "cup"):
        return []
    return ["the request asks for an open part, but the part is closed: make it hollow and open on top "
            "(a shell open on the top, or an open box)"]


def _has_opening(node) -> bool:
    if isinstance(node, dict):
        if OPEN_TEMPLATES & node.keys():
            return True
        shell = node.get("shell")
        if isinstance(shell, dict) and shell.get("open"):
            return True
        return any(_has_opening(v) for v in node.values())
    return isinstance(node, list) and any(_has_opening(v) for v in node)


def _texts(request: _Request, part: dict, before: Optional[DesignSpec]) -> list[str]:
    """Letters on the part are the request's (or were on the part before), never the model's own."""
    allowed = {t.lower() for t in request.texts}
    if before is not None:
        allowed |= {text.lower() for _, key, text in _strings(before.part) if key == "text"}
    out = []
    for path, key, text in _strings(part):
        said = " ".join(text.lower().split())
        if key == "text" and said not in allowed and said not in request.words:
            out.append(f"{path} writes '{text}' on the part, which the request does not ask for")
    return out


def _order(request: _Request, spec: DesignSpec, before: Optional[DesignSpec]) -> tuple[DesignSpec, list[str]]:
    """The material and quantity: the request's, else (for a change) the part's before, else none and
    1. Neither is a design choice: what the request says is taken, whatever the model answered."""
    notes = []
    materials = list(dict.fromkeys(m for r in request.readings for m in r.materials))
    material = materials[0] if len(materials) == 1 else (before.material if before is not None else None)
    quantities = {r.quantity for r in request.readings if r.quantity}
    quantity = quantities.pop() if len(quantities) == 1 else (before.quantity if before is not None else 1)
    if spec.quantity != quantity:
        notes.append(f"the LLM answered {spec.quantity} copies; {quantity} {'is' if quantity == 1 else 'are'} made, as the request says")
    return replace(spec, material=material, quantity=quantity), notes


# -- what the model chose ------------------------------------------------------------------


def _known_values(request: _Request, before: Optional[DesignSpec]) -> list[float]:
    """Values that are not the model's choice: stated sizes in every form they may take, sizes
    two stated sizes make (sums, differences, a wall either side), a gear's diameter from its
    module, and, for a change, every number the part had before."""
    stated = [s.measure.value for s in request.sizes]
    values = [s.measure.value * f.factor for s in request.sizes for f in fits(s.role)]
    values += [a + b for a in stated for b in stated] + [abs(a - b) for a in stated for b in stated]
    walls = [s.measure.value for s in request.sizes if s.role in ("wall", "thick")]
    values += [v + sign * 2 * w for v in stated for w in walls for sign in (1, -1)]
    teeth = [r.counts["teeth"] for r in request.readings if "teeth" in r.counts]
    values += [s.measure.value * (t + 2) for s in request.sizes if s.role == "module" for t in teeth]
    if before is not None:
        values += [abs(n.value) for n in numbers(before.part)]
    return [v for v in values if v > 0]


def _chosen(request: _Request, spec: DesignSpec, doc: list[Number], assumed: Sequence, counts: set,
            before: Optional[DesignSpec]) -> tuple[tuple, list[str]]:
    """The spec's assumptions plus every size and count of the document that nobody stated."""
    assumptions = list(spec.assumptions)
    if before is not None:  # what was assumed before and is still there stays assumed
        kept = {assumption_field(n.path): n.value for n in doc}
        assumptions += [a for a in before.assumptions if a.field == "material" or kept.get(a.field) == a.value]
    fields = {a.field for a in assumptions}
    known = _known_values(request, before)
    words = request.words.split()
    counts = counts | {c for w, c in _SHAPE_COUNTS.items() if w in words} | {c for r in request.readings for c in (r.grid or ())}
    used: set = set()
    for n in doc:
        field = assumption_field(n.path)
        if n.places or n.param.role in ("angle",) + tuple(_SETTINGS) or not n.value or field in fields:
            continue
        if n.param.kind == "count":
            if int(n.value) in counts:
                continue
        elif n.param.kind not in _LENGTHS or any(_close(n.value, k) for k in known):
            continue
        said = next((a for a in assumed if _close(a.value, n.value)), None)
        if said is not None:
            used.add(said)
        assumptions.append(Assumption(field, n.value, CHOSEN + (f" ({said.what})" if said else "")))
        fields.add(field)
    unused = [f"{a.what} {a.value:g}" for a in assumed if a not in used]
    notes = [f"the LLM also assumed: {', '.join(unused)}"] if unused else []
    return tuple(assumptions), notes
