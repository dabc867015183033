"""The one place that talks to OctoPrint's printer and file storage.

OctoPrint 1.11 and 2.0 differ here (2.0 prints through ``file_manager.create_job`` +
``printer.set_job`` and deprecates ``select_file``), so the difference lives in this module only.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Optional

from octoprint.filemanager import FileDestinations
from octoprint.filemanager.util import DiskFileWrapper

from .model.errors import AgentError
from .model.printer import PrinterProfile

FOLDER = "aiagent"


@dataclass(frozen=True)
class PrinterState:
    connected: bool
    operational: bool
    printing: bool
    ready: bool  # operational and idle: a new print may start
    text: str
    current_file: Optional[str]

    def to_dict(self) -> dict:
        return asdict(self)


class PrinterAdapter:
    def __init__(self, printer, file_manager, profile_manager):
        self._printer = printer
        self._files = file_manager
        self._profiles = profile_manager
        # OctoPrint 2.0 prints a job object; 1.11 selects a file.
        self._has_job_api = hasattr(file_manager, "create_job") and hasattr(printer, "set_job")

    # -- state -------------------------------------------------------------------------------

    def state(self) -> PrinterState:
        operational = bool(self._printer.is_operational())
        printing = bool(self._printer.is_printing() or self._printer.is_paused() or self._printer.is_pausing())
        job = (self._printer.get_current_job() or {}).get("file") or {}
        closed = self._printer.is_closed_or_error()
        return PrinterState(
            connected=not closed,
            operational=operational,
            printing=printing,
            ready=bool(self._printer.is_ready()),
            text=str(self._printer.get_state_string()),
            current_file=job.get("path"),
        )

    def profile(self) -> PrinterProfile:
        return PrinterProfile.from_octoprint(self._profiles.get_current_or_default() or {})

    # -- files -------------------------------------------------------------------------------

    def store(self, name: str, source_path: str, metadata: Optional[dict] = None) -> str:
        """Copy a finished file into ``aiagent/`` of OctoPrint's local storage; returns its path there.

        The source is complete before this is called, so the file list never shows half a file.
        """
        path = f"{FOLDER}/{os.path.basename(name)}"
        try:
            self._files.add_folder(FileDestinations.LOCAL, FOLDER, ignore_existing=True)
            stored = self._files.add_file(
                FileDestinations.LOCAL, path, DiskFileWrapper(os.path.basename(name), source_path, move=False), allow_overwrite=True
            )
            if metadata:
                self._files.set_additional_metadata(FileDestinations.LOCAL, stored, "aiagent", metadata, overwrite=True)
        except OSError as exc:
            raise AgentError("storing", f"could not store {name} in OctoPrint's files: {exc.strerror or exc}", reason="failed") from exc
        return stored

    def exists(self, path: str) -> bool:
        return bool(self._files.file_exists(FileDestinations.LOCAL, path))

    def remove(self, path: str) -> None:
        if self.exists(path) and self.state().current_file != path:
            self._files.remove_file(FileDestinations.LOCAL, path)

    def local_path(self, path: str) -> str:
        return self._files.path_on_disk(FileDestinations.LOCAL, path)

    # -- printing ----------------------------------------------------------------------------

    def start_print(self, path: str, user: Optional[str] = None) -> None:
        state = self.state()
        if not state.connected or not state.operational:
            raise AgentError("printing", f"the printer is not connected ({state.text})", reason="conflict", hint="connect the printer first")
        if not state.ready:
            raise AgentError("printing", f"the printer is busy ({state.text})", reason="conflict", hint="wait for the current print to finish")
        if self._has_job_api:
            job = self._files.create_job(FileDestinations.LOCAL, path, owner=user)
            self._printer.set_job(job, print_after_select=True, user=user)
        else:
            self._printer.select_file(path, False, printAfterSelect=True, user=user)

    def cancel_print(self, path: str, user: Optional[str] = None) -> None:
        """Cancel the running print, only if it is the given file."""
        state = self.state()
        if state.current_file == path and state.printing:
            self._printer.cancel_print(user=user)
