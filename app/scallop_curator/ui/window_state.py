"""Where the window's own state lives, in one place: ``window.ini`` in the config folder holds how
the window looks on this machine (geometry, both splitters); the store holds where the user was in
that store (the last conversation and proposal, see ``review_controller``), since another store has
other conversations. Settings (``settings.json``) hold only what the user chooses."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from scallop_curator import paths

GEOMETRY = "geometry"
#: key -> the splitter's objectName (the main splitter is "splitter" for ini files written before).
SPLITTERS = {"splitter": "reviewSplit", "turnSplit": "turnSplit"}


def window_ini() -> QSettings:
    return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)


def restore_geometry(window: QMainWindow) -> None:
    """Size and place as they were; a value that is not what Qt wrote (an ini edited by hand, or
    from another version) is ignored, never an error. The splitters wait for the window to be
    shown (``restore_splitters``): restored into a splitter not laid out yet, they come out wrong."""
    geometry = window_ini().value(GEOMETRY)
    if isinstance(geometry, QByteArray):
        window.restoreGeometry(geometry)


def restore_splitters(window: QMainWindow, state: QSettings | None = None) -> None:
    """When the window is first shown, and again once it is filled: moving the review page into
    the page stack lays the splitters out anew."""
    state = state or window_ini()
    for key, name in SPLITTERS.items():
        splitter = window.findChild(QSplitter, name)
        saved = state.value(key)
        if splitter is not None and isinstance(saved, QByteArray):
            splitter.restoreState(saved)


def save(window: QMainWindow) -> None:
    state = window_ini()
    state.setValue(GEOMETRY, window.saveGeometry())
    for key, name in SPLITTERS.items():
        splitter = window.findChild(QSplitter, name)
        if splitter is not None:
            state.setValue(key, splitter.saveState())
    state.sync()
