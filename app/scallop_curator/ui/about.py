"""Help → About: what a bug report needs (the versions, the log file, the store), as plain text."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from scallop_curator import __version__, paths


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> list[tuple[str, str]]:
    """Read from the installed packages' metadata: no need to load llama.cpp into the window's
    process (the worker process loads it)."""
    import PySide6
    from PySide6.QtCore import qVersion

    llama = _package_version("llama-cpp-python")
    return [
        ("Scallop Curator", __version__),
        ("llama-cpp-python", f"{llama} (with the llama.cpp it bundles)"),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
    ]


def about_text(store_path: Path) -> str:
    lines = ["Scallop Curator reviews the memories a local model proposes from your chat history.", ""]
    lines += [f"{name}: {version}" for name, version in versions()]
    lines += ["", f"Log file: {paths.log_path()}", f"Memory store: {store_path}",
              f"Settings: {paths.settings_path()}"]
    return "\n".join(lines)


def about_box(parent: QWidget | None, store_path: Path) -> QMessageBox:
    """The About box, not yet shown; its text is plain (paths may hold anything) and selectable,
    so that it can be copied into a bug report."""
    box = QMessageBox(QMessageBox.Icon.Information, "About Scallop Curator", about_text(store_path),
                      QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setObjectName("aboutBox")
    return box
