"""Installing as users do: an OctoPrint without the plugin installs it through its own Plugin
Manager from an archive of this checkout (the "... from URL" route of its UI), restarts, and shows
the tab, the settings and the API; the Plugin Manager uninstalls it, and OctoPrint starts cleanly.

The OctoPrint is the version the tests run on, in a virtual environment of its own that never had
the plugin put in by hand (made once, kept in the cache folder outside the repository).
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from .conftest import ARTIFACTS
from .octoprint_server import ADMIN, Browser, OctoPrintServer
from .reliability.helpers import SocketWatch

pytestmark = [pytest.mark.octoprint, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("AIAGENT_CACHE", Path.home() / ".cache" / "octoprint-aiagent"))
PLUGIN_MANAGER = "/api/plugin/pluginmanager"
PACKAGE = "OctoPrint-AIAgent"


def pip(python: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args], capture_output=True, text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def fresh_python() -> Path:
    """The Python of a venv with this OctoPrint version and without the plugin."""
    from octoprint import __version__

    venv = CACHE / f"fresh-octoprint-{__version__}"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
    installed = pip(python, "install", "--pre", f"octoprint=={__version__}")
    assert installed.returncode == 0, installed.stderr
    # A run stopped half-way may have left the plugin there; its dependencies may stay.
    pip(python, "uninstall", "-y", PACKAGE)
    assert pip(python, "show", PACKAGE).returncode != 0
    return python


@pytest.fixture(scope="module")
def archive_url(tmp_path_factory):
    """A zip of this checkout as a release archive is laid out, served on loopback."""
    folder = tmp_path_factory.mktemp("archive")
    path = folder / f"{PACKAGE}-test.zip"
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in filter(None, listed.stdout.decode().split("\0")):
            if (ROOT / name).is_file():  # listed but deleted in the work tree: not in the archive
                zf.write(ROOT / name, f"{PACKAGE}-test/{name}")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/{path.name}"
    httpd.shutdown()


@pytest.fixture
def server(fresh_python, tmp_path):
    server = OctoPrintServer.create(tmp_path / "octoprint", python=str(fresh_python))
    try:
        yield server
    finally:
        server.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"install-octoprint-{server.port}.log").write_text(server.octoprint_log())
        pip(fresh_python, "uninstall", "-y", PACKAGE)  # whatever the test did, the venv stays fresh


def plugin_manager(server: OctoPrintServer, command: str, timeout: float = 900.0, **data) -> dict:
    """A Plugin Manager command, as its UI sends it; returns its result message from the socket."""
    watch = SocketWatch(server)
    try:
        r = server.post(PLUGIN_MANAGER, dict(data, command=command), timeout=timeout)
        assert r.status == 200, (r.status, r.body)

        def answers():
            return [m["data"] for m in watch.plugin_messages if m.get("plugin") == "pluginmanager"]

        def results():
            return [a for a in answers() if a.get("type") == "result" and a.get("action") == command]

        try:
            return server.wait_for(results, timeout, f"the Plugin Manager's {command} result")[0]
        except AssertionError:
            pip_lines = [line["line"] for a in answers() for line in a.get("loglines", ())]
            raise AssertionError(f"no {command} result; pip said:\n" + "\n".join(pip_lines[-40:])) from None
    finally:
        watch.close()


def restart(server: OctoPrintServer) -> str:
    """Restart, as the Plugin Manager asks; returns what OctoPrint logged while starting."""
    server.stop()
    logged = len(server.octoprint_log())
    server.start()
    server.wait_for(lambda: "Listening on" in server.octoprint_log()[logged:], 30, "OctoPrint to log its start")
    return server.octoprint_log()[logged:]


def installed_plugins(server: OctoPrintServer) -> dict:
    return {p["key"]: p for p in server.get("/plugin/pluginmanager/plugins").json()["plugins"]}


def test_plugin_manager_installs_from_an_archive_and_uninstalls(server, fresh_python, archive_url):
    server.start()
    assert server.get("/plugin/aiagent/status").status == 404  # not there before

    result = plugin_manager(server, "install", url=archive_url)
    assert result["result"] is True, result
    assert result["plugin"]["key"] == "aiagent" and result["needs_restart"], result
    assert not server.plugin_problems(restart(server))
    assert installed_plugins(server)["aiagent"]["enabled"]

    status = server.get("/plugin/aiagent/status")
    assert status.status == 200, status.body
    assert status.json()["version"] == result["plugin"]["version"]
    assert status.json()["design_unavailable"] is None  # this Python is 64-bit: the native libraries came with it
    settings = server.get("/api/settings").json()["plugins"]["aiagent"]
    assert settings["llm"]["backend"] == "offline" and settings["slicer"] == "auto"
    # The page has the tab and the settings panel; the scripts and three.js came with the package.
    page = Browser(server, ADMIN).call("GET", "/")
    assert page[0] == 200 and b'id="tab_plugin_aiagent"' in page[1] and b'id="settings_plugin_aiagent"' in page[1]
    for asset in ("js/aiagent.js", "vendor/three/three.min.js"):
        assert server.get(f"/plugin/aiagent/static/{asset}").status == 200, asset
    # The Software Update plugin knows the plugin's release check.
    check = server.get("/plugin/softwareupdate/check?check=aiagent", timeout=60).json()["information"]["aiagent"]
    assert (check["displayName"], check["displayVersion"]) == ("AI Agent", result["plugin"]["version"])

    result = plugin_manager(server, "uninstall", plugin="aiagent")
    assert result["result"] is True, result
    assert not server.plugin_problems(restart(server))
    assert server.get("/plugin/aiagent/status").status == 404
    assert "aiagent" not in installed_plugins(server) and "virtual_printer" in installed_plugins(server)
    assert pip(fresh_python, "show", PACKAGE).returncode != 0


def test_software_update_points_at_the_release_archive():
    """The update check the plugin gives the Software Update plugin: GitHub releases of the
    repository named in setup.py, installed from that release's source archive."""
    from octoprint_aiagent import __plugin_version__
    from octoprint_aiagent.plugin import AIAgentPlugin

    url = re.search(r'url="(https://github.com/[^"]+)"', (ROOT / "setup.py").read_text()).group(1)
    plugin = AIAgentPlugin()
    plugin._plugin_version = __plugin_version__  # as OctoPrint sets it when it loads the plugin
    check = plugin.get_update_information()["aiagent"]
    assert check["type"] == "github_release" and check["current"] == __plugin_version__
    assert f"https://github.com/{check['user']}/{check['repo']}" == url
    assert check["pip"].format(target_version="1.2.3") == f"{url}/archive/1.2.3.zip"


def test_the_package_carries_its_data_without_setuptools_warnings(tmp_path):
    """What pip builds from a checkout holds the tab's files, the font and Cura's definitions
    when fetched into the package, and setuptools has nothing to warn about (it printed one
    warning per data folder on every install, the Plugin Manager's included)."""
    tree = tmp_path / "checkout"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, tree / name)
    cura = tree / "octoprint_aiagent" / "slicing" / "cura_definitions" / "fdmprinter.def.json"
    cura.parent.mkdir()
    cura.write_text("{}")
    (tree / "octoprint_aiagent" / "__pycache__").mkdir()  # as a checkout that ran has them
    (tree / "octoprint_aiagent" / "__pycache__" / "plugin.cpython-311.pyc").write_bytes(b"")

    # -v: pip shows what the build backend printed, warnings included
    built = pip(Path(sys.executable), "wheel", "-v", "--no-deps", "-w", str(tmp_path / "dist"), str(tree))
    assert built.returncode == 0, built.stderr
    output = built.stdout + built.stderr
    assert "Successfully built" in output
    assert "is absent from the `packages` configuration" not in output
    assert not re.search(r"\bSetuptools\w*Warning\b|BuildBackendWarning", output), output

    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ("static/js/aiagent.js", "static/css/aiagent.css", "static/vendor/three/three.min.js",
                 "templates/aiagent_tab.jinja2", "cad/fonts/DejaVuSans-Bold-Latin1.ttf", "cad/fonts/LICENSE",
                 "slicing/cura_definitions/fdmprinter.def.json"):
        assert f"octoprint_aiagent/{data}" in names, data
    assert not [n for n in names if "__pycache__" in n]
