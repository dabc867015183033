"""What the reliability tests share: private servers, extra users, a terminal watcher over
OctoPrint's own socket, and the checks made after every fault (history, files, database)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import websocket  # websocket-client, a dependency of OctoPrint

from ..conftest import ARTIFACTS, FAST_VIRTUAL_PRINTER
from ..octoprint_server import ADMIN, OctoPrintServer

JOBS = "/plugin/aiagent/jobs"
OPENAPI = Path(__file__).resolve().parents[2] / "openapi.yaml"
FINAL = ("ready", "done", "failed", "cancelled")
# What OctoPrint sends on its own to an idle printer: temperature and position polls, the
# handshake after a connect. Anything else in the terminal came from someone.
MARKER = "M117 reliability watch"
SENT_PREFIXES = ("Send: ", ">>> ")  # how the terminal marks a line sent: OctoPrint 1.x, 2.0
POLLING = frozenset(("M105", "M110", "M115", "M114", "M27", "M21", "M20", "M155", "M220"))


# -- the API's description ---------------------------------------------------------------------


def load_spec() -> dict:
    import yaml  # a dependency of OctoPrint

    return yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))


def operations(spec: dict) -> list:
    """(METHOD, path template, operation) for every operation, path-level parameters merged in."""
    ops = []
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                ops.append((method.upper(), path, dict(op, parameters=shared + op.get("parameters", []))))
    return ops


# -- servers ---------------------------------------------------------------------------------


@contextlib.contextmanager
def environment(**overrides: Optional[str]) -> Iterator[None]:
    """``os.environ`` changed while a server starts (it inherits the test process's environment)."""
    saved = {k: os.environ.get(k) for k in overrides}
    try:
        for key, value in overrides.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def private_server(basedir: Path, name: str, config: Optional[dict] = None, env: Optional[dict] = None) -> Iterator[OctoPrintServer]:
    """A server of one's own, with the fast Virtual Printer connected; its log is kept as an artifact."""
    server = OctoPrintServer.create(basedir)
    server.update_config(FAST_VIRTUAL_PRINTER)
    if config:
        server.update_config(config)
    try:
        with environment(**(env or {})):
            server.start()
        server.connect_virtual_printer()
        yield server
    finally:
        server.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"reliability-{name}-octoprint.log").write_text(server.octoprint_log())


def restart(server: OctoPrintServer, sig: int = signal.SIGTERM, env: Optional[dict] = None, stop_timeout: float = 30.0) -> None:
    """Stop with ``sig`` (SIGKILL after ``stop_timeout``) and start again with the same environment."""
    server.stop(sig, timeout=stop_timeout)
    with environment(**(env or {})):
        server.start()


def add_user(server: OctoPrintServer, name: str, groups=("users",), permissions=()) -> str:
    """A user with an API key; with ``permissions``, in a group of its own holding exactly those."""
    groups = list(groups)
    if permissions:
        group = f"{name}_group"
        r = server.post("/api/access/groups", {"key": group, "name": group, "description": "tests", "permissions": list(permissions), "subgroups": [], "default": False})
        assert r.status == 200, (r.status, r.body)
        groups = [group]
    password = f"pw-{name}-{os.getpid()}"
    r = server.post("/api/access/users", {"name": name, "password": password, "active": True, "groups": groups, "permissions": []})
    assert r.status == 200, (r.status, r.body)
    r = server.post(f"/api/access/users/{name}/apikey", {})
    assert r.status == 200, (r.status, r.body)
    server.api_keys[name] = r.json()["apikey"]
    server.passwords[name] = password
    return name


# -- jobs, files, database -------------------------------------------------------------------


def submit(server: OctoPrintServer, user: str = ADMIN, **body) -> dict:
    r = server.post(JOBS, body, user=user)
    assert r.status == 202, (r.status, r.body[:500])
    return r.json()


def all_jobs(server: OctoPrintServer, user: str = ADMIN) -> dict:
    r = server.get(f"{JOBS}?limit=200", user=user)
    assert r.status == 200, (r.status, r.body[:500])
    return {j["id"]: j for j in r.json()["jobs"]}


def settle(server: OctoPrintServer, user: Optional[str] = None, timeout: float = 120.0) -> None:
    """Cancel what ``user`` (or anyone) still has running and wait until all of it is final."""
    def mine(job: dict) -> bool:
        return user is None or job["user"] == user

    for job in all_jobs(server).values():
        if mine(job) and job["state"] not in FINAL:
            server.post(f"{JOBS}/{job['id']}/cancel", user=ADMIN)
    server.wait_for(lambda: all(j["state"] in FINAL for j in all_jobs(server).values() if mine(j)), timeout, f"{user or 'all'} jobs to finish")


def configure(server: OctoPrintServer, **values) -> None:
    """Save plugin settings and give OctoPrint's event thread a moment: the plugin applies them on
    the SettingsUpdated event, after the save has answered (a job sent at once may miss them)."""
    server.set_plugin_settings(**values)
    time.sleep(1.0)


def uploads(server: OctoPrintServer) -> set:
    """Every file in OctoPrint's local storage, relative to it, but OctoPrint's own metadata files."""
    root = server.basedir / "uploads"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name != ".metadata.json"}


def listed_files(server: OctoPrintServer) -> set:
    r = server.get("/api/files/local?recursive=true")
    assert r.status == 200, r.body[:300]

    def walk(entries):
        for entry in entries:
            if entry.get("type") == "folder":
                yield from walk(entry.get("children", []))
            else:
                yield entry["path"]

    return set(walk(r.json()["files"]))


def jobs_db(server: OctoPrintServer) -> Path:
    return server.basedir / "data" / "aiagent" / "jobs.sqlite3"


def db_check(server: OctoPrintServer) -> tuple[str, dict]:
    """(``PRAGMA integrity_check``, {id: state}) of the jobs database, read as a second client."""
    db = sqlite3.connect(str(jobs_db(server)), timeout=30)
    try:
        (verdict,) = db.execute("PRAGMA integrity_check").fetchone()
        states = {row[0]: json.loads(row[1])["state"] for row in db.execute("SELECT id, data FROM jobs")}
    finally:
        db.close()
    return verdict, states


def printer_flags(server: OctoPrintServer) -> dict:
    return server.printer_state().get("flags", {})


# -- OctoPrint's socket ------------------------------------------------------------------------


class SocketWatch:
    """A SockJS (raw websocket) client of OctoPrint, logged in as ``user`` (or anonymous):
    collects the terminal lines sent to the printer and every plugin message it is given."""

    def __init__(self, server: OctoPrintServer, user: Optional[str] = ADMIN):
        self.sent: list = []
        self.plugin_messages: list = []
        self.events: list = []
        self.received = 0
        self._stop = threading.Event()
        self._ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/sockjs/websocket", timeout=1)
        if user:
            session = server.post("/api/login", {"passive": True}, user=user).json()["session"]
            self._ws.send(json.dumps({"auth": f"{user}:{session}"}))
        self._thread = threading.Thread(target=self._run, name=f"socket-{user}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                raw = self._ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketException, OSError):
                return
            if not raw:
                continue
            message = json.loads(raw)
            self.received += 1
            for line in (message.get("current") or {}).get("logs") or ():
                for prefix in SENT_PREFIXES:
                    if line.startswith(prefix):
                        self.sent.append(_command(line[len(prefix):]))
            if "plugin" in message:
                self.plugin_messages.append(message["plugin"])
            if "event" in message:
                self.events.append(message["event"])

    def prove_it_sees(self, server: OctoPrintServer, timeout: float = 15.0) -> None:
        """Send a harmless display message and wait for it: a watcher that sees nothing proves nothing.
        (OctoPrint hides its own idle polls from the terminal, so an idle printer shows no "Send:".)"""
        r = server.post("/api/printer/command", {"commands": [MARKER]})
        assert r.status == 204, (r.status, r.body)
        OctoPrintServer.wait_for(lambda: MARKER in self.sent, timeout, "the watcher to see a command")

    def commands(self) -> set:
        """Commands sent to the printer that neither OctoPrint nor the watcher sent by itself."""
        return {c for c in self.sent if c.split(" ")[0] not in POLLING and c != MARKER}

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(Exception):
            self._ws.close()
        self._thread.join(5)


def _command(line: str) -> str:
    """'N12 G28 Z-100*57' -> 'G28 Z-100'."""
    line = line.split("*", maxsplit=1)[0].strip()
    if line.startswith("N") and " " in line:
        line = line.split(" ", 1)[1]
    return line

