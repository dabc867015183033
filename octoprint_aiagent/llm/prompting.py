"""What we ask the LLM, and how its answer text becomes a dict we are willing to look at.

The model answers with a part document (model/document.py): the cheap case is one named part
(``{"part": {"cube": {"size": 25}}}``), anything else is built from sketches, solids, features
and patterns. The answer schema and the system prompt are both written from the language's
tables (``model.schema``, and the signatures below), so a new node type reaches the model
without touching this file. The prompt is read on every call by a model that may run on a
small machine: it lists names and parameters, not descriptions (its size is in BENCHMARKS.md).

The answer is untrusted text: it is size-limited, stripped of Markdown fences, refused if it
carries G-code, parsed as JSON and checked for shape here; its document is then validated by
``DesignSpec.from_dict`` and held to the request by grounding and measurement (agent/understand.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from ..model.features import FEATURES
from ..model.nodes import NodeType
from ..model.params import FACES
from ..model.patterns import PATTERNS
from ..model.schema import definitions, ref
from ..model.sketches import SKETCHES
from ..model.solids import COMPOSITIONS, SOLIDS
from ..model.spec import MAX_QUANTITY
from ..model.templates import TEMPLATES
from ..model.values import is_number

MAX_ANSWER_BYTES = 64 * 1024  # a document of the full 500 nodes fits; anything larger is not a part
MAX_ASSUMPTIONS = 20
MAX_WHAT_CHARS = 80
ANSWER_FIELDS = ("part", "assumptions", "quantity")

_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?```$", re.DOTALL)
# A G-code command: a line starting with G/M and a number, or a move with an axis word.
_GCODE = re.compile(r"(?im)^\s*[GM]\d{1,3}\b|\b[GM]\d{1,3}\s+[XYZEFS]-?\d")

# Worded unlike the prompts the plugin is measured on (tests/data), so that a model copying an
# example does not pass for one that designs.
EXAMPLES = (
    ("a 25 mm cube", {"part": {"cube": {"size": 25}}}),
    ("a 30 x 20 x 8 mm block with a 6 mm hole through the middle",
     {"part": {"box": {"length": 30, "width": 20, "height": 8}, "features": [{"hole": {"diameter": 6}}]}}),
    ("a plate 60 x 40 x 3 mm with four 3 mm holes 5 mm in from each corner",
     {"part": {"box": {"length": 60, "width": 40, "height": 3},
               "features": [{"hole": {"diameter": 3}, "pattern": {"corners": {"inset": 5}}}]}}),
    ("a stand for a tablet", {"part": {"union": [{"box": {"length": 120, "width": 80, "height": 6}},
                                                 {"box": {"length": 120, "width": 6, "height": 70}, "translate": [0, 20, 6]}]},
                              "assumptions": [{"what": "base length", "value": 120}, {"what": "back height", "value": 70}]}),
)


class AnswerError(ValueError):
    """The LLM's answer is not a usable document; the message says why, for the user's notes."""


@dataclass(frozen=True)
class Assumed:
    """A size the model says it chose: what it is ("phone thickness") and its value."""

    what: str
    value: float


@dataclass(frozen=True)
class Answer:
    part: dict
    assumptions: tuple[Assumed, ...] = ()
    quantity: Optional[int] = None


# -- the system prompt -----------------------------------------------------------------------


def _signature(t: NodeType) -> str:
    """ "hole(diameter|screw|thread, depth?, ...)": required names, one-of groups, optional ones with "?"."""
    grouped = {name for group in t.one_of for name in group}
    parts = ["|".join(group) for group in t.one_of]
    # A fit clearance is the printer's setting; the model need not know it can override it.
    parts += [p.name + ("" if p.required else "?") for p in t.params if p.name not in grouped and p.role != "clearance"]
    return f"{t.name}({', '.join(parts)})"


def _listing(table: dict, skip=()) -> str:
    return " ".join(_signature(t) for name, t in table.items() if name not in skip)


@lru_cache(maxsize=1)
def system_prompt() -> str:
    faces = "|".join(FACES)
    examples = "\n".join(f'"{said}" -> {json.dumps(answer)}' for said, answer in EXAMPLES)
    return (
        "You design 3D-printable parts as JSON documents. Answer with one JSON object:\n"
        '{"part": SOLID, "assumptions": [{"what": "...", "value": number}], "quantity": n}\n'
        'A node is {"type": {parameters}} plus optional keys. Lengths in mm, angles in degrees; name? is optional.\n'
        f"Named parts (SOLID): {_listing(TEMPLATES)}\n"
        f"Solids (SOLID, standing on z=0, centred on Z): {_listing(SOLIDS, COMPOSITIONS)}\n"
        f'Combined (SOLID): {{"union": [SOLID, ...]}}, {{"difference": [SOLID, minus SOLID, ...]}}, {{"intersection": [...]}}\n'
        "A SOLID may have translate [x,y,z], rotate [x,y,z], mirror x|y|z, features [FEATURE, ...].\n"
        f"Sketches (SKETCH, 2D): {_listing(SKETCHES, COMPOSITIONS)}; union/difference of SKETCHes; translate [x,y], rotate.\n"
        f"Features (FEATURE): {_listing(FEATURES)}; each may have on {faces} (default top), at [u,v] from the face's middle, "
        'from_edge {"left": mm, ...}, flush [sides], rotate, pattern PATTERN.\n'
        f"Patterns (PATTERN): {_listing(PATTERNS)}\n"
        "Rules:\n"
        "- Make the object the request names; use a named part when one fits.\n"
        "- Use every size the request states, in mm, where it says (a radius is half a diameter).\n"
        "- A size the request does not give: choose a sensible one and list it in assumptions.\n"
        f"- quantity only if the request asks for several (at most {MAX_QUANTITY}); never a material, G-code or code.\n"
        f"Examples:\n{examples}"
    )


def messages(prompt: str) -> list:
    return [{"role": "system", "content": system_prompt()}, {"role": "user", "content": prompt}]


def edit_messages(part: dict, instruction: str) -> list:
    """Asking for a change to a part already designed: the model edits the document."""
    ask = (f"The part now: {json.dumps({'part': part}, separators=(',', ':'))}\n"
           f"Change it: {instruction}\nAnswer with the whole changed JSON object; keep what the change does not touch.")
    return [{"role": "system", "content": system_prompt()}, {"role": "user", "content": ask}]


def repair_messages(previous: list, answer_text: str, findings: list) -> list:
    """The conversation so far, the model's answer, and what was found wrong with it."""
    listed = "\n".join(f"- {f}" for f in findings)
    ask = f"That part does not match the request:\n{listed}\nAnswer with the whole corrected JSON object."
    return list(previous) + [{"role": "assistant", "content": answer_text}, {"role": "user", "content": ask}]


def answer_schema() -> dict:
    """JSON schema of an answer: a part document (recursive, ``model.schema``), the sizes the model
    chose, and a quantity. There is no material: it is never the model's to choose."""
    return {
        "type": "object",
        "properties": {
            "part": ref("solid"),
            "assumptions": {"type": "array", "maxItems": MAX_ASSUMPTIONS, "items": {
                "type": "object",
                "properties": {"what": {"type": "string", "maxLength": MAX_WHAT_CHARS}, "value": {"type": "number"}},
                "required": ["what", "value"], "additionalProperties": False}},
            "quantity": {"type": "integer"},
        },
        "required": ["part"],
        "additionalProperties": False,
        "$defs": definitions(),
    }


# -- reading the answer ----------------------------------------------------------------------


def parse_answer(text: str) -> Answer:
    """Answer text -> its document, assumptions and quantity; AnswerError if it is not that shape.
    The document's contents are checked by the caller (``DesignSpec.from_dict``)."""
    if len(text.encode("utf-8", "replace")) > MAX_ANSWER_BYTES:
        raise AnswerError(f"the answer is longer than {MAX_ANSWER_BYTES // 1024} kB")
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    if _GCODE.search(body):
        raise AnswerError("the answer contains G-code")
    try:
        data = json.loads(body, parse_constant=_not_a_number)
    except RecursionError:
        raise AnswerError("the answer is nested too deeply to be a part") from None
    except ValueError as exc:
        raise AnswerError(f"the answer is not valid JSON ({getattr(exc, 'msg', exc)})") from None
    if not isinstance(data, dict):
        raise AnswerError("the answer is not a JSON object")
    extra = sorted(set(data) - set(ANSWER_FIELDS))
    if extra:
        raise AnswerError(f"the answer has fields the schema does not allow: {', '.join(extra)}")
    part = data.get("part")
    if not isinstance(part, dict) or not part:
        raise AnswerError("the answer has no part document ('part')")
    quantity = data.get("quantity")
    if quantity is not None and (not is_number(quantity) or not float(quantity).is_integer()):
        raise AnswerError(f"the answer's quantity is not a whole number: {quantity!r}")
    return Answer(part, _assumed(data.get("assumptions")), None if quantity is None else int(quantity))


def _not_a_number(text: str):
    raise AnswerError(f"the answer has {text}, which is not a number")


def _assumed(items) -> tuple[Assumed, ...]:
    if items is None:
        return ()
    if not isinstance(items, list) or len(items) > MAX_ASSUMPTIONS:
        raise AnswerError(f"the answer's assumptions are not a list of at most {MAX_ASSUMPTIONS}")
    out = []
    for item in items:
        what, value = (item.get("what"), item.get("value")) if isinstance(item, dict) else (None, None)
        if not isinstance(what, str) or not what.strip() or len(what) > MAX_WHAT_CHARS or not is_number(value):
            raise AnswerError(f"an assumption of the answer is not {{\"what\": a short text, \"value\": a number}}: {item!r:.80}")
        out.append(Assumed(" ".join(what.split()), float(value)))
    return tuple(out)


def spec_data(answer: Answer, prompt: str, backend: str) -> dict:
    """The dict for ``DesignSpec.from_dict``: the answer's part plus who understood it."""
    return {
        "part": answer.part,
        "material": None,  # grounding takes a material the request names; never the LLM's
        "quantity": 1 if answer.quantity is None else answer.quantity,
        "backend": backend,
        "prompt": prompt,
    }
