"""Fixtures the reliability modules share. Each module defines its own ``server`` (the shared
OctoPrint, or a private one with its own configuration); these build on it."""

from __future__ import annotations

import pytest

from ..fake_llm_server import FakeLLMServer
from .helpers import SocketWatch


@pytest.fixture(scope="module")
def fake_llm():
    """A scripted OpenAI-compatible server on loopback."""
    with FakeLLMServer() as fake:
        yield fake


@pytest.fixture(scope="module")
def terminal(server):
    """OctoPrint's own socket, watched: every command sent to the printer is seen."""
    watch = SocketWatch(server)
    watch.prove_it_sees(server)
    yield watch
    watch.close()
