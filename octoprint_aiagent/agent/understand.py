"""Understanding a request: the LLM when one is configured, the offline parser otherwise or when
the LLM's answer cannot be used.

An LLM answer is used only if it passes every check we would apply to a user's spec
(``DesignSpec.from_dict``) and the grounding rule (``ground_spec``: numbers the prompt states must
match it). When it does not, the offline parser's spec is returned with a note saying why the
LLM's answer was not used; the user sees that note, so no fallback is silent.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import replace
from typing import Optional

from ..llm import prompting
from ..llm.cache import InFlight, SpecCache, request_key
from ..llm.config import ConnectionStatus, LLMConfig, LLMError
from ..llm.loop import LoopThread
from ..model.errors import AgentError, Cancelled
from ..model.progress import StageContext
from ..model.spec import DesignSpec

STAGE = "understanding"
WAIT_GRACE_S = 5.0  # the transport enforces config.timeout_s; this only guards against a stuck loop


class Understander:
    """Shared by all jobs: one loop thread, one result cache, one table of calls in flight."""

    def __init__(self, loop: LoopThread, metrics=None, cache: Optional[SpecCache] = None, inflight: Optional[InFlight] = None):
        self.loop = loop
        self.metrics = metrics
        self.cache = cache if cache is not None else SpecCache(metrics=metrics)
        self.inflight = inflight if inflight is not None else InFlight(metrics)

    def understand(self, prompt: str, config: Optional[LLMConfig], ctx: Optional[StageContext] = None) -> DesignSpec:
        """Prompt -> validated spec. Raises AgentError (stage "understanding") or Cancelled."""
        from ..language.parser import parse_prompt

        ctx = ctx if ctx is not None else StageContext()
        ctx.check(STAGE)
        if config is None:
            return parse_prompt(prompt)
        try:
            return self._ask_llm(prompt, config, ctx)
        except Cancelled:
            raise
        except LLMError as exc:
            return self._offline(prompt, exc.message, llm_broke=True)
        except (prompting.AnswerError, AgentError) as exc:
            return self._offline(prompt, getattr(exc, "message", str(exc)), llm_broke=False)

    def check_connection(self, config: LLMConfig) -> ConnectionStatus:
        """For the settings page: is the backend reachable and does it offer the model?"""
        from ..llm.backends import validate_connection

        return self.loop.run(lambda client: validate_connection(client, config, self.metrics), timeout=config.timeout_s + WAIT_GRACE_S)

    def _ask_llm(self, prompt: str, config: LLMConfig, ctx: StageContext) -> DesignSpec:
        from ..language.grounding import ground_spec
        from ..llm.backends import complete_json

        key = request_key(prompt, config.backend, config.base_url, config.model)
        cached = self.cache.get(key)
        if cached is not None:
            return replace(cached, prompt=prompt)
        ctx.report(STAGE, 0.1, f"asking {config.model}")
        messages, schema = prompting.messages(prompt), prompting.answer_schema()

        async def ask(client):
            return await self.inflight.run(key, lambda: complete_json(client, config, messages, schema, self.metrics))

        try:
            text = self.loop.run(ask, timeout=config.timeout_s + WAIT_GRACE_S, should_cancel=lambda: ctx.cancelled)
        except concurrent.futures.CancelledError:
            raise Cancelled(STAGE) from None
        except concurrent.futures.TimeoutError:
            raise LLMError("timeout", f"no answer from {config.root_url} within {config.timeout_s:g} s") from None
        ctx.check(STAGE)
        answer = prompting.parse_answer(text)
        spec = DesignSpec.from_dict(prompting.spec_data(answer, prompt, config.backend))
        spec = ground_spec(prompt, spec)
        self.cache.put(key, spec)
        return spec

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
