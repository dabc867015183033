"""The design spec: what the user asked for, as typed data, whoever understood the sentence.

Its ``part`` is a part document (document.py): the root node names what is made, from the
catalogue of named parts (``KINDS``: a box, a tube, a gear, an L bracket...) or built up from
sketches, solids and features. Around it: the material, how many, and the record of how each
number was understood (``roles``: "10 mm -> hole diameter"), what was assumed (``assumptions``)
and what happened on the way (``notes``). Lengths are millimetres.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Optional, Union

from .document import SOLID_TYPES, check_part, node_type, with_number
from .errors import AgentError
from .materials import MATERIALS
from .nodes import NodeType
from .params import NUMBER_KINDS
from .solids import COMPOSITIONS
from .values import is_number, is_whole

MAX_QUANTITY = 100
SCALAR_KINDS = NUMBER_KINDS + ("thread", "flag", "choice")
SPEC_FIELDS = ("part", "material", "quantity", "assumptions", "roles", "backend", "prompt", "notes")

# The named parts: solids whose parameters are plain values (numbers, a thread size, a yes/no, a
# choice), not other nodes, so a sentence can state each of them.
KINDS: dict[str, NodeType] = {
    name: t for name, t in SOLID_TYPES.items()
    if name not in COMPOSITIONS and t.params and all(p.kind in SCALAR_KINDS for p in t.params)
}


@dataclass(frozen=True)
class Assumption:
    """A value the request did not state, and why it was chosen. ``field`` is a parameter of the
    root part ("wall"), a path in the document ("features[0].hole.depth") or "material"."""

    field: str
    value: Union[float, int, str]
    reason: str

    def to_dict(self) -> dict:
        return {"field": self.field, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class Role:
    """A number the request states, and what it became: ``said`` ("10 mm hole") -> the value at
    ``path`` in the document ("features[0].hole.diameter"), described as ``role`` ("hole
    diameter"). A number that only places the finished part in space has path "placement"."""

    said: str
    value: float
    path: str
    role: str

    def to_dict(self) -> dict:
        return {"said": self.said, "value": self.value, "path": self.path, "role": self.role}


@dataclass(frozen=True)
class DesignSpec:
    part: dict
    material: Optional[str] = None  # None until the pipeline decides it (pipeline.with_material)
    quantity: int = 1
    assumptions: tuple[Assumption, ...] = ()
    roles: tuple[Role, ...] = ()
    backend: str = "offline"  # who understood the request: offline, openai, ollama, user
    prompt: str = ""
    notes: tuple[str, ...] = ()  # what happened on the way, e.g. why an LLM answer was not used

    @classmethod
    def named(cls, kind: str, params: dict, **rest) -> DesignSpec:
        """A spec for one named part: ``DesignSpec.named("cube", {"size": 20})``."""
        return cls(part={kind: dict(params)}, **rest)

    @property
    def kind(self) -> str:
        """What the root of the part is: a named part ("cube"), a solid or a composition."""
        return node_type(self.part)

    @property
    def params(self) -> dict:
        """The root part's parameters ({} for a composition)."""
        value = self.part[self.kind]
        return dict(value) if isinstance(value, dict) else {}

    @property
    def features(self) -> list:
        return list(self.part.get("features") or ())

    def to_dict(self) -> dict:
        return {
            "part": self.part,
            "kind": self.kind,  # for readers of the JSON; not read back
            "material": self.material,
            "quantity": self.quantity,
            "assumptions": [a.to_dict() for a in self.assumptions],
            "roles": [r.to_dict() for r in self.roles],
            "backend": self.backend,
            "prompt": self.prompt,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Any) -> DesignSpec:
        """Build and validate a spec from untrusted JSON (API body, LLM answer, database)."""
        if not isinstance(data, dict):
            raise AgentError("understanding", "a spec must be a JSON object")
        unknown = set(data) - set(SPEC_FIELDS) - {"kind"}
        if unknown:
            raise AgentError("understanding", f"unknown spec fields: {', '.join(sorted(unknown))}", hint=f"a spec has: {', '.join(SPEC_FIELDS)}")
        if "part" not in data:
            raise AgentError("understanding", "a spec needs its part document ('part')")
        try:
            assumptions = tuple(Assumption(str(a["field"]), a["value"], str(a["reason"])) for a in data.get("assumptions") or ())
            roles = tuple(Role(str(r["said"]), float(r["value"]), str(r["path"]), str(r["role"])) for r in data.get("roles") or ())
        except (TypeError, KeyError, ValueError) as exc:
            raise AgentError("understanding", f"the spec's assumptions or roles are malformed: {exc}") from None
        spec = cls(
            part=data["part"],
            material=data.get("material") or None,
            quantity=data.get("quantity", 1),
            assumptions=assumptions,
            roles=roles,
            backend=str(data.get("backend") or "user"),
            prompt=str(data.get("prompt") or ""),
            notes=tuple(str(n) for n in data.get("notes") or ()),
        )
        return validate_spec(spec)

    def with_changes(self, **changes) -> DesignSpec:
        return validate_spec(replace(self, **changes))


def validate_spec(spec: DesignSpec, stage: str = "understanding") -> DesignSpec:
    """Check a spec: its document (check_part), material and quantity. Returns it normalised,
    with every default the document took listed as an assumption. Raises AgentError at ``stage``."""
    if spec.material is not None and (not isinstance(spec.material, str) or spec.material.upper() not in MATERIALS):
        raise AgentError(stage, f"unknown material {spec.material!r}", hint=f"choose one of {', '.join(MATERIALS)}")
    if not is_whole(spec.quantity) or not 1 <= spec.quantity <= MAX_QUANTITY:
        raise AgentError(stage, f"quantity must be a whole number from 1 to {MAX_QUANTITY}, not {spec.quantity!r}")
    try:
        checked = check_part(spec.part)
    except AgentError as exc:
        raise AgentError(stage, exc.message, reason=exc.reason, hint=exc.hint) from None
    assumptions = list(spec.assumptions)
    stated = {a.field for a in assumptions}
    for default in checked.defaults:
        name = assumption_field(default.path)
        if name not in stated:
            assumptions.append(Assumption(name, default.value, default.reason))
    return replace(spec, part=checked.part, assumptions=tuple(assumptions), quantity=int(spec.quantity),
                   material=spec.material and spec.material.upper())


def assumption_field(path: str) -> str:
    """``part.cube.size`` -> ``size`` (a parameter of the root); deeper paths lose ``part.``."""
    inside = path.split(".", 1)[1] if path.startswith("part.") else path
    head, _, rest = inside.partition(".")
    return rest if head in SOLID_TYPES and "." not in rest and "[" not in rest else inside


def assumption_path(spec: DesignSpec, field: str) -> str:
    """An assumption's field as a path in the document: "size" is the root part's ("part.cube.size")."""
    return f"part.{field}" if "." in field or "[" in field else f"part.{spec.kind}.{field}"


def confirm_assumptions(spec: DesignSpec, values: Mapping, stage: str = "confirming") -> DesignSpec:
    """The spec once a user has seen its assumptions and set ``values`` for some of them ({field:
    value}): those are the user's now, no longer assumptions; the others stand, with a note."""
    assumed = {a.field: a for a in spec.assumptions}
    part, material, changed = spec.part, spec.material, []
    for field, value in values.items():
        if field not in assumed:
            raise AgentError(stage, f"{field!r} is not an assumption of this job", hint=f"its assumptions are: {', '.join(assumed) or 'none'}")
        if field == "material":
            material = value
        elif is_number(value):
            try:
                part = with_number(part, assumption_path(spec, field), value)
            except AgentError as exc:
                raise AgentError(stage, exc.message) from None
        else:
            raise AgentError(stage, f"{field} must be a number, not {value!r}")
        changed.append(f"{field} {value:g}" if is_number(value) else f"{field} {value}")
    note = "assumptions confirmed" + (f"; set by the user: {', '.join(changed)}" if changed else "")
    kept = tuple(a for a in spec.assumptions if a.field not in values)
    return validate_spec(replace(spec, part=part, material=material, assumptions=kept, notes=spec.notes + (note,)), stage=stage)
