"""Shared fixtures. ``octoprint`` is a real OctoPrint server with this plugin and the Virtual
Printer connected, started once per test session (start-up costs 6-10 s)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .octoprint_server import OctoPrintServer

DATA = Path(__file__).parent / "data"
ARTIFACTS = Path(os.environ.get("AIAGENT_TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))

# The environment of a Python without the native libraries designing needs, as on a 32-bit Python
# (see without_native/sitecustomize.py).
WITHOUT_NATIVE = {"PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent / "without_native"), os.environ.get("PYTHONPATH")]))}

# The Virtual Printer reports temperatures every second while it heats; a shorter interval lets
# tests see M109/M190 finish sooner. (Move times are scaled with M220, see connect_virtual_printer.)
FAST_VIRTUAL_PRINTER = {"plugins": {"virtual_printer": {"enabled": True, "waitInterval": 0.2}}}


def dev_prompts() -> list:
    with open(DATA / "dev_prompts.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def running_octoprint(tmp_path_factory, config: dict = None, plugin_files: dict = None):
    """A started OctoPrint with the Virtual Printer connected; stopped (log kept) at the end.
    ``config`` is merged into config.yaml; ``plugin_files`` (path -> text) are written into the
    server's plugins folder, where OctoPrint finds plugins that are not installed packages."""
    server = OctoPrintServer.create(tmp_path_factory.mktemp("octoprint"))
    server.update_config(FAST_VIRTUAL_PRINTER)
    if config:
        server.update_config(config)
    for name, text in (plugin_files or {}).items():
        path = server.basedir / "plugins" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    server.start()
    try:
        server.connect_virtual_printer()
        yield server
    finally:
        server.stop()
        log = server.octoprint_log()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"octoprint-{server.port}.log").write_text(log)


@pytest.fixture(scope="session")
def octoprint(tmp_path_factory):
    yield from running_octoprint(tmp_path_factory)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
