"""A job request from untrusted JSON: checked field by field, with messages a user can act on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Optional

from ..model.errors import AgentError
from ..model.materials import MATERIALS, QUALITIES
from ..model.values import is_whole

FIELDS = {"prompt", "spec", "part", "material", "quality", "infill_percent", "print"}


@dataclass(frozen=True)
class JobRequest:
    """What a user asks for. Exactly one of prompt, spec and part says what to make; or ``base``,
    a spec to change as ``prompt`` says (a refine, made by the refine route)."""

    prompt: str = ""
    spec: Optional[dict] = None
    part: Optional[dict] = None  # a part document (model/document.py)
    base: Optional[dict] = None
    material: Optional[str] = None  # chosen explicitly; None: as the request's words say, else the default
    quality: str = "normal"
    infill_percent: int = 20

    def to_dict(self) -> dict:
        return asdict(self)


def parse_job_request(body, defaults: Mapping, max_prompt_chars: int) -> tuple[JobRequest, bool]:
    """JSON body of ``POST /jobs`` -> (request, print requested). Raises AgentError("request", ...).

    ``defaults`` holds the settings' quality and infill; the material has no default here: an
    absent one is decided with the spec (``pipeline.with_material``)."""
    if not isinstance(body, Mapping):
        raise AgentError("request", "the request body must be a JSON object")
    unknown = set(body) - FIELDS
    if unknown:
        raise AgentError("request", f"unknown fields: {', '.join(sorted(map(str, unknown)))}", hint=f"known fields: {', '.join(sorted(FIELDS))}")
    given = [k for k in ("prompt", "spec", "part") if body.get(k) is not None and not (isinstance(body[k], str) and not body[k].strip())]
    if len(given) != 1:
        raise AgentError("request", "say what to make with exactly one of 'prompt', 'spec' or 'part'")
    prompt = body.get("prompt", "")
    if not isinstance(prompt, str):
        raise AgentError("request", "'prompt' must be a string")
    check_prompt_length(prompt, max_prompt_chars)
    for key in ("spec", "part"):
        if body.get(key) is not None and not isinstance(body[key], Mapping):
            raise AgentError("request", f"'{key}' must be a JSON object")
    material = body.get("material") or None
    quality = body.get("quality", defaults.get("quality", "normal"))
    infill = body.get("infill_percent", defaults.get("infill_percent", 20))
    for key, value in (("material", material or ""), ("quality", quality)):
        if not isinstance(value, str):
            raise AgentError("request", f"'{key}' must be a string")
    if material is not None and material.upper() not in MATERIALS:
        raise AgentError("request", f"unknown material {material!r}", hint=f"choose one of {', '.join(MATERIALS)}, or leave it out")
    if quality.lower() not in QUALITIES:
        raise AgentError("request", f"unknown quality {quality!r}", hint=f"choose one of {', '.join(QUALITIES)}")
    if not is_whole(infill) or not 0 <= infill <= 100:
        raise AgentError("request", "'infill_percent' must be a whole number from 0 to 100")
    print_after = body.get("print", False)
    if not isinstance(print_after, bool):
        raise AgentError("request", "'print' must be true or false")
    request = JobRequest(
        prompt=prompt,
        spec=dict(body["spec"]) if body.get("spec") is not None else None,
        part=dict(body["part"]) if body.get("part") is not None else None,
        material=material.upper() if material else None,
        quality=quality.lower(),
        infill_percent=int(infill),
    )
    return request, print_after


def check_prompt_length(text: str, max_chars: int, what: str = "prompt") -> None:
    """The one prompt length limit (the ``max_prompt_chars`` setting), for every entry point."""
    if len(text) > max_chars:
        raise AgentError("request", f"the {what} is {len(text)} characters; the limit is {max_chars}",
                         hint="describe one part in a sentence or two")
