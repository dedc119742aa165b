"""Help → About names what a bug report needs: versions, the log file, the store."""

from __future__ import annotations

from importlib import metadata

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QMessageBox

from scallop_curator import __version__, paths


def test_about_shows_versions_log_and_store(qtbot, open_window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    shown: list[QMessageBox] = []

    def record(box: QMessageBox) -> int:  # instead of a modal loop
        shown.append(box)
        return 0

    monkeypatch.setattr(QMessageBox, "exec", record)
    window.show_about()
    [box] = shown
    text = box.text()
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert str(paths.log_path()) in text and str(window.store.path) in text
    for version in (__version__, metadata.version("llama-cpp-python"), qVersion(), PySide6.__version__):
        assert version in text
    assert "llama.cpp" in text and "Qt" in text and "PySide6" in text
