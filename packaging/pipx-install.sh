#!/usr/bin/env bash
# Install Scallop Curator with pipx (its own isolated environment, `scallop-curator` on PATH),
# with llama-cpp-python built the same safe way as setup.sh: GGML_NATIVE=OFF plus the vector
# extensions this CPU has (never AMX). A wheel setup.sh already built is reused; otherwise pip
# builds one with these flags.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=packaging/llama_flags.sh
source packaging/llama_flags.sh
LLAMA_VERSION=0.3.36
CMAKE_ARGS=$(llama_cmake_args)
export CMAKE_ARGS
FLAGS_KEY=$(printf '%s' "$LLAMA_VERSION $CMAKE_ARGS" | sha256sum | cut -c1-12)
WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/scallop-curator/llama-wheels/$FLAGS_KEY"
mkdir -p "$WHEELS"
command -v pipx >/dev/null || { echo "pipx is not installed (python3 -m pip install --user pipx)" >&2; exit 1; }
if ! ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "[pipx] building llama-cpp-python $LLAMA_VERSION ($CMAKE_ARGS); a few minutes" >&2
    # --no-cache-dir: pip's own cache ignores CMAKE_ARGS and could hand back a native (AMX) build.
    python3 -m pip wheel -q --disable-pip-version-check --no-deps --no-cache-dir -w "$WHEELS" \
        "llama-cpp-python==$LLAMA_VERSION"
fi
# pip takes that wheel (a wheel wins over the sdist of the same version) from --find-links.
pipx install --force --pip-args="--find-links=$WHEELS" .
