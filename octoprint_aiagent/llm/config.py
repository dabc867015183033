"""What an LLM backend is (settings) and what can go wrong talking to it (errors, status)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

BACKEND_NAMES = ("openai", "ollama")


@dataclass(frozen=True)
class LLMConfig:
    """One LLM backend as configured by an admin.

    ``backend`` is the protocol: "openai" for any OpenAI-compatible ``/v1/chat/completions``
    server (OpenAI, llama-server, vLLM, LM Studio, Ollama's /v1), "ollama" for Ollama's native
    ``/api/chat``. ``timeout_s`` bounds a whole call, retries and waits for a loading model
    included. The API key is kept out of ``repr`` so that logs and tracebacks never show it.
    """

    backend: str
    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    timeout_s: float = 120.0
    max_tokens: int = 1024  # a part document of a few dozen nodes; a runaway answer is cut off, not waited for
    temperature: float = 0.0
    max_retries: int = 3  # answers 429/503 before giving up
    max_retry_wait_s: float = 30.0  # the longest Retry-After we honour

    def __post_init__(self):
        if self.backend not in BACKEND_NAMES:
            raise ValueError(f"unknown LLM backend {self.backend!r} (choose {' or '.join(BACKEND_NAMES)})")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"the LLM base URL must start with http:// or https://, not {self.base_url!r}")
        if not self.model:
            raise ValueError("the LLM model name is empty")
        if self.timeout_s <= 0:
            raise ValueError("the LLM timeout must be positive")

    @property
    def root_url(self) -> str:
        return self.base_url.rstrip("/")


class LLMError(Exception):
    """A call to the LLM backend did not give a usable answer.

    ``kind``: "unreachable" (connect failed), "timeout", "http" (an error status),
    "protocol" (an answer we cannot read), "cancelled".
    """

    def __init__(self, kind: str, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ConnectionStatus:
    """The answer to "does this backend work?", for the settings page."""

    reachable: bool
    message: str
    models: tuple[str, ...] = ()
    model_listed: Optional[bool] = None  # None: not reachable, so unknown

    @property
    def ok(self) -> bool:
        return self.reachable and self.model_listed is not False

    def to_dict(self) -> dict:
        return {"ok": self.ok, "reachable": self.reachable, "message": self.message,
                "models": list(self.models), "model_listed": self.model_listed}
