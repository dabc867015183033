"""Errors as values with messages: which stage failed, why, and what the user can do.

Every failure the pipeline can meet is an ``AgentError``. The host turns ``reason`` into an
HTTP status and the command line into an exit code, so neither has to guess from message text.
"""

from __future__ import annotations

from dataclasses import dataclass

# Why a stage stopped. "invalid": the user's input cannot be served as asked (4xx, exit 2).
# "failed": something we depend on broke (slicer crash, LLM down, disk full) (5xx/502, exit 1).
# "cancelled": the user asked us to stop. "conflict": the printer is busy or not ready, or the
# job is in the wrong state (409). "not_found": no such job or file (404). "busy": too much work
# queued or too many requests; try again later (429). "unavailable": the plugin cannot take work
# now (its job history cannot be saved) or at all (designing on a 32-bit Python) (503).
REASONS = ("invalid", "failed", "cancelled", "conflict", "not_found", "busy", "unavailable")

HTTP_STATUS = {"invalid": 422, "failed": 502, "cancelled": 409, "conflict": 409, "not_found": 404, "busy": 429, "unavailable": 503}
EXIT_CODE = {"invalid": 2, "failed": 1, "cancelled": 1, "conflict": 1, "not_found": 2, "busy": 1, "unavailable": 1}


class AgentError(Exception):
    """A stage could not do its work. ``message`` is a sentence a maker can act on."""

    def __init__(self, stage: str, message: str, *, reason: str = "invalid", hint: str = "", retry_after: int = 0):
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.reason = reason
        self.hint = hint
        self.retry_after = retry_after  # seconds, for "busy"

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.reason]

    @property
    def exit_code(self) -> int:
        return EXIT_CODE[self.reason]

    def to_dict(self) -> dict:
        return ErrorInfo(self.stage, self.message, self.reason, self.hint).to_dict()

    def __str__(self) -> str:
        return f"{self.stage}: {self.message}" + (f" ({self.hint})" if self.hint else "")


class Cancelled(AgentError):
    def __init__(self, stage: str, message: str = "cancelled by the user"):
        super().__init__(stage, message, reason="cancelled")


@dataclass(frozen=True)
class ErrorInfo:
    """The serialisable form of an AgentError, as stored in a job record."""

    stage: str
    message: str
    reason: str = "failed"
    hint: str = ""

    def to_dict(self) -> dict:
        return {"stage": self.stage, "message": self.message, "reason": self.reason, "hint": self.hint}

    @classmethod
    def from_dict(cls, data: dict) -> ErrorInfo:
        return cls(data["stage"], data["message"], data.get("reason", "failed"), data.get("hint", ""))
