"""Settings through OctoPrint's own settings API: numbers stay numbers, the LLM key stays secret."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.octoprint


def plugin_settings(octoprint) -> dict:
    return octoprint.get("/api/settings").json()["plugins"]["aiagent"]


def test_number_settings_are_coerced_and_bounded(octoprint):
    try:
        octoprint.set_plugin_settings(infill_percent="35", llm={"timeout": "90"})
        settings = plugin_settings(octoprint)
        assert settings["infill_percent"] == 35 and settings["llm"]["timeout"] == 90.0
        octoprint.set_plugin_settings(infill_percent="lots", slicer_timeout=-5)
        settings = plugin_settings(octoprint)
        assert settings["infill_percent"] == 35  # the bad value was not saved
        assert settings["slicer_timeout"] == 600
    finally:
        octoprint.set_plugin_settings(infill_percent=20, llm={"timeout": 60})


def test_api_key_is_write_only(octoprint):
    try:
        octoprint.set_plugin_settings(llm={"api_key": "sk-test-write-only-123"})
        settings = plugin_settings(octoprint)
        assert settings["llm"]["api_key"] is None and settings["llm"]["api_key_set"] is True
        # The browser sends back what it has (no key): the stored key must survive that.
        octoprint.set_plugin_settings(llm={"api_key": None, "api_key_set": True, "backend": "offline"})
        assert plugin_settings(octoprint)["llm"]["api_key_set"] is True
        octoprint.set_plugin_settings(llm={"clear_api_key": True})
        assert plugin_settings(octoprint)["llm"]["api_key_set"] is False
    finally:
        octoprint.set_plugin_settings(llm={"clear_api_key": True})


def test_status_lists_material_presets_with_overrides(octoprint):
    try:
        octoprint.set_plugin_settings(materials={"PLA": {"nozzle_temp": 205}})
        status = octoprint.get("/plugin/aiagent/status").json()
        assert status["materials"]["PLA"]["nozzle_temp"] == 205
        assert status["materials"]["PETG"]["nozzle_temp"] == 240
        assert status["qualities"]["fine"]["layer_height"] == 0.12
    finally:
        octoprint.set_plugin_settings(materials={"PLA": {"nozzle_temp": 210}})
