"""Refining a spec offline: "make it 10 mm taller", "2 cm wider", "double the height",
"make the diameter 40mm", "thicker walls: 3mm", "use PETG", "make 3 of them".

Only what the instruction names changes; other sizes and their assumptions stay. Relative changes
(taller, double, 20 % bigger, scale by 1.5) are read first; what is left is read like a request
("diameter 40 mm", "12 teeth", "in PETG") and sets values. A size word means what it means in the
request parser (``vocabulary.ROLE_TARGETS``): a cylinder's "wider" is its diameter, a box's its
width; a cube made taller becomes a box.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

from ..model.errors import AgentError
from ..model.spec import KINDS, DesignSpec, validate_spec
from .objects import a_label, label
from .reading import STAGE, Reading, clean_request, items_of, read_items
from .units import Measure, Number, Token
from .vocabulary import ORDER, Phrase, targets_for

EXAMPLES = "e.g. 'make it 10 mm taller', 'double the height', 'make the diameter 40 mm', 'use PETG', 'make 3 of them'"
_NOT_SCALED = ("pressure_angle", "clearance")  # an angle, and a fit gap the printer needs whatever the size
_CUBE_TO_BOX = ("height", "thick", "deep", "long", "wide", "short")


@dataclass
class _Draft:
    kind: str
    params: dict[str, float]
    changes: list[str] = field(default_factory=list)
    stated: set[str] = field(default_factory=set)  # set by the user now: their assumptions go
    scaled: dict[str, float] = field(default_factory=dict)  # scaled as a whole: assumptions follow
    features: list = field(default_factory=list)  # the part's features, copied: "6 holes" changes them


def refine_spec(spec: DesignSpec, instruction: str) -> DesignSpec:
    """Apply one instruction to a spec. Raises AgentError(stage "understanding") if not understood."""
    text = clean_request(instruction, "instruction")
    if spec.kind not in KINDS:
        what = {"extrude": "an outline through points", "union": "a part of several pieces",
                "difference": "a part of several pieces", "intersection": "a part of several pieces"}.get(spec.kind, a_label(spec.kind))
        raise AgentError(STAGE, f"{what} cannot be changed in words offline",
                         hint="edit its sizes where the tab shows what it understood, or describe the new part")
    spec = validate_spec(spec)
    draft = _Draft(spec.kind, dict(spec.params), features=copy.deepcopy(spec.features))
    items: list[object | None] = list(items_of(text))
    _relative_changes(items, draft)
    reading = read_items(items)
    _absolute_changes(reading, draft)
    material, quantity = _order_changes(reading, spec, draft)
    if not draft.changes:
        raise AgentError(STAGE, f"I did not understand the change '{text}'", hint=EXAMPLES)
    assumptions = tuple(
        replace(a, value=draft.params[a.field]) if a.field in draft.scaled else a
        for a in spec.assumptions
        if a.field not in draft.stated
    )
    changed = draft.stated | set(draft.scaled) | ({"size"} if draft.kind != spec.kind else set())
    refined = replace(
        spec,
        part={draft.kind: draft.params, **{k: v for k, v in spec.part.items() if k not in (spec.kind, "features")},
              **({"features": draft.features} if draft.features else {})},
        roles=tuple(r for r in spec.roles if r.path not in changed),
        material=material,
        quantity=quantity,
        assumptions=assumptions,
        backend="offline",
        prompt=f"{spec.prompt} / {text}" if spec.prompt else text,
        notes=tuple(spec.notes) + (f"refined ('{text}'): {'; '.join(draft.changes)}",),
    )
    return validate_spec(refined)


def _is(item, category: str) -> bool:
    return isinstance(item, Phrase) and item.category == category


def _step(items: list, i: int, direction: int) -> int | None:
    """The nearest index from i in a direction whose item is neither used nor a filler word."""
    j = i + direction
    while 0 <= j < len(items) and (
        items[j] is None or _is(items[j], "filler") or (isinstance(items[j], Token) and items[j].text == "as")
    ):
        j += direction
    return j if 0 <= j < len(items) else None


def _at(items: list, i: int | None):
    return items[i] if i is not None else None


def _role_at(items: list, i: int | None) -> str | None:
    item = _at(items, i)
    return item.value.role if _is(item, "role") else None


def _relative_changes(items: list, draft: _Draft) -> None:
    for i, item in enumerate(items):
        if item is None:
            continue
        if _is(item, "comparative"):
            _comparative(items, i, draft)
        elif _is(item, "multiplier") or (isinstance(item, Token) and item.text == "half"):
            _multiplier(items, i, draft)
        elif isinstance(item, Token) and item.text in ("scale", "resize"):
            _scale_instruction(items, i, draft)


def _comparative(items: list, c: int, draft: _Draft) -> None:
    """ "10 mm taller", "taller by 1 cm", "20% wider", "the walls 1 mm thicker", "thicker walls by 1mm"."""
    role, sign = items[c].value
    word = items[c].text
    used = [c]
    after = _step(items, c, 1)
    if _role_at(items, after):
        role, used = _role_at(items, after), used + [after]
        after = _step(items, after, 1)
    amount = _step(items, c, -1)
    if isinstance(_at(items, amount), Measure):
        used.append(amount)
        before = _step(items, amount, -1)
        if _role_at(items, before) and len(used) == 2:
            role, used = _role_at(items, before), used + [before]
    elif _is(_at(items, after), "times") and isinstance(_at(items, _step(items, after, 1)), Measure):
        amount = _step(items, after, 1)
        used += [after, amount]
    elif len(used) == 2 and isinstance(_at(items, after), Measure):
        items[c] = None  # "thicker walls: 3 mm" sets the wall; read with the other values
        return
    else:
        raise AgentError(STAGE, f"how much {word}? say e.g. '10 mm {word}'", hint=EXAMPLES)
    measure = items[amount]
    for j in used:
        items[j] = None
    if measure.unit == "%":
        _scale_role(draft, role, 1 + sign * measure.value / 100, f"{measure.text} {word}")
    elif measure.is_length:
        _add_to_role(draft, role, sign * measure.value, f"{measure.text} {word}")
    else:
        raise AgentError(STAGE, f"'{measure.text} {word}' is not a length", hint=EXAMPLES)


def _multiplier(items: list, m: int, draft: _Draft) -> None:
    """ "double the height", "twice as tall", "half the wall", "double it", "triple the teeth"."""
    factor = items[m].value if isinstance(items[m], Phrase) else 0.5  # "half the height"
    word = items[m].text
    items[m] = None
    nxt = _step(items, m, 1)
    target = _at(items, nxt)
    if _is(target, "role") and target.value.role is None and target.value.count:
        name = target.value.count
        if name not in draft.params:
            raise AgentError(STAGE, f"{a_label(draft.kind)} has no {target.text} to change")
        _set(draft, name, int(round(draft.params[name] * factor)), f"{word} {target.text}")
        items[nxt] = None
    elif _role_at(items, nxt):
        _scale_role(draft, target.value.role, factor, f"{word} {target.text}")
        items[nxt] = None
    else:
        _scale_all(draft, factor, f"{word} the size")


def _scale_instruction(items: list, s: int, draft: _Draft) -> None:
    """ "scale it by 1.5", "scale to 50%", "resize by 2"."""
    j = _step(items, s, 1)
    while (isinstance(_at(items, j), Token) and items[j].text in ("up", "down")) or _is(_at(items, j), "times"):
        j = _step(items, j, 1)
    amount = _at(items, j)
    if isinstance(amount, Measure) and amount.unit == "%":
        factor = amount.value / 100
    elif isinstance(amount, Number) and not amount.is_word:
        factor = amount.value
    else:
        raise AgentError(STAGE, "scale by how much? say e.g. 'scale by 1.5' or 'scale to 80%'", hint=EXAMPLES)
    items[s] = items[j] = None
    _scale_all(draft, factor, f"scale by {factor:g}")


def _resolve(draft: _Draft, role: str, said: str):
    """The parameter (and factor) a size word names in this kind; a cube made taller becomes a box."""
    if role == "short":
        role = "long" if "length" in draft.params else "height"
    if draft.kind == "cube" and role in _CUBE_TO_BOX:
        size = draft.params.pop("size")
        draft.params.update(length=size, width=size, height=size)
        draft.kind = "box"
        draft.changes.append("the cube becomes a box")
    if role == "size" and len(ORDER[draft.kind]) == 1:
        return ORDER[draft.kind][0], 1.0
    found = targets_for(draft.kind, "", role)
    if not found:
        raise AgentError(STAGE, f"I do not know which size of the {label(draft.kind)} '{said}' changes", hint=EXAMPLES)
    return found[0]


def _set(draft: _Draft, param: str, value: float, said: str) -> None:
    old = draft.params[param]
    draft.params[param] = round(value, 6) if isinstance(value, float) else value
    draft.stated.add(param)
    unit = {"count": "", "angle": "°"}.get(KINDS[draft.kind].param(param).kind, " mm")
    draft.changes.append(f"{param} {old:g} -> {draft.params[param]:g}{unit} ({said})")


def _set_wall(draft: _Draft, wall: float, said: str) -> None:
    """A tube has no wall parameter: its outer diameter stays and the hole changes."""
    _set(draft, "inner_diameter", draft.params["outer_diameter"] - 2 * wall, said)


def _tube_wall(draft: _Draft) -> float:
    return (draft.params["outer_diameter"] - draft.params["inner_diameter"]) / 2


def _add_to_role(draft: _Draft, role: str, delta: float, said: str) -> None:
    if role == "size" and len(ORDER[draft.kind]) > 1:
        raise AgentError(STAGE, f"'{said}': say which size of the {label(draft.kind)} to change, e.g. '10 mm taller'")
    param, factor = _resolve(draft, role, said)
    if param == "_wall":
        _set_wall(draft, _tube_wall(draft) + delta, said)
    else:
        _set(draft, param, draft.params[param] + delta * factor, said)


def _scale_role(draft: _Draft, role: str, factor: float, said: str) -> None:
    if role == "size":
        _scale_all(draft, factor, said)
        return
    param, _ = _resolve(draft, role, said)
    if param == "_wall":
        _set_wall(draft, _tube_wall(draft) * factor, said)
    else:
        _set(draft, param, draft.params[param] * factor, said)


def _scale_all(draft: _Draft, factor: float, said: str) -> None:
    if factor <= 0:
        raise AgentError(STAGE, f"cannot scale by {factor:g}")
    for p in KINDS[draft.kind].params:
        if p.kind in ("length", "length0") and p.name not in _NOT_SCALED:
            draft.params[p.name] = round(draft.params[p.name] * factor, 6)
            draft.scaled[p.name] = factor
    draft.changes.append(f"every size x {factor:g} ({said})")


def _absolute_changes(reading: Reading, draft: _Draft) -> None:
    """What is left of the instruction states values: "diameter 40 mm", "walls 3mm", "20 teeth"."""
    if reading.settings:
        raise AgentError(
            STAGE, f"'{reading.settings[0]}' is a print setting, not a size of the part", hint="set it in the slicing options"
        )
    other = [n.kind for n in reading.nouns if n.kind != draft.kind and not (n.kind == "cube" and draft.kind == "box")]
    if other or reading.flags:
        what = label(other[0]) if other else ", ".join(sorted(reading.flags))
        raise AgentError(STAGE, f"changing the shape ({what}) is not a refinement", hint="describe the new part instead")
    for s in reading.sizes:
        if s.role is None:
            if len(ORDER[draft.kind]) != 1:
                raise AgentError(STAGE, f"say which size '{s.said}' is for, e.g. 'height {s.said}'", hint=EXAMPLES)
            _set(draft, ORDER[draft.kind][0], s.measure.value, s.said)
            continue
        if (s.measure.unit == "deg") != (s.role == "pressure_angle") and s.measure.unit != "":
            raise AgentError(STAGE, f"'{s.said}' does not fit {a_label(draft.kind)}")
        param, factor = _resolve(draft, s.role, s.said)
        if param == "_wall":
            _set_wall(draft, s.measure.value, s.said)
        elif param.startswith("_"):
            raise AgentError(STAGE, f"'{s.said}' cannot be changed offline; give the {label(draft.kind)}'s sizes instead")
        else:
            _set(draft, param, s.measure.value * factor, s.said)
    for name, count in reading.counts.items():
        if name not in draft.params and _count_features(draft, name, count):
            continue
        if name not in draft.params:
            raise AgentError(STAGE, f"{a_label(draft.kind)} has no {name.replace('_', ' ')}")
        if count != draft.params[name]:
            _set(draft, name, count, f"{count} {name.replace('_', ' ')}")


def _count_features(draft: _Draft, name: str, count: int) -> bool:
    """ "6 holes": the one hole feature of the part, repeated 6 times its way (or spread evenly)."""
    kind = name[: -len("_count")]
    found = [f for f in draft.features if kind in f]
    if len(found) != 1:
        return False
    feature = found[0]
    pattern = feature.get("pattern") or {}
    shape = next(iter(pattern), None)
    if shape in ("spread", "row", "circle"):
        old = pattern[shape]["count"]
        pattern[shape]["count"] = count
    else:
        old = {"grid": (pattern.get("grid") or {}).get("columns", 1) * (pattern.get("grid") or {}).get("rows", 1), "corners": 4}.get(shape, 1)
        feature["pattern"] = {"spread": {"count": count}}
    draft.changes.append(f"{kind}s {old} -> {count}")
    return True


def _order_changes(reading: Reading, spec: DesignSpec, draft: _Draft):
    """Material and quantity: "use PETG", "make 3 of them"."""
    if len(reading.materials) > 1:
        raise AgentError(STAGE, f"the instruction names several materials ({', '.join(reading.materials)}); choose one")
    material = reading.materials[0] if reading.materials else spec.material
    quantity = reading.quantity if reading.quantity is not None else spec.quantity
    if material != spec.material:
        draft.changes.append(f"material {spec.material} -> {material}")
    if quantity != spec.quantity:
        draft.changes.append(f"quantity {spec.quantity} -> {quantity}")
        draft.stated.add("quantity")
    return material, quantity
