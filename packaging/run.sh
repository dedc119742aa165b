#!/usr/bin/env bash
# Set everything up, then open Scallop Curator on the bundled sample export.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh
SAMPLE=resources/sample/conversations.json
if [ "$(uname -s)" = Linux ] && [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
    if ! command -v xvfb-run >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        echo "[run] no display found: installing a virtual screen (xvfb)" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends xvfb xauth >/dev/null
    fi
    if command -v xvfb-run >/dev/null; then
        echo "[run] no display found: starting on a virtual screen (xvfb-run)" >&2
        exec xvfb-run -a -s "-screen 0 1400x860x24" .venv/bin/scallop-curator "$SAMPLE" "$@"
    fi
    echo "[run] no display found (DISPLAY is empty); run this from a desktop session." >&2
    exit 1
fi
exec .venv/bin/scallop-curator "$SAMPLE" "$@"
