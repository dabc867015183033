"""Where designing cannot run (a 32-bit OctoPi: setup.py installs no manifold3d, numpy, scipy,
shapely or trimesh there), OctoPrint still starts with the plugin; the tab and /status say why and
what to do; a new job is a 503 with a hint; the job history and printing stored G-code still work.

The real OctoPrint runs with those modules hidden from it (``tests/without_native`` on its
PYTHONPATH), after a first run with them made a job whose G-code it then prints.
"""

from __future__ import annotations

import markupsafe  # Jinja's escaping, as OctoPrint renders the tab with
import pytest

from octoprint_aiagent.capabilities import DESIGN_MODULES

from .conftest import WITHOUT_NATIVE
from .octoprint_server import ADMIN, Browser
from .reliability.helpers import JOBS, private_server, restart, submit

pytestmark = pytest.mark.octoprint


def test_without_native_modules_it_explains_refuses_designs_and_still_prints(tmp_path):
    with private_server(tmp_path, "without-native") as server:
        made = server.wait_for_job(submit(server, prompt="a 10 mm cube", quality="draft")["id"], ("ready", "failed"))
        assert made["state"] == "ready", made

        logged = len(server.octoprint_log())
        restart(server, env=WITHOUT_NATIVE)
        server.connect_virtual_printer()

        # /status and the tab say why not and what to do.
        status = server.get("/plugin/aiagent/status")
        assert status.status == 200, status.body
        problem = status.json()["design_unavailable"]
        assert problem and problem["hint"] and all(name in problem["error"] for name in DESIGN_MODULES), problem
        page = Browser(server, ADMIN).call("GET", "/")[1].decode()
        assert 'data-test-id="aiagent-design-unavailable"' in page
        assert str(markupsafe.escape(problem["error"])) in page and str(markupsafe.escape(problem["hint"])) in page

        # Every way to make a new design is refused with that answer, in JSON.
        for path, body in (
            (JOBS, {"prompt": "a 20 mm cube"}),
            (JOBS, {"spec": {"kind": "cube", "params": {"size": 20}}}),
            (JOBS, {"csg": {"box": {"size": [10, 10, 10]}}}),
            (f"{JOBS}/{made['id']}/refine", {"prompt": "make it 5 mm taller"}),
        ):
            r = server.post(path, body)
            assert r.status == 503, (path, r.status, r.body)
            assert r.json() == {"error": problem["error"], "hint": problem["hint"], "stage": "designing"}

        # The history, its downloads, the settings and the performance view are there, and the
        # stored G-code prints to the end.
        jobs = server.get(JOBS).json()["jobs"]
        assert [(j["id"], j["state"]) for j in jobs] == [(made["id"], "ready")]
        for path in (f"{JOBS}/{made['id']}/gcode", f"{JOBS}/{made['id']}/model.stl", "/plugin/aiagent/performance/metrics"):
            assert server.get(path).status == 200, path
        assert server.get("/api/settings").json()["plugins"]["aiagent"]["slicer"] == "auto"
        r = server.post(f"{JOBS}/{made['id']}/print")
        assert r.status == 200, r.body
        assert server.get("/api/job").json()["job"]["file"]["path"] == made["files"]["gcode"]
        done = server.wait_for_job(made["id"], ("done", "failed", "cancelled"), timeout=300)
        assert done["state"] == "done", done

        assert not server.plugin_problems(server.octoprint_log()[logged:])
