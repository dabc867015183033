"""Parameters of the part language's nodes: what each number, word or list may be, what it
measures (its *role*), and the one function that checks a value against its definition.

Every table of the language (sketches, solids, features, patterns, templates) is made of these,
so the validator, the JSON schema for LLMs, the offline reader and the tab all read the same
definitions. Lengths are millimetres, angles degrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .errors import AgentError
from .values import is_number, is_whole

STAGE = "designing"
MIN_LENGTH_MM = 0.1  # smaller is not a part but a typo ("0 mm"); whether it prints is printability's call
MAX_LENGTH_MM = 1000.0  # every coordinate of a document stays within +-MAX_LENGTH_MM
MAX_TEXT_CHARS = 64
FACES = ("top", "bottom", "front", "back", "left", "right")

# Kinds of value. Nested nodes ("sketch", "solid", ...) are checked by the document walker.
NUMBER_KINDS = ("length", "length0", "number", "count", "angle")
NODE_KINDS = ("sketch", "sketches", "solid", "solids", "pattern")
KINDS = NUMBER_KINDS + NODE_KINDS + ("flag", "choice", "text", "thread", "vector2", "vector3", "size3", "points", "faces", "distances")


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    role: str  # what a number here measures: "diameter", "height", "wall", ... (grounding, the tab)
    description: str
    default: Any = None  # used when the value is left out (and listed as an assumption)
    required: bool = False
    minimum: float = MIN_LENGTH_MM
    maximum: float = MAX_LENGTH_MM
    choices: tuple = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown parameter kind {self.kind!r}")

    @property
    def unit(self) -> str:
        return {"length": "mm", "length0": "mm", "number": "mm", "angle": "°", "vector2": "mm", "vector3": "mm",
                "size3": "mm", "points": "mm", "distances": "mm"}.get(self.kind, "")


def length(name: str, role: str, description: str, default=None, required: bool = False, minimum: float = MIN_LENGTH_MM,
           maximum: float = MAX_LENGTH_MM) -> Param:
    return Param(name, "length", role, description, default, required, minimum, maximum)


def length0(name: str, role: str, description: str, default=0.0, maximum: float = MAX_LENGTH_MM) -> Param:
    return Param(name, "length0", role, description, default, False, 0.0, maximum)


def count(name: str, role: str, description: str, default=None, required: bool = False, minimum: int = 1, maximum: int = 200) -> Param:
    return Param(name, "count", role, description, default, required, minimum, maximum)


def angle(name: str, description: str, default=None, minimum: float = -360.0, maximum: float = 360.0, role: str = "angle") -> Param:
    return Param(name, "angle", role, description, default, False, minimum, maximum)


def choice(name: str, description: str, choices: tuple, default=None, role: str = "choice") -> Param:
    return Param(name, "choice", role, description, default if default is not None else choices[0], False, 0, 0, choices)


def flag(name: str, description: str, default: bool = False) -> Param:
    return Param(name, "flag", "flag", description, default, False, 0, 1)


def node(name: str, kind: str, description: str, required: bool = True) -> Param:
    return Param(name, kind, kind, description, None, required, 0, 0)


def invalid(message: str, hint: str = "") -> AgentError:
    return AgentError(STAGE, message, reason="invalid", hint=hint)


def check_value(p: Param, value: Any, where: str) -> Any:
    """``value`` checked against ``p``; returns it normalised (floats for lengths, lower-case
    choices, canonical thread names). Raises AgentError naming ``where`` (the node's path)."""
    k = p.kind
    if k in NUMBER_KINDS:
        if not is_number(value):
            raise invalid(f"{where} must be a number, not {value!r}")
        if k == "count":
            if not is_whole(value):
                raise invalid(f"{where} must be a whole number, not {value!r}")
            value = int(value)
        low = 0.0 if k == "length0" else p.minimum
        if not low <= value <= p.maximum:
            unit = f" {p.unit}" if p.unit and p.unit != "°" else p.unit
            raise invalid(f"{where} is {value:g}{unit}; it must be from {low:g} to {p.maximum:g}{unit}")
        return value if k == "count" else float(value)
    if k == "flag":
        if not isinstance(value, bool):
            raise invalid(f"{where} must be true or false, not {value!r}")
        return value
    if k == "choice":
        if not isinstance(value, str) or value.lower() not in p.choices:
            raise invalid(f"{where} must be one of {', '.join(p.choices)}, not {value!r}")
        return value.lower()
    if k == "text":
        if not isinstance(value, str) or not value.strip():
            raise invalid(f"{where} must be a non-empty text")
        if len(value) > MAX_TEXT_CHARS:
            raise invalid(f"{where} has {len(value)} characters; at most {MAX_TEXT_CHARS}")
        return value
    if k == "thread":
        from .standards import parse_metric

        if not isinstance(value, str):
            raise invalid(f"{where} must name a metric thread such as \"M8\" or \"M8x1\"")
        try:
            return parse_metric(value).designation
        except AgentError as exc:
            raise invalid(f"{where}: {exc.message}", exc.hint) from None
    if k in ("vector2", "vector3", "size3"):
        n = 2 if k == "vector2" else 3
        if not isinstance(value, list) or len(value) != n:
            raise invalid(f"{where} must be a list of {n} numbers")
        out = []
        for i, v in enumerate(value):
            if not is_number(v):
                raise invalid(f"{where}[{i}] must be a number, not {v!r}")
            if k == "size3" and not MIN_LENGTH_MM <= v <= MAX_LENGTH_MM:
                raise invalid(f"{where}[{i}] is {v:g} mm; it must be from {MIN_LENGTH_MM:g} to {MAX_LENGTH_MM:g} mm")
            if abs(v) > p.maximum:
                raise invalid(f"{where}[{i}] must be within +-{p.maximum:g}, not {v:g}")
            out.append(float(v))
        return out
    if k == "points":
        return _points(value, where, p.maximum)
    if k == "faces":
        if not isinstance(value, list) or not all(isinstance(f, str) and f.lower() in FACES for f in value):
            raise invalid(f"{where} must be a list of faces from {', '.join(FACES)}")
        return sorted({f.lower() for f in value}, key=FACES.index)
    if k == "distances":  # {"left": 10, "front": 6}: mm from those sides of the part
        if not isinstance(value, dict) or not value:
            raise invalid(f"{where} must be an object such as {{\"left\": 10, \"front\": 6}}")
        out = {}
        for side, d in value.items():
            if not isinstance(side, str) or side.lower() not in FACES:
                raise invalid(f"{where} has {side!r}; the sides are {', '.join(FACES)}")
            if not is_number(d) or not 0 <= d <= p.maximum:
                raise invalid(f"{where}.{side} must be a distance from 0 to {p.maximum:g} mm, not {d!r}")
            out[side.lower()] = float(d)
        return out
    raise AssertionError(f"{k} values are nodes, checked by the document walker")


MAX_POLYGON_POINTS = 1000


def _points(value: Any, where: str, bound: float) -> list:
    if not isinstance(value, list) or not 3 <= len(value) <= MAX_POLYGON_POINTS:
        raise invalid(f"{where} must be a list of 3 to {MAX_POLYGON_POINTS} [x, y] points")
    out = []
    for i, point in enumerate(value):
        if not isinstance(point, list) or len(point) != 2 or not all(is_number(v) for v in point):
            raise invalid(f"{where}[{i}] must be an [x, y] point of two numbers")
        if max(abs(point[0]), abs(point[1])) > bound:
            raise invalid(f"{where}[{i}] must be within +-{bound:g} mm")
        out.append([float(point[0]), float(point[1])])
    area = 0.5 * sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(out, out[1:] + out[:1]))
    if abs(area) < 1e-6:
        raise invalid(f"{where} encloses no area")
    return out


def required_missing(p: Param, where: str, what: str) -> AgentError:
    return invalid(f"{where} needs {p.name} ({p.description}) for the {what}")


def describe_default(p: Param) -> Optional[str]:
    """How a default shows in an assumption: "2 mm", "vertical", "true"."""
    if p.default is None:
        return None
    if isinstance(p.default, bool):
        return "true" if p.default else "false"
    if isinstance(p.default, (int, float)):
        return f"{p.default:g} {p.unit}".strip()
    return str(p.default)
