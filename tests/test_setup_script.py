"""packaging/qt_libs.sh, the part of setup.sh that installs Qt's system libraries, run under the same
shell options as setup.sh against stub ``ldd``, ``apt-get`` and ``id`` commands on PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BASH = shutil.which("bash")

pytestmark = pytest.mark.skipif(BASH is None, reason="needs bash")

# ldd's real output is long (one line per library, for four files); when a library is missing, its
# "not found" line comes early and many lines follow, so a reader that stops early kills ldd with
# SIGPIPE. The stub prints 20,000 lines, far beyond a pipe's buffer.
STUB_LDD = r"""#!/bin/sh
if [ -f "$STUBS/installed" ]; then :; else printf '\tlibxcb-cursor.so.0 => not found\n'; fi
seq 1 20000 | sed 's|.*|\tlibdep&.so => /usr/lib/libdep&.so (0x00007f0000000000)|'
"""
STUB_APT = """#!/bin/sh
echo "$@" >> "$STUBS/apt.log"
case "$1" in install) touch "$STUBS/installed";; esac
"""
STUB_ID = """#!/bin/sh
echo 0
"""


def _stubs(tmp_path: Path) -> Path:
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name, text in {"ldd": STUB_LDD, "apt-get": STUB_APT, "id": STUB_ID}.items():
        (stubs / name).write_text(text, encoding="utf-8")
        (stubs / name).chmod(0o755)
    qt = tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "PySide6" / "Qt"
    (qt / "plugins" / "platforms").mkdir(parents=True)
    return stubs


def _bash(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Source qt_libs.sh as setup.sh does (``set -euo pipefail``) and run ``script``."""
    stubs = tmp_path / "stubs"
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "STUBS": str(stubs),
           "VENV": str(tmp_path / "venv")}
    prelude = 'set -euo pipefail\nsay() { echo "[setup] $*" >&2; }\nsource packaging/qt_libs.sh\n'
    return subprocess.run([str(BASH), "-c", prelude + script], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)


def test_a_missing_library_is_seen_even_when_ldd_prints_much_more(tmp_path: Path) -> None:
    _stubs(tmp_path)
    done = _bash(tmp_path, "if qt_libs_missing; then echo MISSING; else echo COMPLETE; fi; qt_missing_report")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["MISSING", "libxcb-cursor.so.0 => not found"]


def test_nothing_missing_reads_complete(tmp_path: Path) -> None:
    stubs = _stubs(tmp_path)
    (stubs / "installed").touch()
    done = _bash(tmp_path, "if qt_libs_missing; then echo MISSING; else echo COMPLETE; fi")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "COMPLETE"


def test_missing_libraries_are_installed_with_apt_as_root(tmp_path: Path) -> None:
    stubs = _stubs(tmp_path)
    done = _bash(tmp_path, "install_qt_system_libs; echo DONE")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "DONE"
    log = (stubs / "apt.log").read_text(encoding="utf-8").splitlines()
    assert log[0].startswith("update")
    assert log[1].startswith("install") and "libxcb-cursor0" in log[1].split()
    assert "installing Qt's system libraries" in done.stderr
    assert "still misses" not in done.stderr


def test_nothing_is_installed_when_nothing_is_missing(tmp_path: Path) -> None:
    stubs = _stubs(tmp_path)
    (stubs / "installed").touch()
    done = _bash(tmp_path, "install_qt_system_libs; echo DONE")
    assert done.returncode == 0, done.stderr
    assert not (stubs / "apt.log").exists()


def test_setup_sources_the_checked_functions() -> None:
    """setup.sh uses this file, not a copy of its own that the tests above would not see."""
    setup = (REPO / "packaging" / "setup.sh").read_text(encoding="utf-8")
    assert "source packaging/qt_libs.sh" in setup
    assert "qt_libs_missing() {" not in setup and "\ninstall_qt_system_libs\n" in setup
