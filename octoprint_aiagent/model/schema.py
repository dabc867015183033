"""The part document as a JSON schema, written from the same tables the validator reads.

A language model that answers in part documents is held to this schema by its server (a grammar
built from it), so that it can only write node types and parameter names that exist, with values
of the right JSON type. It is recursive, as the document is: a ``solid`` holds ``features``, a
feature a ``sketch`` or a ``solid``, a composition a list of solids; each family is one entry of
``$defs``. A new node type in a table is in the schema at once.

What the schema cannot say (sizes within bounds, exactly one of ``diameter``/``screw``/``thread``,
a hole smaller than its face, the node and depth limits) ``document.check_part`` checks: servers
do not enforce numeric bounds, and some answer without any schema at all.
"""

from __future__ import annotations

from .document import LIST_TYPES, NAME, SOLID_TYPES
from .features import FEATURE_PLACEMENT, FEATURES, PLACED_BY
from .nodes import NodeType
from .params import FACES, MAX_TEXT_CHARS, Param
from .patterns import PATTERNS
from .sketches import SKETCH_PLACEMENT, SKETCHES
from .solids import SOLID_PLACEMENT

MAX_THREAD_CHARS = 12  # "M10x1.25"
_NUMBER = {"type": "number"}
_FAMILIES = {"sketch": "sketch", "sketches": "sketch", "solid": "solid", "solids": "solid", "pattern": "pattern"}


def ref(family: str) -> dict:
    return {"$ref": f"#/$defs/{family}"}


def _vector(n: int) -> dict:
    return {"type": "array", "items": _NUMBER, "minItems": n, "maxItems": n}


def value_schema(p: Param) -> dict:
    """The JSON type of one parameter's value (bounds are the validator's)."""
    k = p.kind
    if k in ("length", "length0", "number", "angle"):
        return dict(_NUMBER)
    if k == "count":
        return {"type": "integer"}
    if k == "flag":
        return {"type": "boolean"}
    if k == "choice":
        return {"type": "string", "enum": list(p.choices)}
    if k == "text":
        return {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS}
    if k == "thread":
        return {"type": "string", "minLength": 2, "maxLength": MAX_THREAD_CHARS}
    if k in ("vector2", "vector3", "size3"):
        return _vector(2 if k == "vector2" else 3)
    if k == "points":
        return {"type": "array", "items": _vector(2), "minItems": 3}
    if k == "faces":
        return {"type": "array", "items": {"type": "string", "enum": list(FACES)}, "maxItems": len(FACES)}
    if k == "distances":
        return {"type": "object", "properties": {f: dict(_NUMBER) for f in FACES}, "additionalProperties": False}
    if k in ("sketches", "solids"):
        return {"type": "array", "items": ref(_FAMILIES[k]), "minItems": 1}
    return ref(_FAMILIES[k])


def _params(t: NodeType) -> dict:
    return {
        "type": "object",
        "properties": {p.name: value_schema(p) for p in t.params},
        "required": [p.name for p in t.params if p.required],
        "additionalProperties": False,
    }


def _node(name: str, value: dict, extra: dict) -> dict:
    """One branch: an object with exactly the type key ``name`` and the keys it may carry."""
    return {"type": "object", "properties": {name: value, **extra}, "required": [name], "additionalProperties": False}


def _family(table: dict, extra: dict, family: str) -> dict:
    branches = []
    for name, t in table.items():
        value = {"type": "array", "items": ref(family), "minItems": 1} if family in ("solid", "sketch") and name in LIST_TYPES else _params(t)
        branches.append(_node(name, value, extra(name) if callable(extra) else extra))
    return {"anyOf": branches}


def _feature_keys(name: str) -> dict:
    allowed = PLACED_BY.get(name, tuple(FEATURE_PLACEMENT))
    return {k: value_schema(FEATURE_PLACEMENT[k]) for k in allowed} | {"name": value_schema(NAME)}


def definitions() -> dict:
    """``$defs`` of the document: solid, sketch, feature, pattern."""
    solid_keys = {k: value_schema(p) for k, p in SOLID_PLACEMENT.items()}
    solid_keys["features"] = {"type": "array", "items": ref("feature")}
    solid_keys["name"] = value_schema(NAME)
    return {
        "solid": _family(SOLID_TYPES, solid_keys, "solid"),
        "sketch": _family(SKETCHES, {k: value_schema(p) for k, p in SKETCH_PLACEMENT.items()}, "sketch"),
        "feature": _family(FEATURES, _feature_keys, "feature"),
        "pattern": _family(PATTERNS, {}, "pattern"),
    }


def part_schema() -> dict:
    """A whole document: one solid node, with the definitions it refers to."""
    return {**ref("solid"), "$defs": definitions()}
