"""The domain core never imports Qt: it must run headless and be reusable without a display."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import scallop_curator


def test_core_modules_do_not_import_qt() -> None:
    core = [
        m.name for m in pkgutil.walk_packages(scallop_curator.__path__, "scallop_curator.")
        if ".ui" not in m.name and not m.name.endswith("__main__")
    ]
    assert "scallop_curator.store.store" in core and "scallop_curator.extraction.engine" in core
    code = (
        "import importlib, sys\n"
        f"for name in {core!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('PySide6')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
