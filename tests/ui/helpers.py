from __future__ import annotations

from pathlib import Path


def import_and_wait(qtbot, window, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Imports run in the background; wait for the queue to empty."""
    with qtbot.waitSignal(window.importer.finished, timeout=30_000):
        window.import_files([path])
