"""What we ask the LLM, and how its answer text becomes a dict we are willing to look at.

The system prompt is written from the ``KINDS`` catalogue, so a new kind is described to the
model without touching this file. The answer is untrusted text: it is size-limited, stripped of
Markdown fences, refused if it carries G-code, parsed as JSON and checked for shape here; its
values are then checked by ``DesignSpec.from_dict`` and ``ground_spec`` by the caller.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from functools import lru_cache

from ..model.materials import MATERIALS
from ..model.params import describe_default
from ..model.spec import KINDS

MAX_ANSWER_BYTES = 32 * 1024
ANSWER_FIELDS = ("kind", "params", "material", "quantity")

_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?```$", re.DOTALL)
# A G-code command: a line starting with G/M and a number, or a move with an axis word.
_GCODE = re.compile(r"(?im)^\s*[GM]\d{1,3}\b|\b[GM]\d{1,3}\s+[XYZEFS]-?\d")


class AnswerError(ValueError):
    """The LLM's answer is not a usable spec; the message says why, for the user's notes."""


def _describe_param(p) -> str:
    unit = {"count": "whole number", "angle": "degrees", "thread": "e.g. M8", "flag": "true/false",
            "choice": "/".join(p.choices)}.get(p.kind, "mm")
    need = "required" if p.required else "optional" if p.default is None else f"default {describe_default(p)}"
    return f"{p.name} ({p.description}, {unit}, {need})"


@lru_cache(maxsize=1)
def system_prompt() -> str:
    kinds = "\n".join(
        f"- {k.name}: {k.description}. Parameters: {'; '.join(_describe_param(p) for p in k.params)}."
        for k in KINDS.values()
    )
    return (
        "You turn a request for a 3D-printable part into one JSON object, and nothing else.\n"
        'The object has "kind", "params" (numbers), and optionally "material" and "quantity".\n'
        f"Kinds and their parameters (lengths in millimetres):\n{kinds}\n"
        "Rules:\n"
        "- Every number must come from the request, converted to millimetres "
        "(1 cm = 10 mm, 1 m = 1000 mm, 1 inch = 25.4 mm; a radius is half the diameter).\n"
        "- Never invent a size. Leave out a parameter the request does not state; its default applies.\n"
        "- Only use parameter names listed for the chosen kind.\n"
        f"- material only if the request names one of {', '.join(MATERIALS)}; "
        "quantity only if it asks for several copies.\n"
        "- Answer with the JSON object only: no explanation, no code fences, no G-code.\n"
        "Examples:\n"
        '"a 25 mm cube" -> {"kind": "cube", "params": {"size": 25}}\n'
        '"a rod 1 cm wide and 8 cm long" -> {"kind": "cylinder", "params": {"diameter": 10, "height": 80}}'
    )


def messages(prompt: str) -> list:
    return [{"role": "system", "content": system_prompt()}, {"role": "user", "content": prompt}]


def _value_schema(p) -> dict:
    if p.kind == "count":
        return {"type": "integer"}
    if p.kind == "flag":
        return {"type": "boolean"}
    if p.kind == "choice":
        return {"type": "string", "enum": list(p.choices)}
    if p.kind == "thread":
        return {"type": "string"}
    return {"type": "number"}


def answer_schema() -> dict:
    """JSON schema of an answer: one branch per named part, naming exactly that part's parameters.

    A branch per kind (rather than one flat list of every parameter name) keeps a small model from
    giving a cylinder a "size"; measured with SmolLM2 in BENCHMARKS.md. Bounds are checked by the
    validator, not here: servers do not enforce them. The material is not asked for."""
    branches = []
    for kind in KINDS.values():
        params = {p.name: _value_schema(p) for p in kind.params}
        branches.append({
            "type": "object",
            "properties": {
                "kind": {"const": kind.name},
                "params": {"type": "object", "properties": params, "required": [p.name for p in kind.params if p.required],
                           "additionalProperties": False},
                "quantity": {"type": "integer", "minimum": 1, "maximum": 100},
            },
            "required": ["kind", "params"],
            "additionalProperties": False,
        })
    return {"anyOf": branches}


def parse_answer(text: str) -> dict:
    """Answer text -> a dict with only the schema's fields and numeric params; AnswerError if not."""
    if len(text.encode("utf-8", "replace")) > MAX_ANSWER_BYTES:
        raise AnswerError(f"the answer is longer than {MAX_ANSWER_BYTES // 1024} kB")
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    if _GCODE.search(body):
        raise AnswerError("the answer contains G-code")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise AnswerError(f"the answer is not valid JSON ({getattr(exc, 'msg', exc)})") from None
    if not isinstance(data, dict):
        raise AnswerError("the answer is not a JSON object")
    extra = sorted(set(data) - set(ANSWER_FIELDS))
    if extra:
        raise AnswerError(f"the answer has fields the schema does not allow: {', '.join(extra)}")
    if not isinstance(data.get("kind"), str):
        raise AnswerError("the answer names no object kind")
    params = data.get("params")
    if not isinstance(params, Mapping):
        raise AnswerError("the answer's params are not an object")
    for name, value in params.items():
        thread = isinstance(value, str) and re.fullmatch(r"[Mm]\d+(?:\.\d+)?(?:\s*[xX×]\s*\d+(?:\.\d+)?)?", value.strip())
        if not (thread or isinstance(value, bool)) and (not isinstance(value, (int, float)) or not math.isfinite(value)):
            raise AnswerError(f"the answer's parameter {name!r} is not a number, a thread size (M8) or true/false")
    return data


def spec_data(answer: dict, prompt: str, backend: str) -> dict:
    """The dict for ``DesignSpec.from_dict``: the answer's part plus who understood it."""
    return {
        "part": {answer["kind"]: dict(answer["params"])},
        "material": None,  # grounding takes a material the request names; never the LLM's
        "quantity": answer.get("quantity", 1),
        "backend": backend,
        "prompt": prompt,
    }
