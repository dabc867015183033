"""Grounding an LLM's spec in the words of the request.

An LLM answers with numbers; a small one often answers with wrong numbers (a radius as a
diameter, 2 for "2 cm"). ``ground_spec`` reads the request with the offline reader and holds the
spec to it:

1. The kind must be of the same family as the one the request names (an LLM may answer "box" for
   "a 20 mm cube", not "sphere").
2. A size the request attaches to a word ("30 mm diameter", "radius 25 mm", "2 mm wall") is placed
   into the spec's kind as the offline parser would; the spec's parameter must equal it.
3. Every length the request states (but a bare screw size, "M8") must be used by the spec,
   directly or through its word:
   a radius doubled (diameter = 2 x radius), a hemisphere's height doubled, across corners or a
   hexagon side to across flats, a wall between two diameters (outer = inner + 2 x wall), a gear
   module (outer diameter = module x (teeth + 2)).
4. A spec length that is neither stated nor derived that way is kept, and listed as an assumption
   "not stated in the request; chosen by the LLM". So are unstated counts.
5. Stated counts (teeth, holes) and quantity must match (an unstated quantity is 1); the material is the one the request
   names, else none (the pipeline decides it; an LLM's choice of material is ignored).

Values match within 0.5 %. A mismatch raises AgentError("understanding", reason="invalid") naming
the parameter and both values; the caller then falls back to the offline parser and says so.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ..model.document import numbers
from ..model.errors import AgentError
from ..model.spec import KINDS, Assumption, DesignSpec, assumption_field, validate_spec
from .objects import label, placed_values, resolve_kind
from .reading import STAGE, Reading, Sized, analyse, clean_request
from .vocabulary import ROLE_TARGETS

REL_TOL = 0.005
CHOSEN = "not stated in the request; chosen by the LLM"
_WALL_ROLES = ("wall", "thick")


def ground_spec(prompt: str, spec: DesignSpec) -> DesignSpec:
    """Check an LLM's spec against the request; returns it validated, with its assumptions."""
    reading = analyse(clean_request(prompt))
    named = spec.kind in KINDS
    if named:
        _check_kind(reading, spec)
    assumptions = list(spec.assumptions)
    assumed = {a.field for a in assumptions}
    bound = _bound_params(spec.kind, reading) if named else {}
    derived = _derived_values(reading)
    for n in numbers(spec.part):  # the features' and pieces' numbers: stated, or chosen
        field = assumption_field(n.path)
        inside = named and "." not in field
        if not inside and field not in assumed and n.param.kind != "angle" and not any(_close(n.value, d) for d in derived):
            assumptions.append(Assumption(field, n.value, CHOSEN))
    for p in (KINDS[spec.kind].params if named else ()):
        value = spec.params.get(p.name)
        if value is None:
            continue
        if p.kind == "count":
            stated: int | None = reading.all_counts().get(p.name)
            if stated is not None and stated != value:
                _contradiction(spec, p.description, f"{stated}", f"{value}")
            if stated is None and p.name not in assumed:
                assumptions.append(Assumption(p.name, value, CHOSEN))
            continue
        if p.name in bound:
            if not _close(value, bound[p.name][0]):
                _contradiction(spec, p.description, f"{bound[p.name][0]:g} mm ('{bound[p.name][1]}')", f"{value:g} mm")
            continue
        if p.name not in assumed and not any(_close(value, d) for d in derived):
            assumptions.append(Assumption(p.name, value, CHOSEN))
    _check_all_used(reading, spec)
    _check_order(reading, spec)
    if reading.quantity is None:
        spec = replace(spec, quantity=1)
    # The material is never the LLM's to choose: the one the request names, else none yet.
    spec = replace(spec, material=reading.materials[0] if len(reading.materials) == 1 else None)
    return validate_spec(replace(spec, assumptions=tuple(assumptions)))


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-9)


def _contradiction(spec: DesignSpec, what: str, stated: str, answered: str) -> None:
    raise AgentError(
        STAGE, f"the {label(spec.kind)} {what} contradicts the request: the request says {stated}, the LLM answered {answered}"
    )


def _check_kind(reading: Reading, spec: DesignSpec) -> None:
    try:
        kind, _, _ = resolve_kind(reading)
    except AgentError:
        return  # the request names no single kind the offline reader knows: nothing to hold the LLM to
    if KINDS[kind].shape != KINDS[spec.kind].shape:
        raise AgentError(STAGE, f"the request asks for a {label(kind)}, but the LLM answered a {label(spec.kind)}")


def _bound_params(kind: str, reading: Reading) -> dict[str, tuple[float, str]]:
    """Parameters the request states with a word, placed as the offline parser would place them."""
    noun = reading.nouns[0].noun if reading.nouns else ""
    try:
        values, _ = placed_values(kind, noun, reading, fill=False)
    except AgentError:
        return {}  # the words do not fit this kind; rule 3 still holds every size to the spec
    return values


def _factors(role: str | None) -> set:
    """What a size said with this word can become in any kind: 1, and 2 for a radius, ..."""
    found = {1.0}
    for table in ROLE_TARGETS.values():
        found.update(factor for _, factor in table.get(role, ()))
    return found


def _lengths(reading: Reading) -> list[Sized]:
    """Stated lengths; "M8" alone names a screw, and the spec may state its hole more precisely."""
    return [s for s in reading.sizes if s.measure.unit != "deg" and not (s.measure.unit == "M" and s.role is None)]


def _derived_values(reading: Reading) -> list[float]:
    sizes = reading.sizes
    values = [s.measure.value * f for s in sizes for f in _factors(s.role)]
    walls = [s.measure.value for s in sizes if s.role in _WALL_ROLES]
    values += [s.measure.value + sign * 2 * w for s in _lengths(reading) for w in walls for sign in (1, -1)]
    teeth = reading.counts.get("teeth")
    if teeth:
        values += [s.measure.value * (teeth + 2) for s in sizes if s.role == "module"]
    return [v for v in values if v > 0]


def _check_all_used(reading: Reading, spec: DesignSpec) -> None:
    lengths = [n.value for n in numbers(spec.part) if n.param.kind in ("length", "length0", "number")]
    for s in _lengths(reading):
        if not _used(s, lengths, reading):
            have = ", ".join(f"{assumption_field(n.path)} {n.value:g}" for n in numbers(spec.part) if n.param.kind != "angle")
            stated = f"{s.measure.value:g} mm ('{s.said}')"
            what = f"the LLM's {label(spec.kind)}"
            raise AgentError(STAGE, f"the request states {stated}, but no size of {what} matches it ({have})")


def _used(s: Sized, lengths: list[float], reading: Reading) -> bool:
    value = s.measure.value
    if s.role in _WALL_ROLES and _any_pair(lengths, lambda a, b: _close(a - b, 2 * value)):
        return True
    if _any_pair(lengths, lambda a, b: _close(a + b, value)):  # "60 mm long in all": a shaft and its flange
        return True
    if s.role == "module" and reading.counts.get("teeth"):
        return any(_close(v, value * (reading.counts["teeth"] + 2)) for v in lengths)
    return any(_close(v, value * f) for v in lengths for f in _factors(s.role))


def _any_pair(values: list[float], test) -> bool:
    return any(test(a, b) for i, a in enumerate(values) for j, b in enumerate(values) if i != j)


def _check_order(reading: Reading, spec: DesignSpec) -> None:
    """A stated quantity must match. An unstated one is 1 (see ground_spec): a model that "chose"
    four copies would print four parts nobody asked for."""
    if reading.quantity is not None and reading.quantity != spec.quantity:
        _contradiction(spec, "quantity", str(reading.quantity), str(spec.quantity))
