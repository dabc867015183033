"""The one answer to "can this Python design?", in Pythons with and without the native libraries."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import requires

from octoprint_aiagent.capabilities import DESIGN_MODULES, design_unavailable

from .conftest import WITHOUT_NATIVE

CHECK = """
import json
from octoprint_aiagent.capabilities import design_unavailable, require_design
from octoprint_aiagent.model.errors import AgentError
try:
    require_design()
    refused = None
except AgentError as exc:
    refused = dict(exc.to_dict(), http_status=exc.http_status)
print(json.dumps({"problem": design_unavailable(), "refused": refused}))
"""


def check_in_python(env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", CHECK], env=dict(os.environ, **env), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_hiding_works():
    """The fixture itself: a Python started with it can import none of the modules."""
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    try:\n        importlib.import_module(name)\n    except ImportError:\n        print(name)"
    out = subprocess.run([sys.executable, "-c", code, *DESIGN_MODULES], env=dict(os.environ, **WITHOUT_NATIVE), capture_output=True, text=True, check=True)
    assert out.stdout.split() == list(DESIGN_MODULES)


def test_with_the_native_libraries_it_designs():
    assert design_unavailable() is None
    assert check_in_python({}) == {"problem": None, "refused": None}


def test_without_them_it_names_them_says_what_to_do_and_refuses_with_503():
    answer = check_in_python(WITHOUT_NATIVE)
    problem = answer["problem"]
    assert all(name in problem["error"] for name in DESIGN_MODULES), problem
    # This Python is 64-bit: the libraries are missing, not impossible, so the hint installs them.
    assert problem["hint"].endswith(f"{sys.executable} -m pip install {' '.join(DESIGN_MODULES)}"), problem
    assert answer["refused"] == {"stage": "designing", "message": problem["error"], "reason": "unavailable", "hint": problem["hint"], "http_status": 503}


def test_the_installed_plugin_requires_what_the_check_looks_for():
    """setup.py gives a 64-bit Python every module the check looks for (and a 32-bit one none:
    scripts/check_32bit_arm.sh shows that in an armhf chroot)."""
    names = {re.split(r"[\s<>=!~;\[]", line, maxsplit=1)[0].lower() for line in requires("OctoPrint-AIAgent")}
    assert set(DESIGN_MODULES) <= names
