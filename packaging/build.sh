#!/usr/bin/env bash
# Build the one-folder Linux app with PyInstaller: dist/scallop-curator/scallop-curator.
# Sets up .venv first (the same llama-cpp-python build as the app: GGML_NATIVE=OFF), then installs
# PyInstaller there, builds, and installs the .desktop file, AppStream metainfo and icons beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup.sh
say() { printf '\033[1m[build]\033[0m %s\n' "$*" >&2; }
.venv/bin/python -m pip install -q --disable-pip-version-check "pyinstaller>=6.10,<7"
say "building dist/scallop-curator (a few minutes)"
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/scallop-curator.spec
SHARE=dist/scallop-curator/share
mkdir -p "$SHARE/applications" "$SHARE/metainfo"
cp packaging/scallop-curator.desktop "$SHARE/applications/"
cp packaging/io.github.scallop.Curator.metainfo.xml "$SHARE/metainfo/"
for size in 16 32 48 64 128 256; do
    mkdir -p "$SHARE/icons/hicolor/${size}x${size}/apps"
    cp "resources/icons/scallop-curator-$size.png" "$SHARE/icons/hicolor/${size}x${size}/apps/scallop-curator.png"
done
mkdir -p "$SHARE/icons/hicolor/scalable/apps"
cp resources/icons/scallop-curator.svg "$SHARE/icons/hicolor/scalable/apps/"
say "built: dist/scallop-curator/scallop-curator ($(du -sh dist/scallop-curator | cut -f1))"
