#!/usr/bin/env bash
# Build llama.cpp's own llama-server from the sources vendored in the llama-cpp-python sdist the
# app pins, so the server and the app's engine run the same llama.cpp. Portable CPU build
# (GGML_NATIVE=OFF plus the vector extensions this CPU has, as packaging/setup.sh does), only the
# llama-server target. Cached under ~/.cache/scallop-curator/llama-server/; prints the binary's path.
# Usage: benchmarks/build_llama_server.sh   (PYTHON=... to choose the python that runs pip,
#        JOBS=N to limit the parallel compile jobs; default: all cores)
set -euo pipefail
VERSION=0.3.36
PYTHON=${PYTHON:-python3}
JOBS=${JOBS:-$(nproc)}
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/scallop-curator/llama-server"
# shellcheck source=packaging/llama_flags.sh
source "$(dirname "$0")/../packaging/llama_flags.sh"  # the same flags the app's llama.cpp is built with
ARGS="$(llama_cmake_args) -DLLAMA_BUILD_SERVER=ON -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF -DCMAKE_BUILD_TYPE=Release"
KEY=$(printf '%s' "$VERSION $ARGS" | sha256sum | cut -c1-12)
BIN="$CACHE/$KEY/llama-server"
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
mkdir -p "$CACHE/sdist" "$CACHE/$KEY"
SDIST=$(ls "$CACHE"/sdist/llama_cpp_python-"$VERSION".tar.gz 2>/dev/null || true)
if [ -z "$SDIST" ]; then
    "$PYTHON" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
        "llama-cpp-python==$VERSION" -d "$CACHE/sdist" >&2
    SDIST="$CACHE/sdist/llama_cpp_python-$VERSION.tar.gz"
fi
WORK="$CACHE/$KEY/src"
if [ ! -f "$WORK/vendor/llama.cpp/CMakeLists.txt" ]; then  # else: an interrupted build resumes
    rm -rf "$WORK" && mkdir -p "$WORK"
    tar -xzf "$SDIST" -C "$WORK" --strip-components=1
fi
echo "building llama-server ($ARGS); this takes several minutes" >&2
# shellcheck disable=SC2086
cmake -S "$WORK/vendor/llama.cpp" -B "$WORK/build" $ARGS >&2
cmake --build "$WORK/build" --target llama-server -j "$JOBS" >&2
cp "$WORK/build/bin/llama-server" "$BIN.tmp" && mv "$BIN.tmp" "$BIN"
rm -rf "$WORK"
echo "$BIN"
