"""The LLM designs, and checks its own work by measuring it.

One round: the model answers with a part document; the answer is read (size, G-code, shape),
validated (``DesignSpec.from_dict``: node and depth limits, bounds, errors naming the node), held
to the request (``language.grounding``), built and measured (``inspect``: in the design worker
process in the plugin). Every contradiction becomes a finding in a sentence the model can act on
("the request says 40 mm ('40 mm wide'), but no size of the part is 40 mm; it has box width 42;
the part measures 60.0 x 42.0 x 10.0 mm", "part.union[1] starts 5 mm above the top of
part.union[0]", "it cannot be printed: ..."). With findings, the model is shown them and asked
for the whole corrected document, up to ``rounds`` answers within the deadline. A round without
findings ends the loop with a spec that passed grounding and printability; each round's findings
become notes of the job, so the user sees what was corrected.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional

from ..language.grounding import Grounding, ground
from ..llm import prompting
from ..llm.config import LLMError
from ..model.errors import AgentError, Cancelled
from ..model.progress import StageContext
from ..model.spec import DesignSpec

STAGE = "understanding"
DEFAULT_ROUNDS = 3

Ask = Callable[[list, float], str]  # (messages, seconds left) -> answer text; raises LLMError or Cancelled
Inspect = Callable[[DesignSpec, StageContext], dict]  # spec -> agent.inspect.inspect_part's result; raises AgentError


@dataclass(frozen=True)
class Goal:
    """What the model is asked for: ``request`` is the text its part is held to (the request, or
    the change asked for), ``prompt`` what the spec records, ``before`` the part being changed."""

    request: str
    prompt: str
    messages: list
    backend: str
    before: Optional[DesignSpec] = None


@dataclass(frozen=True)
class Round:
    number: int
    findings: tuple[str, ...]
    measured: str = ""  # "40.0 x 40.0 x 40.0 mm", when the part could be built

    def note(self) -> str:
        if self.findings:
            return f"LLM round {self.number}: " + "; ".join(self.findings)
        return f"LLM round {self.number}: the part matches the request ({self.measured})"


@dataclass(frozen=True)
class Outcome:
    spec: Optional[DesignSpec]  # None: no round's part matched the request
    rounds: tuple[Round, ...]

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(r.note() for r in self.rounds)

    def summary(self) -> str:
        n = len(self.rounds)
        return f"after {n} round{'s' if n != 1 else ''} its part did not match the request: " + "; ".join(self.notes)


def design(goal: Goal, ask: Ask, inspect: Inspect, rounds: int, deadline: float, ctx: StageContext) -> Outcome:
    """Ask, check, and ask again with the findings, until a part matches or the rounds or the time
    run out. Raises LLMError when the first answer cannot be had (the model is not there), Cancelled."""
    messages = goal.messages
    done: list[Round] = []
    for number in range(1, rounds + 1):
        left = deadline - time.monotonic()
        if left <= 0:
            done.append(Round(number, ("no time was left for this round (the LLM timeout)",)))
            break
        ctx.report(STAGE, 0.1 + 0.8 * (number - 1) / rounds, f"round {number} of {rounds}: asking the LLM")
        try:
            text = ask(messages, left)
        except LLMError as exc:
            if number == 1:
                raise
            done.append(Round(number, (f"no answer: {exc.message}",)))
            break
        ctx.check(STAGE)
        ctx.report(STAGE, 0.1 + 0.8 * (number - 0.5) / rounds, f"round {number} of {rounds}: measuring the LLM's part")
        spec, findings, measured = check_answer(goal, text, inspect, ctx)
        done.append(Round(number, tuple(findings), measured))
        if not findings:
            return Outcome(spec, tuple(done))
        messages = prompting.repair_messages(messages, text, findings)
    return Outcome(None, tuple(done))


def check_answer(goal: Goal, text: str, inspect: Inspect, ctx: StageContext) -> tuple[Optional[DesignSpec], list[str], str]:
    """(the grounded spec, what is wrong with it, its measured size) for one answer. Raises
    AgentError when the request itself cannot be read or the part cannot be measured for a
    reason that is not the answer's (the design process failed), and Cancelled."""
    try:
        answer = prompting.parse_answer(text)
        spec = DesignSpec.from_dict(prompting.spec_data(answer, goal.prompt, goal.backend))
    except prompting.AnswerError as exc:
        return None, [str(exc)], ""
    except AgentError as exc:
        return None, [exc.message], ""
    grounding = ground(goal.request, spec, answer.assumptions, goal.before)
    try:
        inspection = inspect(grounding.spec, ctx)
    except Cancelled:
        raise
    except AgentError as exc:
        if exc.reason != "invalid":
            raise
        return None, list(grounding.findings) + [exc.message], ""
    findings = list(grounding.findings) + part_findings(grounding, inspection)
    return grounding.spec, findings, _size(inspection["measurement"]["extents"]) + " mm"


def part_findings(grounding: Grounding, inspection: dict) -> list[str]:
    """What the built part shows against the request: stated sizes and holes it lacks, pieces
    that do not touch, and what stops it printing."""
    measured = inspection["measurement"]
    holes = measured["holes"]
    lengths = list(measured["extents"]) + [h["diameter"] for h in holes]
    out = [m.message for m in grounding.missing if not m.seen(lengths, len(holes))]
    if out:  # what the part is, once, so that the model sees what it made
        out.append(f"the part measures {_size(measured['extents'])} mm"
                   + (" with holes of " + ", ".join(f"{h['diameter']:.1f}" for h in holes) + " mm" if holes else ""))
    if measured["bodies"] > 1:
        out += inspection["loose"] or [f"the part is {measured['bodies']} separate pieces that do not touch; join them"]
    out += [f"it cannot be printed: {c['message']}" for c in inspection["report"]["checks"] if c["level"] == "error"]
    return out


def _size(extents) -> str:
    return " x ".join(f"{v:.1f}" for v in extents)
