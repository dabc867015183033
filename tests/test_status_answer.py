"""The /status answer of the host's Services, with a fake printer: built once and served as the
same bytes while nothing changes; the printer read again after a printer event (or a second at
the latest), the job history's problem at once; the ETag follows the bytes."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest

from octoprint_aiagent import host
from octoprint_aiagent.agent.pipeline import PipelineConfig
from octoprint_aiagent.host import Services
from octoprint_aiagent.model.printer import PrinterProfile
from octoprint_aiagent.printer_adapter import PrinterState


class FakePrinter:
    """What Services reads of the printer adapter, counting the reads of the printer's state."""

    def __init__(self):
        self.reads = 0
        self.text = "Operational"

    def state(self) -> PrinterState:
        self.reads += 1
        operational = self.text == "Operational"
        return PrinterState(connected=self.text != "Offline", operational=operational, printing=False,
                            ready=operational, text=self.text, current_file=None)

    def profile(self) -> PrinterProfile:
        return PrinterProfile(name="fake")


@pytest.fixture
def services():
    plugin = SimpleNamespace(_plugin_version="0.0-test", _settings=SimpleNamespace(get=lambda path: None))
    store = SimpleNamespace(problem=None)
    svc = Services(plugin=plugin, metrics=None, sampler=None, printer=FakePrinter(), slicers={"builtin": "python"})
    svc.runner = SimpleNamespace(pipeline=SimpleNamespace(config=PipelineConfig()), store=store)
    svc.refresh_status()
    return svc


def test_an_unchanged_answer_is_the_same_bytes_and_reads_the_printer_once(services):
    body, etag = services.status()
    answer = json.loads(body)
    assert answer["printer"]["text"] == "Operational" and answer["jobs_problem"] is None
    assert answer["printer_profile"]["name"] == "fake" and "PLA" in answer["materials"]
    for _ in range(1000):
        again, same = services.status()
        assert again is body and same == etag
    assert services.printer.reads == 1


def test_a_printer_event_is_seen_by_the_next_request(services):
    body, etag = services.status()
    services.printer.text = "Offline"
    assert services.status() == (body, etag)  # no event yet, and read less than a second ago
    services.on_octoprint_event("Disconnected", {})
    body, changed = services.status()
    assert changed != etag and json.loads(body)["printer"] == {
        "connected": False, "operational": False, "printing": False, "ready": False, "text": "Offline", "current_file": None}
    reads = services.printer.reads
    services.on_octoprint_event("SettingsUpdated", {})  # not the printer's
    services.status()
    assert services.printer.reads == reads


def test_the_printer_is_read_again_a_second_later_without_an_event(services, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(host.time, "monotonic", lambda: clock[0])
    services._printer_read_at = -float("inf")
    _, etag = services.status()
    services.printer.text = "Printing"
    clock[0] += host.PRINTER_STATE_MAX_AGE_S / 2
    assert services.status()[1] == etag
    clock[0] += host.PRINTER_STATE_MAX_AGE_S
    body, changed = services.status()
    assert changed != etag and json.loads(body)["printer"]["text"] == "Printing"


def test_the_job_history_problem_shows_at_once_and_goes_away(services):
    _, etag = services.status()
    services.runner.store.problem = "the job history cannot be saved (disk I/O error)"
    body, broken = services.status()
    assert broken != etag and json.loads(body)["jobs_problem"] == "the job history cannot be saved (disk I/O error)"
    services.runner.store.problem = None
    assert services.status()[1] == etag


def test_a_settings_change_changes_the_answer_and_its_etag(services):
    _, etag = services.status()
    services.runner.pipeline.config = PipelineConfig(default_material="PETG")
    services.refresh_status()
    body, changed = services.status()
    assert changed != etag and json.loads(body)["default_material"] == "PETG"


def test_the_status_answer_costs_microseconds(services):
    services.status()
    started = time.perf_counter()
    for _ in range(10_000):
        services.status()
    # Two attribute reads, the clock and a tuple comparison: a few microseconds even on a busy
    # machine; reading OctoPrint's printer and serialising took about a hundred.
    assert (time.perf_counter() - started) / 10_000 < 50e-6
