"""Drive the real main window with the keyboard through a whole review, then reopen it."""

from __future__ import annotations

from pathlib import Path

import pytest

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit

from scallop_curator.domain.review import Status
from scallop_curator.store import Store

from helpers import import_and_wait as _import
from scallop_curator.ui import roles


def _extract(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args == ["done"]


def _open_dutch(window) -> None:  # type: ignore[no-untyped-def]
    conversation = next(s for s in window.store.conversations() if s.title == "Dutch B1 study plan")
    window.select_conversation(conversation.id)


def _reactivate(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """A window manager re-activates the window after a dialog; offscreen Qt needs asking."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10_000)


def _type_in_dialog(qtbot, text: str) -> None:  # type: ignore[no-untyped-def]
    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        assert dialog is not None, "the edit dialog did not open"
        edit = dialog.findChild(QLineEdit, "factText")
        edit.setText(text)
        qtbot.keyClick(edit, Qt.Key.Key_Return)

    QTimer.singleShot(200, fill)


@pytest.mark.modal("FactEditDialog")
def test_keyboard_review_survives_reopen(qtbot, open_window, sample_export: Path, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    _import(qtbot, window, sample_export)
    _open_dutch(window)
    assert window.proposals.rowCount() == 0
    _extract(qtbot, window)

    texts = [window.proposals.proposal(r).text for r in range(window.proposals.rowCount())]
    assert texts == [
        "Works as a planner at the container terminal in Rotterdam",
        "Passed the Dutch A2 exam in January",
        "Prefers flashcards over textbooks",
    ]
    # The quiet turn says so.
    notes = [window.turns.index(r).data(roles.NOTE_ROLE) for r in range(window.turns.rowCount())]
    assert "· nothing to remember" in notes

    window.proposal_view.setFocus()
    assert window.current_proposal_row() == 0
    qtbot.keyClick(window.proposal_view, Qt.Key.Key_A)      # accept → moves to the next pending
    assert window.current_proposal_row() == 1
    edited = "Planner at the <b>Rotterdam</b> container terminal — évenings only"
    _type_in_dialog(qtbot, edited)
    qtbot.keyClick(window.proposal_view, Qt.Key.Key_E)      # edit, Enter saves
    _reactivate(qtbot, window)
    assert window.current_proposal_row() == 2
    qtbot.keyClick(window.proposal_view, Qt.Key.Key_X)      # reject

    statuses = [window.proposals.proposal(r).status for r in range(3)]
    assert statuses == [Status.ACCEPTED, Status.EDITED, Status.REJECTED]
    # Undo the rejection, then skip it instead.
    qtbot.keyClick(window.proposal_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.proposals.proposal(2).status is Status.PENDING
    assert window.current_proposal_row() == 2
    qtbot.keyClick(window.proposal_view, Qt.Key.Key_Space)
    assert window.proposals.proposal(2).status is Status.SKIPPED

    # Selecting a proposal highlights its source turn.
    qtbot.keyClick(window.proposal_view, Qt.Key.Key_K)
    proposal = window.proposals.proposal(window.current_proposal_row())
    turn_row = window.turn_view.currentIndex().row()
    assert window.turns.turn(turn_row).id == proposal.turn_id
    assert window.turns.index(turn_row).data(roles.HIGHLIGHT_ROLE) is True
    selected_id = proposal.id
    window.close()
    window.store.close()

    # Independent read of the file: the decisions are there.
    check = Store(db_path)
    memories = {m["content"] for m in check.memories()}
    assert memories == {"Works as a planner at the container terminal in Rotterdam", edited}
    check.close()

    reopened = open_window()
    _statuses = [reopened.proposals.proposal(r).status for r in range(reopened.proposals.rowCount())]
    assert reopened.turns_title.text().startswith("Dutch B1 study plan")
    assert _statuses == [Status.ACCEPTED, Status.EDITED, Status.SKIPPED]
    assert reopened.proposals.proposal(reopened.current_proposal_row()).id == selected_id
    # Undo still works after a restart: it reverts the skip.
    qtbot.keyClick(reopened.proposal_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert reopened.proposals.proposal(2).status is Status.PENDING


def test_markup_in_chat_is_shown_literally(qtbot, open_window, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    _import(qtbot, window, sample_export)
    conversation = next(s for s in window.store.conversations() if s.title == "Sourdough starter")
    window.select_conversation(conversation.id)
    texts = [window.turns.index(r).data() for r in range(window.turns.rowCount())]
    assert "<b>perfect</b>, thanks!" in texts  # the model keeps the tags; the delegate draws plain text


@pytest.mark.modal("FactEditDialog")
def test_add_memory_by_hand_and_next_pending(qtbot, open_window, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    _import(qtbot, window, sample_export)
    conversation = next(s for s in window.store.conversations() if s.title == "Quick maths")
    window.select_conversation(conversation.id)
    window.turn_view.setFocus()
    window.turn_view.setCurrentIndex(window.turns.index(0))
    _type_in_dialog(qtbot, "Practising percentages")
    qtbot.keyClick(window.turn_view, Qt.Key.Key_H)
    _reactivate(qtbot, window)
    assert [m["content"] for m in window.store.memories()] == ["Practising percentages"]
    assert window.proposals.proposal(0).manual
    qtbot.keyClick(window.turn_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.store.memories() == []

    _extract(qtbot, window)  # nothing to remember in maths questions
    assert window.store.pending_count() == 0
    _open_dutch(window)
    _extract(qtbot, window)
    window.select_conversation(conversation.id)
    qtbot.keyClick(window.proposal_view, Qt.Key.Key_N)
    assert window.current_conversation() != conversation.id
    assert window.proposals.rowCount() > 0


def test_bad_file_is_refused_with_a_message(qtbot, open_window, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning",
                        lambda _parent, _title, text: shown.append(text))
    bad = tmp_path / "broken.json"
    bad.write_text('[{"mapping": {"a": ', encoding="utf-8")
    window = open_window()
    _import(qtbot, window, bad)
    assert shown and "broken.json" in shown[0]
    assert window.store.conversations() == []
    assert window.isVisible()
