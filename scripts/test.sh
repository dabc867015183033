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
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# Each step says how long it took, so a slow CI run shows where its time went.
timed() { local start=$SECONDS rc=0; "$@" || rc=$?; echo "-- $((SECONDS - start)) s: $*"; return $rc; }
# A step in the background, its output shown when it is waited for.
started=()
start() { local name=$1; shift; ( timed "$@" ) >"$logs/$name" 2>&1 & started+=("$name:$!"); }
finish() {
  local entry rc=0
  for entry in "${started[@]}"; do
    if [ "${entry%%:*}" = "$1" ]; then wait "${entry##*:}" || rc=$?; cat "$logs/$1"; return $rc; fi
  done
  echo "finish: $1 was never started" >&2; return 1
}

timed bash scripts/install_system_deps.sh build
# Building llama-server is about 23 minutes of CPU on 2 cores; the rest of the set-up is mostly
# downloads, and the tests often wait on servers. So it builds at the lowest priority, side by side
# with everything but the few tests that need it, which run last.
start llama nice -n 19 bash scripts/build_llama_server.sh
system_packages() { bash scripts/install_system_deps.sh test && bash scripts/fetch_cura_definitions.sh; }
start system system_packages
start models bash scripts/fetch_test_models.sh
# 1.11.8 first, then 2.0.0rc7 from the wheels it left in pip's cache; Python 3.9 needs its own.
octoprint_venvs() {
  bash scripts/setup_venv.sh .venv/op111 "octoprint==1.11.8" test,browser,lint || return 1
  bash scripts/setup_venv.sh .venv/op20 "octoprint==2.0.0rc7" test
}
start op octoprint_venvs
# The OctoPrints without the plugin that tests/test_install.py installs it into: it makes them
# itself when missing; made here, they download side by side with the rest.
fresh_octoprints() {
  local cache=${AIAGENT_CACHE:-$HOME/.cache/octoprint-aiagent} v
  for v in 1.11.8 2.0.0rc7; do
    [ -x "$cache/fresh-octoprint-$v/bin/python" ] && continue
    python3 -m venv "$cache/fresh-octoprint-$v" || return 1
    "$cache/fresh-octoprint-$v/bin/pip" --disable-pip-version-check -q install --pre "octoprint==$v" || return 1
  done
}
start fresh fresh_octoprints
# Python 3.9 from pyenv, where this machine's Pythons come from; another can be named in $PYTHON39.
python39=""
for candidate in ${PYTHON39:-} "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.9*/bin/python3.9; do
  if [ -x "$candidate" ]; then python39=$candidate; break; fi
done
if [ -n "$python39" ]; then
  start py39 env PYTHON="$python39" bash scripts/setup_venv.sh .venv/py39 "octoprint==1.11.8" test
fi
finish system
finish models
finish op
finish fresh
[ -z "$python39" ] || finish py39
echo "== set-up, step by step (llama-server still building)"
grep -h "^-- " "$logs"/* || true

llama_tests=tests/test_llm_real_server.py
status=0
echo "== ruff (config: ruff.toml)"
.venv/op111/bin/ruff check . || status=$?
echo "== OctoPrint 1.11.8: the whole suite (but for the llama-server tests, at the end)"
timed .venv/op111/bin/python -m pytest tests -q --durations=15 --ignore=$llama_tests "$@" || status=$?
echo "== OctoPrint 2.0.0rc7: tests against the real server"
timed .venv/op20/bin/python -m pytest tests -q --durations=15 -m "octoprint and not browser" "$@" || status=$?
echo "== Python 3.9: the core tests (the slow ones slice every part again: 3.11 has them)"
if [ -n "$python39" ]; then
  timed .venv/py39/bin/python -m pytest tests -q --durations=15 -m "not octoprint and not slow" --ignore=$llama_tests "$@" || status=$?
else
  echo "no Python 3.9 found (pyenv, or \$PYTHON39): README's claim of 3.9 is untested here" >&2
  status=1
fi
echo "== The LLM clients against the real llama-server"
finish llama
timed .venv/op111/bin/python -m pytest $llama_tests -q --durations=5 "$@" || status=$?
echo "== set-up, step by step"
grep -h "^-- " "$logs"/* || true
echo "== $SECONDS s in all"
exit $status
