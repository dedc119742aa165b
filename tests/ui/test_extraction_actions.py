"""The window's extraction side is a controller (``ExtractionActions``) the window makes in
``fill``, not a mixin: the Model menu's keys reach it, the extraction controller's signals reach
its slots, and what it does shows in the review views and the status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt

from helpers import import_and_wait
from scallop_curator.ui.main_window import MainWindow
from scallop_curator.ui.window_extraction import ExtractionActions

CTRL = Qt.KeyboardModifier.ControlModifier


def _menu_action(window, text: str):  # type: ignore[no-untyped-def]
    return next(a for a in window.model_menu.actions() if a.text() == text)


def test_the_window_owns_an_extraction_controller_and_inherits_no_mixin(open_window) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    assert not issubclass(MainWindow, ExtractionActions)
    assert [base.__name__ for base in MainWindow.__bases__] == ["QMainWindow"]
    extraction = window.extraction
    assert isinstance(extraction, ExtractionActions) and isinstance(extraction, QObject)
    assert extraction.parent() is window  # goes with the window
    assert window.controller is extraction.controller
    assert extraction.store is window.store and extraction.settings is window.settings
    assert extraction.review is window.review


def test_ctrl_e_extracts_stores_each_result_and_the_review_view_shows_it(qtbot, open_window,  # type: ignore[no-untyped-def]
                                                                          sample_export: Path) -> None:
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    dutch = next(s for s in window.store.conversations() if s.title == "Dutch B1 study plan")
    window.select_conversation(dutch.id)
    assert window.proposals.rowCount() == 0
    assert window.proposals_title.text().endswith("not extracted yet: press Ctrl+E")
    assert window.resume_label.isHidden() and not window.resume_action.isEnabled()

    seen: list[tuple[int, int, str, str, bool]] = []  # (stored, rows, title, model, progress)

    def on_result(result) -> None:  # type: ignore[no-untyped-def]
        # Connected after the controller's own slot: by now the result is stored and shown.
        stored = len(window.store.turn_results(dutch.id))
        seen.append((stored, window.proposals.rowCount(), window.proposals_title.text(),
                     window.model_label.text(), window.progress_bar.isVisibleTo(window)))

    window.controller.resultReady.connect(on_result)
    published: list = []  # every result reaches the views as the Changes of its conversation
    window.ops.changed.connect(published.append)
    window.proposal_view.setFocus()
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as finished:
        qtbot.keyClick(window.proposal_view, Qt.Key.Key_E, CTRL)  # Model → Extract this conversation
    assert finished.args == ["done"]

    assert len(seen) == 4
    assert [c.conversations for c in published if c.conversations] == [frozenset({dutch.id})] * 4
    assert all(stored >= n for n, (stored, *_) in enumerate(seen, 1))  # stored before it was shown
    for _stored, _rows, title, model, progress_shown in seen:  # each result refreshed the title
        assert "pending of" in title and "not extracted yet" not in title
        assert "extracting" in model and progress_shown
    assert seen[-1][1] == 3

    stored = window.store.proposals(dutch.id)
    assert [window.proposals.proposal(r).id for r in range(window.proposals.rowCount())] == [p.id for p in stored]
    assert window.proposals_title.text().endswith("3 pending of 3")
    assert window.pending_label.text().startswith("3 pending")
    assert window.model_label.text().split(" · ")[-1].startswith("ready")
    assert not window.progress_bar.isVisibleTo(window) and not window.cancel_button.isVisibleTo(window)
    assert "Extraction finished." in window.notice_label.text()
    assert window.store.last_run_status() == "done"
    assert window.resume_label.isHidden() and not window.resume_action.isEnabled()


def test_the_model_menu_reaches_the_controller(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    window.settings.prompt_path = str(tmp_path / "mine.txt")
    _menu_action(window, "Use the &bundled prompt").trigger()
    assert window.settings.prompt_path is None
    assert "Using the bundled prompt" in window.notice_label.text()

    assert not window.resume_action.isEnabled()  # the controller found nothing stopped in the store

    qtbot.keyClick(window.proposal_view, Qt.Key.Key_E, CTRL | Qt.KeyboardModifier.ShiftModifier)  # an empty store
    assert "Every conversation has been extracted." in window.notice_label.text()
    assert not window.controller.busy
