#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: system packages, llama-server and test
# models (cached outside the repo), then the suite on OctoPrint 1.11.8, the end-to-end tests
# again on OctoPrint 2.0.0rc7 (the Plugin Manager install test among them: it makes its own
# OctoPrint venvs without the plugin, in the cache folder), and the core tests on Python 3.9, the
# oldest setup.py allows. Exits non-zero on any failure, including "no tests ran".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export AIAGENT_TEST_ARTIFACTS="$root/test-artifacts"
# Each step says how long it took, so a slow CI run shows where its time went.
timed() { local start=$SECONDS rc=0; "$@" || rc=$?; echo "-- $((SECONDS - start)) s: $*"; return $rc; }

timed bash scripts/install_system_deps.sh
timed bash scripts/fetch_cura_definitions.sh
timed bash scripts/build_llama_server.sh
timed bash scripts/fetch_test_models.sh

timed bash scripts/setup_venv.sh .venv/op111 "octoprint==1.11.8" ".[test]"
timed bash scripts/setup_venv.sh .venv/op20 "octoprint==2.0.0rc7" ".[test]"
# Python 3.9 from pyenv, where this machine's Pythons come from; another can be named in $PYTHON39.
python39=""
for candidate in ${PYTHON39:-} "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.9*/bin/python3.9; do
  if [ -x "$candidate" ]; then python39=$candidate; break; fi
done
if [ -n "$python39" ]; then
  timed env PYTHON=$python39 bash scripts/setup_venv.sh .venv/py39 "octoprint==1.11.8" ".[test]"
fi

status=0
echo "== ruff (config: ruff.toml)"
.venv/op111/bin/ruff check . || status=$?
echo "== OctoPrint 1.11.8: the whole suite"
timed .venv/op111/bin/python -m pytest tests -q --durations=15 "$@" || status=$?
echo "== OctoPrint 2.0.0rc7: tests against the real server"
timed .venv/op20/bin/python -m pytest tests -q --durations=15 -m "octoprint and not browser" "$@" || status=$?
echo "== Python 3.9: the core tests"
if [ -n "$python39" ]; then
  timed .venv/py39/bin/python -m pytest tests -q --durations=15 -m "not octoprint" "$@" || status=$?
else
  echo "no Python 3.9 found (pyenv, or \$PYTHON39): README's claim of 3.9 is untested here" >&2
  status=1
fi
exit $status
