#!/usr/bin/env bash
# Set everything up (including test tools), then run the whole test suite headless.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh --test
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest "$@"
