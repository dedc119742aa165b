"""The first-run welcome: shown in the empty review area of an empty store, with the three steps
and a button for each; it never blocks, goes once an import brings conversations, is shown by
itself only once, and comes back from Help → Welcome."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from helpers import import_and_wait
from scallop_curator.extraction.client import WorkerClient
from scallop_curator.settings import Settings
from scallop_curator.store import Store
from scallop_curator.ui import welcome
from scallop_curator.ui.main_window import MainWindow


def _help_welcome(window) -> QAction:  # type: ignore[no-untyped-def]
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    return next(a for a in help_menu.actions() if a.text() == "&Welcome")


def _window(qtbot, path: Path, demo_model: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(Store(path), Settings(model_path=str(demo_model)), client=WorkerClient(engine_factory="fake_engine:make_engine"))
    qtbot.addWidget(window)
    window.show()
    return window


def _close(window: MainWindow) -> None:
    window.close()
    window.store.close()


def test_empty_store_shows_the_three_steps(open_window) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    panel = window.welcome.panel
    assert window.welcome.is_shown() and panel.isVisible() and not window.turn_view.isVisible()
    text = "\n".join(label.text() for label in panel.findChildren(QLabel))
    for step in ("Open an export", "Get a model", "Review"):
        assert step in text
    assert [b.text() for b in (panel.open_button, panel.model_button, panel.sample_button)] == [
        "&Open an export…", "&Choose a model…", "Try the &sample"]
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in panel.findChildren(QLabel))
    assert window.conversation_view.isVisible() and window.proposal_view.isVisible()  # panes stay
    assert window.proposal_view.hasFocus()  # keyboard review is not taken over by the panel


def test_try_the_sample_imports_and_hands_over_to_the_review(qtbot, open_window, db_path: Path, demo_model: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    with qtbot.waitSignal(window.importer.finished, timeout=30_000):
        qtbot.mouseClick(window.welcome.panel.sample_button, Qt.MouseButton.LeftButton)
    assert window.conversations.total > 0
    assert not window.welcome.is_shown() and window.turn_view.isVisible()
    assert window.turns.rowCount() > 0
    _close(window)
    # The next start, on a store that has conversations: no welcome.
    again = _window(qtbot, db_path, demo_model)
    try:
        assert not again.welcome.is_shown()
    finally:
        _close(again)


def test_close_is_remembered_and_help_brings_it_back(qtbot, open_window, tmp_path: Path, demo_model: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    qtbot.mouseClick(window.welcome.panel.close_button, Qt.MouseButton.LeftButton)
    assert not window.welcome.is_shown() and window.turn_view.isVisible()
    assert welcome.was_closed()
    _close(window)
    # Another empty store: closed once, so not shown by itself again...
    again = _window(qtbot, tmp_path / "empty.db", demo_model)
    try:
        assert not again.welcome.is_shown()
        # ...but Help → Welcome shows it, with the keyboard on its first button.
        _help_welcome(again).trigger()
        assert again.welcome.is_shown() and again.welcome.panel.isVisible()
    finally:
        _close(again)


def test_help_welcome_over_a_full_store_and_import_from_it(qtbot, open_window, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    assert not window.welcome.is_shown()
    _help_welcome(window).trigger()
    assert window.welcome.is_shown()
    import_and_wait(qtbot, window, sample_export)  # an import with conversations: back to review
    assert not window.welcome.is_shown()
