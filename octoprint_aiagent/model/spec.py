"""The design spec: what the user asked for, as typed data, whoever understood the sentence.

The catalogue ``KINDS`` is the one table of object kinds and their parameters. The offline
parser, the LLM JSON schema, grounding and the CAD builders all read it, so a new kind is one
entry here plus one builder function in ``cad``.

All lengths are millimetres. Every number in a spec either comes from the prompt or is listed in
``assumptions`` with the reason it was chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Callable, Optional, Union

from .errors import AgentError
from .materials import MATERIALS
from .values import is_number

Number = Union[float, int, bool]


# Sizes outside these bounds are not parts but typos ("5 km", "0 mm"); whether a part fits the
# printer is a separate, later check against the printer profile.
MIN_LENGTH_MM = 0.1
MAX_LENGTH_MM = 2000.0
MAX_QUANTITY = 100


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # "length" (mm), "count" (integer), "flag" (bool)
    description: str
    default: Optional[Number] = None  # None: required, the prompt must say it
    minimum: float = MIN_LENGTH_MM
    maximum: float = MAX_LENGTH_MM

    @property
    def required(self) -> bool:
        return self.default is None


def _length(name, description, default=None, minimum=MIN_LENGTH_MM):
    return Param(name, "length", description, default, minimum, MAX_LENGTH_MM)


def _count(name, description, default=None, minimum=1, maximum=200):
    return Param(name, "count", description, default, minimum, maximum)


def _flag(name, description, default=False):
    return Param(name, "flag", description, default, 0, 1)


@dataclass(frozen=True)
class KindDef:
    name: str
    description: str
    params: tuple[Param, ...]
    # Cross-parameter rule: returns a sentence describing what is wrong, or None.
    check: Optional[Callable[[Mapping[str, Number]], Optional[str]]] = None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


def _smaller(inner: str, outer: str, what: str):
    def check(p):
        if p[inner] >= p[outer]:
            return f"the {what} ({p[inner]:g} mm) must be smaller than the {outer.replace('_', ' ')} ({p[outer]:g} mm)"
        return None

    return check


def _walls_fit(p):
    inner_l = p["length"] - 2 * p["wall"]
    inner_w = p["width"] - 2 * p["wall"]
    floor = p.get("floor") or p["wall"]
    if inner_l <= 0 or inner_w <= 0 or floor >= p["height"]:
        return f"walls of {p['wall']:g} mm leave no room inside a {p['length']:g} x {p['width']:g} x {p['height']:g} mm box"
    return None


def _cup_fits(p):
    floor = p.get("floor") or p["wall"]
    if 2 * p["wall"] >= p["diameter"] or floor >= p["height"]:
        return f"walls of {p['wall']:g} mm leave no room inside a {p['diameter']:g} mm cup"
    return None


def _gear_fits(p):
    module = p["outer_diameter"] / (p["teeth"] + 2)
    root = module * (p["teeth"] - 2.5)
    if p["teeth"] < 6:
        return "a spur gear needs at least 6 teeth"
    if p.get("bore", 0) and p["bore"] >= root - 2 * module:
        return f"the bore ({p['bore']:g} mm) leaves no material below the teeth (root diameter {root:.1f} mm)"
    return None


def _holes_fit(p):
    if p["hole_diameter"] * 2 >= min(p["length"], p["width"]):
        return f"holes of {p['hole_diameter']:g} mm do not fit a {p['length']:g} x {p['width']:g} mm plate"
    return None


_TUBE = (
    _length("outer_diameter", "outside diameter"),
    _length("inner_diameter", "inside (hole) diameter"),
    _length("height", "length along the axis (thickness for a washer)"),
)

KINDS: dict[str, KindDef] = {
    k.name: k
    for k in (
        KindDef("cube", "a cube", (_length("size", "edge length"),)),
        KindDef(
            "box",
            "a solid rectangular block, plate or bar",
            (_length("length", "size along X"), _length("width", "size along Y"), _length("height", "size along Z")),
        ),
        KindDef("cylinder", "a solid cylinder, rod, disc or coaster", (_length("diameter", "diameter"), _length("height", "height"))),
        KindDef("sphere", "a solid sphere or ball", (_length("diameter", "diameter"),)),
        KindDef("dome", "a hemisphere standing on its flat face", (_length("diameter", "diameter of the flat face"),)),
        KindDef(
            "cone",
            "a cone or truncated cone standing on its base",
            (
                _length("base_diameter", "diameter at the base"),
                _length("height", "height"),
                _length("top_diameter", "diameter at the top (0 for a point)", default=0.0, minimum=0.0),
            ),
        ),
        KindDef("pyramid", "a square pyramid", (_length("base", "side of the square base"), _length("height", "height"))),
        KindDef(
            "hex_prism",
            "a hexagonal prism standing on a hexagonal face",
            (_length("across_flats", "distance across flats"), _length("height", "height")),
        ),
        KindDef(
            "triangular_prism",
            "an equilateral triangular prism lying on a rectangular face",
            (_length("side", "side of the triangle"), _length("length", "length of the prism")),
        ),
        KindDef("tube", "a tube, pipe, spacer, ring or washer", _TUBE, _smaller("inner_diameter", "outer_diameter", "inner diameter")),
        KindDef(
            "open_box",
            "an open-top box or tray with walls",
            (
                _length("length", "outside size along X"),
                _length("width", "outside size along Y"),
                _length("height", "outside height"),
                _length("wall", "wall thickness", default=2.0),
                _length("floor", "floor thickness (0: same as the wall)", default=0.0, minimum=0.0),
            ),
            _walls_fit,
        ),
        KindDef(
            "cup",
            "an open-top cylindrical cup",
            (
                _length("diameter", "outside diameter"),
                _length("height", "outside height"),
                _length("wall", "wall thickness", default=2.0),
                _length("floor", "floor thickness (0: same as the wall)", default=0.0, minimum=0.0),
            ),
            _cup_fits,
        ),
        KindDef(
            "gear",
            "an involute spur gear",
            (
                _count("teeth", "number of teeth", minimum=6, maximum=200),
                _length("outer_diameter", "tip (outside) diameter"),
                _length("thickness", "face width", default=5.0),
                _length("bore", "centre hole diameter (0: none)", default=0.0, minimum=0.0),
                Param("pressure_angle", "length", "pressure angle in degrees", 20.0, 14.5, 25.0),
            ),
            _gear_fits,
        ),
        KindDef(
            "plate_with_holes",
            "a rectangular plate with a symmetric pattern of through holes",
            (
                _length("length", "size along X"),
                _length("width", "size along Y"),
                _length("thickness", "thickness", default=3.0),
                _count("hole_count", "number of holes", default=4, maximum=100),
                _length("hole_diameter", "hole diameter", default=3.0),
            ),
            _holes_fit,
        ),
        KindDef(
            "box_with_lid",
            "a box and a separate lid that fits over it",
            (
                _length("length", "outside size along X"),
                _length("width", "outside size along Y"),
                _length("height", "outside height of the box"),
                _length("wall", "wall thickness", default=2.0),
                _length("clearance", "gap between lid and box for the fit", default=0.2, minimum=0.0),
            ),
            _walls_fit,
        ),
        KindDef("csg", "a free-form part described as a CSG document", ()),
    )
}


@dataclass(frozen=True)
class Assumption:
    """A value the prompt did not state, and why we chose it."""

    field: str
    value: Union[Number, str]
    reason: str

    def to_dict(self) -> dict:
        return {"field": self.field, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class DesignSpec:
    kind: str
    params: Mapping[str, Number] = field(default_factory=dict)
    material: Optional[str] = None  # None until the pipeline decides it (pipeline.with_material)
    quantity: int = 1
    assumptions: tuple[Assumption, ...] = ()
    backend: str = "offline"  # who understood the prompt: offline, openai, ollama, user
    prompt: str = ""
    notes: tuple[str, ...] = ()  # what happened on the way, e.g. why an LLM answer was not used
    csg: Optional[dict] = None  # the CSG document when kind == "csg"

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "params": dict(self.params),
            "material": self.material,
            "quantity": self.quantity,
            "assumptions": [a.to_dict() for a in self.assumptions],
            "backend": self.backend,
            "prompt": self.prompt,
            "notes": list(self.notes),
            "csg": self.csg,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> DesignSpec:
        """Build and validate a spec from untrusted JSON (API body, LLM answer, database)."""
        if not isinstance(data, Mapping):
            raise AgentError("understanding", "a spec must be a JSON object")
        unknown = set(data) - {"kind", "params", "material", "quantity", "assumptions", "backend", "prompt", "notes", "csg"}
        if unknown:
            raise AgentError("understanding", f"unknown spec fields: {', '.join(sorted(unknown))}")
        params = data.get("params") or {}
        if not isinstance(params, Mapping):
            raise AgentError("understanding", "spec 'params' must be an object of numbers")
        try:
            assumptions = tuple(Assumption(str(a["field"]), a["value"], str(a["reason"])) for a in data.get("assumptions") or ())
        except (TypeError, KeyError) as exc:
            raise AgentError("understanding", f"spec 'assumptions' are malformed: {exc}") from None
        spec = cls(
            kind=data.get("kind"),
            params=dict(params),
            material=data.get("material") or None,
            quantity=data.get("quantity", 1),
            assumptions=assumptions,
            backend=str(data.get("backend") or "user"),
            prompt=str(data.get("prompt") or ""),
            notes=tuple(str(n) for n in data.get("notes") or ()),
            csg=data.get("csg"),
        )
        return validate_spec(spec)

    def with_changes(self, **changes) -> DesignSpec:
        return validate_spec(replace(self, **changes))


def validate_spec(spec: DesignSpec) -> DesignSpec:
    """Check a spec against the catalogue; fill stated defaults (as assumptions); raise AgentError.

    Returns a new spec whose params are complete and typed.
    """
    stage = "understanding"
    if not isinstance(spec.kind, str) or spec.kind not in KINDS:
        known = ", ".join(k for k in KINDS)
        raise AgentError(stage, f"unknown object kind {spec.kind!r}", hint=f"known kinds: {known}")
    if spec.material is not None and (not isinstance(spec.material, str) or spec.material.upper() not in MATERIALS):
        raise AgentError(stage, f"unknown material {spec.material!r}", hint=f"choose one of {', '.join(MATERIALS)}")
    if not is_number(spec.quantity) or int(spec.quantity) != spec.quantity or not 1 <= spec.quantity <= MAX_QUANTITY:
        raise AgentError(stage, f"quantity must be a whole number from 1 to {MAX_QUANTITY}, not {spec.quantity!r}")
    kind = KINDS[spec.kind]
    if kind.name == "csg":
        if not isinstance(spec.csg, dict):
            raise AgentError(stage, "a csg spec needs a 'csg' document")
        return replace(spec, material=spec.material and spec.material.upper(), quantity=int(spec.quantity), params={})

    unknown = set(spec.params) - {p.name for p in kind.params}
    if unknown:
        raise AgentError(stage, f"a {kind.name} has no parameter {', '.join(sorted(unknown))}")
    params: dict[str, Number] = {}
    assumptions = list(spec.assumptions)
    stated = {a.field for a in assumptions}
    missing = []
    for p in kind.params:
        if p.name not in spec.params or spec.params[p.name] is None:
            if p.required:
                missing.append(p.description)
                continue
            params[p.name] = p.default
            if p.name not in stated:
                assumptions.append(Assumption(p.name, p.default, "default: not stated in the request"))
            continue
        params[p.name] = _coerce(kind, p, spec.params[p.name])
    if missing:
        raise AgentError(
            stage,
            f"I understood a {kind.name.replace('_', ' ')} but not its {' or '.join(missing)}",
            hint="add the missing size, e.g. '... 20 mm tall'",
        )
    if kind.check:
        problem = kind.check(params)
        if problem:
            raise AgentError(stage, problem)
    return replace(spec, params=params, assumptions=tuple(assumptions), material=spec.material and spec.material.upper(), quantity=int(spec.quantity))


def _coerce(kind: KindDef, p: Param, value) -> Number:
    label = f"{kind.name.replace('_', ' ')} {p.description}"
    if p.type == "flag":
        if not isinstance(value, bool):
            raise AgentError("understanding", f"{label} must be true or false, not {value!r}")
        return value
    if not is_number(value):
        raise AgentError("understanding", f"{label} must be a finite number, not {value!r}")
    if p.type == "count":
        if int(value) != value:
            raise AgentError("understanding", f"{label} must be a whole number, not {value!r}")
        value = int(value)
    if not p.minimum <= value <= p.maximum:
        unit = "" if p.type == "count" else " mm"
        raise AgentError(
            "understanding",
            f"{label} of {value:g}{unit} is out of range ({p.minimum:g} to {p.maximum:g}{unit})",
        )
    return float(value) if p.type == "length" else value


def spec_json_schema() -> dict:
    """JSON schema of an LLM's answer: one branch per kind, naming exactly that kind's parameters.

    A branch per kind (rather than one flat list of every parameter name) keeps a small model from
    giving a cylinder a "size"; measured with SmolLM2 in BENCHMARKS.md. Bounds are enforced by
    ``validate_spec``, not here: servers do not enforce them. The material is not asked for: it
    comes from the request or the user's choice, never from the model.
    """
    branches = []
    for kind in KINDS.values():
        if kind.name == "csg":
            continue
        params = {p.name: {"type": "integer" if p.type == "count" else "number"} for p in kind.params}
        branches.append(
            {
                "type": "object",
                "properties": {
                    "kind": {"const": kind.name},
                    "params": {
                        "type": "object",
                        "properties": params,
                        "required": [p.name for p in kind.params if p.required],
                        "additionalProperties": False,
                    },
                    "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY},
                },
                "required": ["kind", "params"],
                "additionalProperties": False,
            }
        )
    return {"anyOf": branches}
