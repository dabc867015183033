#!/usr/bin/env bash
# Create (or update) a virtual environment with OctoPrint and this plugin installed.
# usage: scripts/setup_venv.sh VENV_DIR OCTOPRINT_REQUIREMENT [PLUGIN_EXTRAS]
#   e.g. scripts/setup_venv.sh .venv/op111 "octoprint==1.11.8" test
set -euo pipefail
venv=$1; octoprint_req=$2; extras=${3:+[$3]}
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
pip() { "$venv/bin/python" -m pip --disable-pip-version-check -q "$@"; }
pip install --upgrade pip wheel >/dev/null
# --pre only matters for release-candidate requirements such as octoprint==2.0.0rc7.
pip install --pre "$octoprint_req"
# Building this checkout writes build/ and *.egg-info inside it, so venvs set up side by side
# (scripts/test.sh) take turns to build a wheel, then install it on their own.
dist=$(mktemp -d)
trap 'rm -rf "$dist"' EXIT
flock "${TMPDIR:-/tmp}/octoprint-aiagent-build.lock" "$venv/bin/python" -m pip --disable-pip-version-check -q wheel --no-deps -w "$dist" "$root"
wheel=$(echo "$dist"/*.whl)
pip install "$wheel$extras"
# Reinstall the plugin itself every time: the venv must run the code in this checkout.
pip install --no-deps --force-reinstall "$wheel"
