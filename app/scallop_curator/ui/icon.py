"""The app's icon, from the PNG sizes bundled in ``resources/icons`` (no SVG plugin needed)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from scallop_curator import paths

SIZES = (16, 32, 48, 64, 128, 256)


def app_icon() -> QIcon:
    icon = QIcon()
    folder = paths.resource("icons")  # once: each lookup goes through importlib.resources
    for size in SIZES:
        icon.addFile(str(folder / f"scallop-curator-{size}.png"))
    return icon
