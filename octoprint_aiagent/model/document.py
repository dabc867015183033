"""The part document: one JSON tree of sketches, solids, features, patterns and templates that
the offline reader, the LLM and API users write, and the builder (``cad``) measures.

A node is an object with exactly one type key, whose value holds the type's parameters:
``{"cylinder": {"diameter": 30, "height": 10}, "features": [{"hole": {"diameter": 6}}]}``.
``check_part`` validates a document strictly against the tables (errors name the node's path,
``part.features[1].hole.diameter``), fills the defaults it may (each one reported, so it becomes a
listed assumption) and returns the normalised document. It is data, never code: nothing in it is
evaluated, and its size is bounded (nodes, depth, copies, coordinates) before anything is built.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from .features import FEATURE_PLACEMENT, FEATURES, PLACED_BY
from .nodes import NodeType
from .params import NODE_KINDS, Param, check_value, describe_default, invalid
from .patterns import MAX_INSTANCES, PATTERNS
from .sketches import SKETCH_PLACEMENT, SKETCHES
from .solids import COMPOSITIONS, SOLID_PLACEMENT, SOLIDS
from .templates import TEMPLATES
from .values import is_number

MAX_NODES = 500
MAX_DEPTH = 32
HINT = "see the part language in README.md: each node is one type key with its parameters"
LIST_TYPES = COMPOSITIONS  # nodes whose value is a list of nodes: {"union": [a, b]}
NAME = Param("name", "text", "name", "a short label for the tab")

SOLID_TYPES: dict[str, NodeType] = {**SOLIDS, **TEMPLATES}


@dataclass(frozen=True)
class Default:
    """A value the document left out, filled from the definitions: an assumption to show."""

    path: str
    value: Any
    reason: str


@dataclass(frozen=True)
class Checked:
    part: dict  # normalised: numbers as floats, choices in lower case, defaults filled in
    defaults: tuple[Default, ...]


def node_type(node: dict) -> str:
    """The type key of a node already checked."""
    return next(k for k in node if k in SOLID_TYPES or k in SKETCHES or k in FEATURES or k in PATTERNS)


def check_part(doc: Any, root: str = "part") -> Checked:
    """Validate a solid document. Raises AgentError (stage "designing", reason "invalid")."""
    walker = _Walker()
    part = walker.solid(doc, root, 1)
    return Checked(part, tuple(walker.defaults))


class _Walker:
    def __init__(self):
        self.nodes = 0
        self.instances = 0
        self.defaults: list[Default] = []

    def _enter(self, path: str, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise invalid(f"the document has more than {MAX_NODES} nodes", hint="describe the part with fewer pieces")
        if depth > MAX_DEPTH:
            raise invalid(f"{path} nests deeper than {MAX_DEPTH} levels", hint=HINT)

    def _typed(self, node: Any, path: str, types: dict, extra: dict, what: str) -> tuple[str, Any, dict]:
        """(type, its value, the other keys checked) of a node of the table ``types``."""
        if not isinstance(node, dict):
            raise invalid(f"{path} must be an object naming one {what}", hint=HINT)
        found = [k for k in node if k in types]
        if len(found) != 1:
            named = "no" if not found else f"{len(found)} ({', '.join(found)})"
            raise invalid(f"{path} names {named} {what} types; give exactly one of {', '.join(types)}", hint=HINT)
        kind = found[0]
        others = {}
        for key, value in node.items():
            if key == kind:
                continue
            if key not in extra:
                allowed = ", ".join([kind] + list(extra))
                raise invalid(f"{path} has an unknown key {key!r} (a {what} node takes: {allowed})", hint=HINT)
            others[key] = value
        return kind, node[kind], others

    def _placement(self, others: dict, extra: dict, path: str, depth: int) -> dict:
        out = {}
        for key, value in others.items():
            p = extra[key]
            if key == "features":
                out[key] = self._features(value, f"{path}.features", depth)
            elif p.kind == "pattern":
                out[key] = self.pattern(value, f"{path}.{key}", depth + 1)
            else:
                out[key] = check_value(p, value, f"{path}.{key}")
        return out

    def _params(self, ntype: NodeType, value: Any, path: str, depth: int) -> dict:
        if not isinstance(value, dict):
            raise invalid(f"{path} must be an object of {ntype.name} parameters ({', '.join(ntype.param_names) or 'none'})", hint=HINT)
        unknown = [k for k in value if k not in ntype.param_names]
        if unknown:
            raise invalid(f"{path} has no parameter {unknown[0]!r} (a {ntype.name} takes: {', '.join(ntype.param_names)})", hint=HINT)
        given = {k for k, v in value.items() if v is not None}
        for group in ntype.one_of:
            chosen = [k for k in group if k in given]
            if len(chosen) != 1:
                how = "none" if not chosen else " and ".join(chosen)
                raise invalid(f"{path} needs exactly one of {', '.join(group)} (it has {how})", hint=HINT)
        out: dict = {}
        for p in ntype.params:
            where = f"{path}.{p.name}"
            if p.name not in given:
                if p.required:
                    raise invalid(f"{where} is required: the {ntype.name}'s {p.description}", hint=HINT)
                if p.default is not None and not any(p.name in g for g in ntype.one_of):
                    out[p.name] = list(p.default) if isinstance(p.default, list) else p.default
                    # A flag left out is simply off; any other default shapes the part, so it is
                    # reported, to be shown as an assumption.
                    if p.kind != "flag":
                        self.defaults.append(Default(where, describe_default(p), f"default: {p.description}"))
                continue
            out[p.name] = self._value(p, value[p.name], where, depth)
        if ntype.check:
            problem = ntype.check(out)
            if problem:
                raise invalid(f"{path}: {problem}")
        return out

    def _value(self, p: Param, value: Any, where: str, depth: int) -> Any:
        if p.kind not in NODE_KINDS:
            return check_value(p, value, where)
        if p.kind in ("sketches", "solids"):
            if not isinstance(value, list) or not value:
                raise invalid(f"{where} must be a non-empty list", hint=HINT)
            child = self.sketch if p.kind == "sketches" else self.solid
            return [child(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
        return {"sketch": self.sketch, "solid": self.solid, "pattern": self.pattern}[p.kind](value, where, depth + 1)

    def _list(self, kind: str, value: Any, path: str, depth: int, child) -> list:
        if not isinstance(value, list) or not value:
            raise invalid(f"{path}.{kind} must be a non-empty list of nodes", hint=HINT)
        return [child(v, f"{path}.{kind}[{i}]", depth + 1) for i, v in enumerate(value)]

    # -- the node families -------------------------------------------------------------------

    def solid(self, node: Any, path: str, depth: int) -> dict:
        self._enter(path, depth)
        extra = dict(SOLID_PLACEMENT, features=None, name=NAME)
        kind, value, others = self._typed(node, path, SOLID_TYPES, extra, "solid")
        if kind in LIST_TYPES:
            checked: Any = self._list(kind, value, path, depth, self.solid)
        else:
            checked = self._params(SOLID_TYPES[kind], value, f"{path}.{kind}", depth)
            if kind in ("array", "circular_array"):
                self._copies(checked["count"], f"{path}.{kind}")
            expand = SOLID_TYPES[kind].expand
            if expand is not None:  # a template: its expansion must be a valid document too
                _Walker().solid(expand(checked), f"{path}.{kind}(expanded)", depth)
        return {kind: checked, **self._placement(others, extra, path, depth)}

    def sketch(self, node: Any, path: str, depth: int) -> dict:
        self._enter(path, depth)
        kind, value, others = self._typed(node, path, SKETCHES, SKETCH_PLACEMENT, "sketch")
        if kind in LIST_TYPES:
            checked: Any = self._list(kind, value, path, depth, self.sketch)
        else:
            checked = self._params(SKETCHES[kind], value, f"{path}.{kind}", depth)
        return {kind: checked, **self._placement(others, SKETCH_PLACEMENT, path, depth)}

    def _features(self, value: Any, path: str, depth: int) -> list:
        if not isinstance(value, list):
            raise invalid(f"{path} must be a list of features", hint=HINT)
        return [self.feature(f, f"{path}[{i}]", depth + 1) for i, f in enumerate(value)]

    def feature(self, node: Any, path: str, depth: int) -> dict:
        self._enter(path, depth)
        kind, value, others = self._typed(node, path, FEATURES, dict(FEATURE_PLACEMENT, name=NAME), "feature")
        allowed = PLACED_BY.get(kind, tuple(FEATURE_PLACEMENT))
        for key in others:
            if key != "name" and key not in allowed:
                where = f"only {', '.join(allowed)}" if allowed else "no placement: it acts on the whole solid"
                raise invalid(f"{path} has {key!r}, but a {kind} takes {where}", hint=HINT)
        checked = self._params(FEATURES[kind], value, f"{path}.{kind}", depth)
        return {kind: checked, **self._placement(others, dict(FEATURE_PLACEMENT, name=NAME), path, depth)}

    def pattern(self, node: Any, path: str, depth: int) -> dict:
        self._enter(path, depth)
        kind, value, _ = self._typed(node, path, PATTERNS, {}, "pattern")
        checked = self._params(PATTERNS[kind], value, f"{path}.{kind}", depth)
        if kind == "corners":
            n = 4
        elif kind == "grid":
            n = checked["columns"] * checked["rows"]
        else:
            n = checked["count"]
        self._copies(n, f"{path}.{kind}")
        return {kind: checked}

    def _copies(self, n: int, path: str) -> None:
        self.instances += n
        if self.instances > MAX_INSTANCES:
            raise invalid(f"{path} makes the document repeat things more than {MAX_INSTANCES} times in all",
                          hint="use fewer copies or fewer holes")


@dataclass(frozen=True)
class Number:
    """A number in a checked document, where it is and what it measures."""

    path: str  # "part.features[0].hole.diameter", "part.translate[2]", "part.features[1].from_edge.left"
    value: float
    param: Param  # for a component of a placement (translate, at, from_edge, rotate), that placement's Param

    @property
    def places(self) -> bool:
        """Does it say where something goes (a move, a turn, a distance from a side), not how big it is?"""
        return self.param.kind in PLACEMENT_KINDS or self.param.role == "angle"


PLACEMENT_KINDS = ("vector2", "vector3", "distances")
_PLACEMENTS = {**SOLID_PLACEMENT, **SKETCH_PLACEMENT, **FEATURE_PLACEMENT}


def numbers(part: dict, path: str = "part") -> list[Number]:
    """Every number of a checked document, in document order: sizes, counts, angles, and each
    component of the placements (where something is moved to, how far from a side)."""
    found: list[Number] = []
    _collect(part, path, SOLID_TYPES, found)
    return found


_TABLES = {"sketch": SKETCHES, "solid": SOLID_TYPES, "pattern": PATTERNS}


def _collect(node: dict, path: str, types: dict, found: list) -> None:
    kind = next(k for k in node if k in types)
    value = node[kind]
    if kind in LIST_TYPES:
        for i, child in enumerate(value):
            _collect(child, f"{path}.{kind}[{i}]", types, found)
    else:
        _collect_params(types[kind], value, f"{path}.{kind}", found)
    for i, feature in enumerate(node.get("features") or ()):
        where = f"{path}.features[{i}]"
        name = next(k for k in feature if k in FEATURES)
        _collect_params(FEATURES[name], feature[name], f"{where}.{name}", found)
        if "pattern" in feature:
            _collect(feature["pattern"], f"{where}.pattern", PATTERNS, found)
        _collect_placement(feature, where, found)
    _collect_placement(node, path, found)


def _collect_placement(node: dict, path: str, found: list) -> None:
    for key in ("translate", "at", "from_edge", "rotate"):
        value = node.get(key)
        if value is None:
            continue
        p = _PLACEMENTS[key]
        if isinstance(value, dict):
            found.extend(Number(f"{path}.{key}.{side}", float(v), p) for side, v in value.items())
        elif isinstance(value, list):
            found.extend(Number(f"{path}.{key}[{i}]", float(v), p) for i, v in enumerate(value))
        else:
            found.append(Number(f"{path}.{key}", float(value), p))


def _collect_params(ntype: NodeType, value: dict, path: str, found: list) -> None:
    for p in ntype.params:
        v = value.get(p.name)
        if v is None:
            continue
        if p.kind in ("sketch", "solid", "pattern"):
            _collect(v, f"{path}.{p.name}", _TABLES[p.kind], found)
        elif p.kind in ("sketches", "solids"):
            for i, child in enumerate(v):
                _collect(child, f"{path}.{p.name}[{i}]", SKETCHES if p.kind == "sketches" else SOLID_TYPES, found)
        elif p.kind in ("length", "length0", "number", "count", "angle") and not isinstance(v, bool):
            found.append(Number(f"{path}.{p.name}", float(v), p))


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def with_number(part: dict, path: str, value: float) -> dict:
    """A copy of a checked document with the number at ``path`` ("part.features[0].hole.depth")
    set to ``value``. Raises AgentError (invalid) when there is no number there."""
    steps = [int(index) if index else key for key, index in _STEP.findall(path)]
    if steps[:1] != ["part"] or len(steps) < 2:
        raise invalid(f"{path} is not a place in the part document")
    changed = copy.deepcopy(part)
    node: Any = changed
    try:
        for step in steps[1:-1]:
            node = node[step]
        old = node[steps[-1]]
    except (KeyError, IndexError, TypeError):
        raise invalid(f"the part has no {path}") from None
    if not is_number(old):
        raise invalid(f"{path} is not a number of the part")
    node[steps[-1]] = value
    return changed
