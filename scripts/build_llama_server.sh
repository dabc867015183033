#!/usr/bin/env bash
# Build llama.cpp's `llama-server` from the sources vendored in the llama-cpp-python sdist
# (the only way to get it here: no prebuilt binaries can be downloaded). The binary goes to
# the cache dir outside the repo; nothing is done when it is already there.
set -euo pipefail

CACHE_DIR="${AIAGENT_CACHE:-$HOME/.cache/octoprint-aiagent}"
TARGET="$CACHE_DIR/bin/llama-server"
PYTHON="${PYTHON:-python3}"
JOBS="${JOBS:-2}"

if [ -x "$TARGET" ]; then
    echo "llama-server already built: $TARGET"
    exit 0
fi
for tool in cmake g++; do
    command -v "$tool" >/dev/null || { echo "build_llama_server: $tool is required" >&2; exit 1; }
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "downloading the llama-cpp-python sdist"
"$PYTHON" -m pip download --quiet --no-deps --no-binary :all: llama-cpp-python -d "$WORK"
tar -xzf "$WORK"/llama_cpp_python-*.tar.gz -C "$WORK"
SRC="$(echo "$WORK"/llama_cpp_python-*/vendor/llama.cpp)"
[ -f "$SRC/CMakeLists.txt" ] || { echo "build_llama_server: no vendored llama.cpp in the sdist" >&2; exit 1; }

# Flags that keep the build offline and portable. LLAMA_CURL only exists (undeprecated) in
# older llama.cpp versions, so it is passed only when the sources still declare it.
FLAGS=(-DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF
       -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF)
for opt in LLAMA_USE_PREBUILT_UI LLAMA_OPENSSL LLAMA_CURL; do
    if grep -q "option($opt " "$SRC/CMakeLists.txt"; then FLAGS+=("-D$opt=OFF"); fi
done

echo "configuring: ${FLAGS[*]}"
cmake -S "$SRC" -B "$WORK/build" "${FLAGS[@]}" >"$WORK/configure.log" 2>&1 \
    || { tail -40 "$WORK/configure.log" >&2; exit 1; }
echo "building llama-server with -j$JOBS (about 6 minutes on 2 cores)"
cmake --build "$WORK/build" --target llama-server -j"$JOBS" >"$WORK/build.log" 2>&1 \
    || { tail -40 "$WORK/build.log" >&2; exit 1; }

mkdir -p "$CACHE_DIR/bin"
cp "$WORK/build/bin/llama-server" "$TARGET.tmp"
mv "$TARGET.tmp" "$TARGET"
"$TARGET" --version 2>&1 | head -2 || true
echo "installed $TARGET"
