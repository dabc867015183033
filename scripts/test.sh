#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: system packages, llama-server and test
# models (cached outside the repo), then the suite on OctoPrint 1.11.8 and the end-to-end
# tests again on OctoPrint 2.0.0rc7. Exits non-zero on any failure, including "no tests ran".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export AIAGENT_TEST_ARTIFACTS="$root/test-artifacts"

bash scripts/install_system_deps.sh
bash scripts/fetch_cura_definitions.sh
bash scripts/build_llama_server.sh
bash scripts/fetch_test_models.sh

bash scripts/setup_venv.sh .venv/op111 "octoprint==1.11.8" ".[test]"
bash scripts/setup_venv.sh .venv/op20 "octoprint==2.0.0rc7" ".[test]"

status=0
echo "== ruff (config: ruff.toml)"
.venv/op111/bin/ruff check . || status=$?
echo "== OctoPrint 1.11.8: the whole suite"
.venv/op111/bin/python -m pytest tests -q "$@" || status=$?
echo "== OctoPrint 2.0.0rc7: tests against the real server"
.venv/op20/bin/python -m pytest tests -q -m "octoprint and not browser" "$@" || status=$?
exit $status
