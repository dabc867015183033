#!/usr/bin/env bash
# Create (or update) a virtual environment with OctoPrint and this plugin installed.
# usage: scripts/setup_venv.sh VENV_DIR OCTOPRINT_REQUIREMENT [EXTRA_PIP_ARGS...]
#   e.g. scripts/setup_venv.sh .venv/op111 "octoprint==1.11.8" ".[test]"
set -euo pipefail
venv=$1; octoprint_req=$2; shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
pip() { "$venv/bin/python" -m pip --disable-pip-version-check -q "$@"; }
pip install --upgrade pip wheel >/dev/null
# --pre only matters for release-candidate requirements such as octoprint==2.0.0rc7.
pip install --pre "$octoprint_req"
pip install "$@" "$root"
# Reinstall the plugin itself every time: the venv must run the code in this checkout.
pip install --no-deps --force-reinstall "$root"
