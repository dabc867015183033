"""A real OctoPrint server for tests: its own basedir, a loopback port, the Virtual Printer.

It runs the OctoPrint installed in the test interpreter's environment (1.11.x or 2.0), with this
plugin installed there, exactly as a user runs it; or the OctoPrint of another Python given as
``python`` (the install tests' fresh OctoPrint without the plugin).
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ADMIN = "admin"
VIEWER = "viewer"  # a read-only user: may look at OctoPrint, may not design or print
# Log lines at WARNING or above that are no problem of the plugin's: the access log's ERROR lines
# record answers of 500 and above (some on purpose), and offline, the Software Update plugin
# cannot reach GitHub for the plugin's release check.
# Not the plugin's: access lines, the offline update check, and OctoPrint's own analysis of a G-code
# file that a print started right after the upload cuts short (OctoPrint logs it as an ERROR now
# and then, depending on timing, and analyses the file again later; seen once under load).
EXPECTED_IN_LOG = (" - tornado.access - ", "for updates due to a network error", "ran into error: No analysis result found")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mapped_files(pid: int) -> set:
    """The names of the files process ``pid`` has mapped (its shared libraries among them)."""
    with open(f"/proc/{pid}/maps") as maps:
        return {Path(line.split(None, 5)[5]).name for line in maps.read().splitlines() if len(line.split(None, 5)) == 6}


def octoprint_major() -> int:
    from octoprint import __version__

    return int(__version__.split(".")[0])


def _config_yaml(port: int) -> str:
    blocklist = "pluginBlocklist" if octoprint_major() >= 2 else "pluginBlacklist"
    return f"""\
server:
  host: 127.0.0.1
  port: {port}
  firstRun: false
  onlineCheck: {{enabled: false}}
  {blocklist}: {{enabled: false}}
  pythonEolCheck: {{enabled: false}}
devel:
  enableRateLimiter: false
  virtualPrinter:
    enabled: true
plugins:
  virtual_printer: {{enabled: true}}
  tracking: {{enabled: false}}
  softwareupdate: {{checks: {{octoprint: {{disabled: true}}}}}}
  _disabled: [announcements, tracking, errortracking]
"""


@dataclass
class Response:
    status: int
    headers: object  # http.client.HTTPMessage: case-insensitive, as HTTP headers are
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class OctoPrintServer:
    basedir: Path
    port: int
    api_keys: dict = field(default_factory=dict)  # user -> key
    passwords: dict = field(default_factory=dict)  # user -> password, for browser logins
    process: Optional[subprocess.Popen] = None
    log_path: Optional[Path] = None
    python: str = sys.executable  # the Python whose OctoPrint runs

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def create(cls, basedir: Optional[Path] = None, port: Optional[int] = None, extra_config: str = "", python: Optional[str] = None) -> OctoPrintServer:
        basedir = Path(basedir or tempfile.mkdtemp(prefix="aiagent-octoprint-"))
        basedir.mkdir(parents=True, exist_ok=True)
        server = cls(basedir=basedir, port=port or free_port(), python=python or sys.executable)
        (basedir / "config.yaml").write_text(_config_yaml(server.port) + extra_config)
        server._add_user(ADMIN, admin=True)
        server._add_user(VIEWER, groups=["readonly"])
        server._set_api_keys()
        return server

    def update_config(self, changes: dict) -> None:
        """Merge ``changes`` into config.yaml (before start: OctoPrint rewrites the file itself)."""
        import yaml

        def merge(base: dict, extra: dict) -> dict:
            for key, value in extra.items():
                base[key] = merge(base.get(key) or {}, value) if isinstance(value, dict) else value
            return base

        path = self.basedir / "config.yaml"
        path.write_text(yaml.safe_dump(merge(yaml.safe_load(path.read_text()) or {}, changes)))

    def _octoprint(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        cmd = [self.python, "-m", "octoprint", "--basedir", str(self.basedir), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True, cwd=self.basedir, **kwargs)

    def _add_user(self, name: str, admin: bool = False, groups=()) -> None:
        self.passwords[name] = secrets.token_hex(8)
        args = ["user", "add", "--password", self.passwords[name]]
        if admin:
            args.append("--admin")
        for g in groups:
            args += ["--group", g]
        self._octoprint(*args, name)

    def _set_api_keys(self) -> None:
        """OctoPrint has no CLI for API keys: write known keys into users.yaml before start."""
        import yaml  # OctoPrint depends on PyYAML

        users_file = self.basedir / "users.yaml"
        users = yaml.safe_load(users_file.read_text())
        for name in [n for n in users if not n.startswith("_")]:
            key = secrets.token_hex(16).upper()
            users[name]["apikey"] = key
            self.api_keys[name] = key
        users_file.write_text(yaml.safe_dump(users))

    # -- process -----------------------------------------------------------------------------

    def start(self, timeout: float = 90.0) -> OctoPrintServer:
        self.log_path = self.basedir / "serve.log"
        log = open(self.log_path, "ab")
        cmd = [self.python, "-m", "octoprint", "serve", "--basedir", str(self.basedir), "--host", "127.0.0.1", "--port", str(self.port)]
        if os.geteuid() == 0:
            cmd.append("--iknowwhatimdoing")
        # Started in its basedir: ``python -m`` puts the working folder on sys.path, and in a
        # checkout that would load the checkout's plugin (its egg-info) instead of the installed one.
        self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.basedir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"OctoPrint exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if self.get("/api/version").status == 200:
                    return self
            except (OSError, http.client.HTTPException):
                pass  # not listening yet, or answering before its web app is ready
            time.sleep(0.25)
        raise RuntimeError(f"OctoPrint did not answer within {timeout} s:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def design_worker_pids(self) -> list:
        """The plugin's design worker processes, children of this OctoPrint."""
        import psutil

        children = psutil.Process(self.process.pid).children(recursive=True)
        return [c.pid for c in children if "octoprint_aiagent.agent.design_worker" in " ".join(c.cmdline())]

    @contextlib.contextmanager
    def job_history_unwritable(self):
        """While inside, the plugin's job history cannot be written: its SQLite file is moved
        aside and a folder takes its name, which SQLite cannot open, as root too (a read-only
        folder stops only other users). The file is put back on the way out."""
        db = self.basedir / "data" / "aiagent" / "jobs.sqlite3"
        aside = db.with_name(db.name + ".aside")
        db.rename(aside)
        db.mkdir()
        try:
            yield
        finally:
            db.rmdir()
            aside.rename(db)

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def octoprint_log(self) -> str:
        path = self.basedir / "logs" / "octoprint.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @staticmethod
    def plugin_problems(log: str) -> list:
        """Log lines about the plugin at WARNING or above, and tracebacks through its code."""
        return [
            line
            for line in log.splitlines()
            if (re.search(r" - (WARNING|ERROR|CRITICAL) - ", line) and "aiagent" in line.lower() and not any(e in line for e in EXPECTED_IN_LOG))
            or re.search(r'File ".*octoprint_aiagent', line)
        ]

    # -- HTTP --------------------------------------------------------------------------------

    def request(self, method: str, path: str, body=None, user: Optional[str] = ADMIN, headers=None, timeout: float = 30.0) -> Response:
        data = None
        hdrs = dict(headers or {})
        if user:
            hdrs["X-Api-Key"] = self.api_keys[user]
        if body is not None:
            if isinstance(body, (bytes, bytearray)):
                data = bytes(body)
            else:
                data = json.dumps(body).encode("utf-8")
                hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read())

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body=None, **kw) -> Response:
        return self.request("POST", path, body=body if body is not None else {}, **kw)

    def connect_virtual_printer(self, timeout: float = 20.0) -> None:
        r = self.post("/api/connection", {"command": "connect", "port": "VIRTUAL", "baudrate": 115200})
        assert r.status == 204, (r.status, r.body)
        self.wait_for(lambda: self.printer_state().get("flags", {}).get("operational"), timeout, "printer operational")
        # The Virtual Printer sleeps for a tenth of each move's duration; a feed-rate factor keeps
        # test prints at seconds. It changes the simulated printer only, not the G-code.
        r = self.post("/api/printer/command", {"commands": ["M220 S3000"]})
        assert r.status == 204, (r.status, r.body)

    def disconnect_printer(self) -> None:
        self.post("/api/connection", {"command": "disconnect"})
        self.wait_for(lambda: not self.printer_state().get("flags", {}).get("operational"), 20, "printer disconnected")

    def set_plugin_settings(self, **values) -> None:
        r = self.post("/api/settings", {"plugins": {"aiagent": values}})
        assert r.status == 200, (r.status, r.body)

    def wait_for_job(self, job_id: str, states, timeout: float = 240.0) -> dict:
        """Poll a job until it reaches one of ``states``; returns the job."""
        states = {states} if isinstance(states, str) else set(states)
        seen = []

        def reached():
            job = self.get(f"/plugin/aiagent/jobs/{job_id}").json()
            if not seen or seen[-1] != job["state"]:
                seen.append(job["state"])
            return job if job["state"] in states else None

        try:
            return self.wait_for(reached, timeout, f"job {job_id} to reach {sorted(states)}", interval=0.1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; states seen: {seen}; last: {self.get(f'/plugin/aiagent/jobs/{job_id}').body[:2000]!r}") from None

    def printer_state(self) -> dict:
        r = self.get("/api/printer?exclude=temperature,sd")
        return r.json().get("state", {}) if r.status == 200 else {}

    @staticmethod
    def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Browser:
    """A cookie-keeping client that logs in like OctoPrint's login page does."""

    def __init__(self, server: OctoPrintServer, user: str):
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        assert self.call("GET", "/")[0] == 200  # sets the CSRF cookie
        status, body = self.call("POST", "/api/login", {"user": user, "pass": server.passwords[user], "remember": False}, csrf=True)
        assert status == 200, body

    @property
    def csrf_token(self) -> str:
        (token,) = [c.value for c in self.jar if c.name.startswith("csrf_token")]  # csrf_token_P<port>
        return token

    def call(self, method: str, path: str, body=None, csrf=False, token=None):
        headers = {}
        if csrf or token:
            headers["X-CSRF-Token"] = token or self.csrf_token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.server.url + path, data=data, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
