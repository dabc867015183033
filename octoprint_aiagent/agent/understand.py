"""Understanding a request: the LLM when one is configured, the offline parser otherwise or when
the LLM's part cannot be used.

With an LLM, understanding is designing: the model answers with a part document, which is
checked by building and measuring it, and repaired with the model for up to ``rounds`` answers
(design_loop.py). A part is used only if it passed every check we would apply to a user's spec
(``DesignSpec.from_dict``), grounding and printability. When no round's part does, the offline
parser's spec is returned with a note saying why the LLM's was not used (the rounds' findings);
when the parser does not understand the request either, the job fails with those findings. No
fallback is silent. Changing a part ("make the holes M4") goes the same way (``refine``).
"""

from __future__ import annotations

import concurrent.futures
import json
import time
from dataclasses import replace
from typing import Optional

from ..llm import prompting
from ..llm.cache import InFlight, SpecCache, request_key
from ..llm.config import ConnectionStatus, LLMConfig, LLMError
from ..llm.loop import LoopThread
from ..model.errors import AgentError, Cancelled
from ..model.printer import PrinterProfile
from ..model.progress import StageContext
from ..model.spec import DesignSpec
from .design_loop import DEFAULT_ROUNDS, Goal, Inspect, Outcome, design

STAGE = "understanding"
WAIT_GRACE_S = 5.0  # the transport enforces each call's timeout; this only guards against a stuck loop


def call_key(config: LLMConfig, messages: list) -> tuple:
    """Calls that must get the same answer: one model, one conversation. Identical ones in flight
    at once share one call (two users asking the same thing)."""
    return (config.backend, config.base_url.rstrip("/"), config.model, json.dumps(messages, sort_keys=True))


def inspect_in_process(printer: PrinterProfile, clearance: float = 0.2) -> Inspect:
    """Build and measure in this process (the command line; the plugin uses its design worker)."""
    def inspect(spec: DesignSpec, ctx: StageContext) -> dict:
        from .inspect import inspect_part

        return inspect_part(spec.to_dict(), printer.to_dict(), clearance)

    return inspect


class Understander:
    """Shared by all jobs: one loop thread, one result cache, one table of calls in flight, and
    the way parts are built and measured (``inspect``)."""

    def __init__(self, loop: Optional[LoopThread], metrics=None, cache: Optional[SpecCache] = None, inflight: Optional[InFlight] = None,
                 inspect: Optional[Inspect] = None):
        self.loop = loop
        self.metrics = metrics
        self.cache = cache if cache is not None else SpecCache(metrics=metrics)
        self.inflight = inflight if inflight is not None else InFlight(metrics)
        self.inspect = inspect or inspect_in_process(PrinterProfile())

    def understand(self, prompt: str, config: Optional[LLMConfig], ctx: Optional[StageContext] = None,
                   rounds: int = DEFAULT_ROUNDS) -> DesignSpec:
        """Prompt -> validated spec. Raises AgentError (stage "understanding") or Cancelled."""
        from ..language.parser import parse_prompt

        ctx = ctx if ctx is not None else StageContext()
        ctx.check(STAGE)
        if config is None:
            return parse_prompt(prompt)
        key = request_key(prompt, config.backend, config.base_url, config.model)
        cached = self.cache.get(key)
        if cached is not None:
            return replace(cached, prompt=prompt)
        goal = Goal(prompt, prompt, prompting.messages(prompt), config.backend)
        try:
            outcome = self._design(goal, config, ctx, rounds)
        except Cancelled:
            raise
        except LLMError as exc:
            return self._offline(prompt, exc.message, llm_broke=True)
        except AgentError as exc:
            return self._offline(prompt, exc.message, llm_broke=exc.reason == "failed")
        if outcome.spec is None:
            return self._offline(prompt, outcome.summary(), llm_broke=False)
        spec = replace(outcome.spec, notes=outcome.spec.notes + outcome.notes)
        self.cache.put(key, spec)
        return spec

    def refine(self, spec: DesignSpec, instruction: str, config: Optional[LLMConfig], ctx: Optional[StageContext] = None,
               rounds: int = DEFAULT_ROUNDS) -> DesignSpec:
        """A change to a designed part ("make the holes M4"): the LLM edits the document and the
        loop measures the change; offline, or when the LLM's change cannot be used, the offline
        reader's (``refine_spec``), with a note."""
        from ..language.refine import refine_spec

        ctx = ctx if ctx is not None else StageContext()
        ctx.check(STAGE)
        if config is None:
            return refine_spec(spec, instruction)
        said = f"{spec.prompt} / {instruction}" if spec.prompt else instruction
        goal = Goal(instruction, said, prompting.edit_messages(spec.part, instruction), config.backend, before=spec)
        try:
            outcome: Outcome = self._design(goal, config, ctx, rounds)
            reason = outcome.summary()
        except Cancelled:
            raise
        except (LLMError, AgentError) as exc:
            outcome, reason = Outcome(None, ()), exc.message
        if outcome.spec is not None:
            return replace(outcome.spec, notes=spec.notes + (f"changed by the LLM ('{instruction}')",) + outcome.notes)
        try:
            refined = refine_spec(spec, instruction)
        except AgentError as exc:
            raise AgentError(STAGE, f"the LLM's change was not used ({reason}) and the offline reader did not understand "
                                    f"the change: {exc.message}", reason=exc.reason, hint=exc.hint) from exc
        return replace(refined, notes=refined.notes + (f"the LLM's change was not used: {reason}; changed offline",))

    def check_connection(self, config: LLMConfig) -> ConnectionStatus:
        """For the settings page: is the backend reachable and does it offer the model?"""
        from ..llm.backends import validate_connection

        return self.loop.run(lambda client: validate_connection(client, config, self.metrics), timeout=config.timeout_s + WAIT_GRACE_S)

    def _design(self, goal: Goal, config: LLMConfig, ctx: StageContext, rounds: int) -> Outcome:
        """The design loop, all its rounds within the LLM timeout."""
        from ..llm.backends import complete_json

        schema = prompting.answer_schema()

        def ask(messages: list, left: float) -> str:
            call = replace(config, timeout_s=min(config.timeout_s, left))
            shared = call_key(config, messages)

            async def run(client):
                return await self.inflight.run(shared, lambda: complete_json(client, call, messages, schema, self.metrics))

            try:
                return self.loop.run(run, timeout=call.timeout_s + WAIT_GRACE_S, should_cancel=lambda: ctx.cancelled)
            except concurrent.futures.CancelledError:
                raise Cancelled(STAGE) from None
            except concurrent.futures.TimeoutError:
                raise LLMError("timeout", f"no answer from {config.root_url} within {round(call.timeout_s, 2):g} s") from None

        return design(goal, ask, self.inspect, rounds, time.monotonic() + config.timeout_s, ctx)

    def _offline(self, prompt: str, llm_reason: str, llm_broke: bool) -> DesignSpec:
        from ..language.parser import parse_prompt

        try:
            spec = parse_prompt(prompt)
        except AgentError as exc:
            raise AgentError(
                STAGE,
                f"the LLM answer was not used ({llm_reason}) and the offline parser did not understand the request: {exc.message}",
                # An LLM that is down is a broken dependency; an answer we rejected is about the request.
                reason="failed" if llm_broke else exc.reason,
                hint=exc.hint or "state the object and each of its sizes, e.g. 'a cylinder 20 mm wide and 30 mm tall'",
            ) from exc
        return replace(spec, notes=tuple(spec.notes) + (f"the LLM answer was not used: {llm_reason}; understood offline",))
