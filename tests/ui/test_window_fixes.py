"""The window's rough edges found by a new user (issue 7, "The window"): a filter hiding the open
conversation, Esc, turns left unextracted, long titles and messages, editing every field, the
shortcut sheet, stacked notices, message search and the dark palette."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QStyleOptionViewItem,
)

from helpers import import_and_wait, write_chatgpt_export
from scallop_curator.domain.facts import Fact
from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.domain.review import Status
from scallop_curator.ui import roles
from scallop_curator.ui.dialogs import ShortcutSheet

CTRL = Qt.KeyboardModifier.ControlModifier


def _conversation(window, title: str):  # type: ignore[no-untyped-def]
    return next(s for s in window.store.conversations() if s.title == title)


def _extract(qtbot, window, run) -> list[str]:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as finished:
        run()
    return finished.args


def _option(view, index) -> QStyleOptionViewItem:  # type: ignore[no-untyped-def]
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    return option


@pytest.mark.parametrize("hide_by", ["text", "date"])
def test_a_filter_hiding_the_open_conversation_during_extraction(qtbot, open_window, sample_export: Path,
                                                                  hide_by: str) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    dutch = _conversation(window, "Dutch B1 study plan")
    window.select_conversation(dutch.id)
    if hide_by == "text":
        window.filter_edit.setText("no conversation is called this")
    else:
        window.date_combo.setCurrentIndex(1)  # past week: the sample is older
    window.review.apply_query()
    assert window.conversations.rowCount() == 0
    assert window.current_conversation() == dutch.id
    assert _extract(qtbot, window, window.extraction.extract_current) == ["done"]  # every result updates the titles
    assert window.proposals_title.text().endswith("3 pending of 3")
    assert window.turns_title.text().startswith("Dutch B1 study plan")


def test_escape_in_the_filter_clears_it_and_never_cancels_an_extraction(qtbot, open_window, sample_export: Path,
                                                                         monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FAKE_ENGINE_DELAY", "30")
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    with qtbot.waitSignal(window.controller.modelState, timeout=30_000, check_params_cb=lambda s: s == "extracting"):
        window.extraction.extract_all()
    qtbot.keyClick(window.proposal_view, Qt.Key.Key_F, CTRL)
    assert window.filter_edit.hasFocus()
    qtbot.keyClicks(window.filter_edit, "Dutch")
    qtbot.keyClick(window.filter_edit, Qt.Key.Key_Escape)
    assert window.filter_edit.text() == ""
    assert window.proposal_view.hasFocus()  # the review keys work at once
    qtbot.keyClick(window.proposal_view, Qt.Key.Key_Escape)
    assert window.controller.busy
    assert "Ctrl+." in window.cancel_button.toolTip()
    assert window.cancel_action.shortcut().toString() == "Ctrl+."
    with qtbot.waitSignal(window.controller.finished, timeout=10_000) as finished:
        qtbot.keyClick(window.proposal_view, Qt.Key.Key_Period, CTRL)
    assert finished.args == ["cancelled"]


def test_turns_left_by_a_stopped_or_killed_run_are_shown_and_extracted_after_a_restart(
        qtbot, open_window, sample_export: Path, db_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FAKE_ENGINE_DELAY", "2")  # the cancel lands long before the second turn is done
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    dutch = _conversation(window, "Dutch B1 study plan")
    window.select_conversation(dutch.id)
    with qtbot.waitSignal(window.controller.resultReady, timeout=30_000):
        window.extraction.extract_current()
    assert _extract(qtbot, window, window.cancel_work) == ["cancelled"]
    done = len(window.store.turn_results(dutch.id))
    assert 1 <= done < 4
    left = 4 - done
    hint = f"{left} turns not extracted"
    assert window.resume_label.isVisibleTo(window) and window.resume_label.text().startswith(hint)
    window.notify("something else happened")  # a later note does not wipe out the hint
    assert window.resume_label.text().startswith(hint)
    row = window.conversations.row_of(dutch.id)
    assert f"{left} not extracted" in window.conversations.index(row).data(roles.SUBTITLE_ROLE)
    notes = [window.turns.index(r).data(roles.NOTE_ROLE) for r in range(window.turns.rowCount())]
    assert sum("not extracted" in n for n in notes) == left
    window.close()
    window.store.close()
    # What a killed app leaves behind: its run still marked running.
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE runs SET status = 'running', finished_at = NULL")

    monkeypatch.setenv("FAKE_ENGINE_DELAY", "0")
    reopened = open_window()
    assert reopened.store.db.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]
    assert reopened.resume_label.isVisibleTo(reopened) and reopened.resume_label.text().startswith(hint)
    assert reopened.resume_action.isEnabled()
    totals: list[int] = []
    reopened.controller.progress.connect(lambda _done, total, _eta: totals.append(total))
    assert _extract(qtbot, reopened, lambda: qtbot.keyClick(reopened.proposal_view, Qt.Key.Key_E,
                                                            CTRL | Qt.KeyboardModifier.ShiftModifier)) == ["done"]
    user_turns = sum(s.user_turns for s in reopened.store.conversations())
    assert set(totals) == {user_turns - done}  # the finished turns are not redone
    assert reopened.store.conversations_with_unextracted() == []
    assert len(reopened.store.turn_results(dutch.id)) == 4
    assert not reopened.resume_label.isVisibleTo(reopened)


def test_long_titles_are_elided_and_equal_titles_show_their_dates(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    long_title = "A very long title about planning " * 12
    export = write_chatgpt_export(tmp_path / "titles.json", [
        ("Weekly plan", 1_700_000_000, [("user", "hello"), ("assistant", "hi")]),
        ("Weekly plan", 1_710_000_000, [("user", "hello again"), ("assistant", "hi")]),
        (long_title, 1_720_000_000, [("user", "a question"), ("assistant", "an answer")]),
    ])
    window = open_window()
    import_and_wait(qtbot, window, export)
    QApplication.processEvents()
    view = window.conversation_view
    assert view.horizontalScrollBar().maximum() == 0
    delegate = view.itemDelegate()
    for row in range(window.conversations.rowCount()):
        index = window.conversations.index(row)
        rect = view.visualRect(index)
        assert rect.right() < view.viewport().width()  # the count, drawn at the right, is in view
        assert delegate.title_width(_option(view, index), index) < rect.width()
    subtitles = {window.conversations.index(r).data(roles.SUBTITLE_ROLE)
                 for r in range(3) if window.conversations.index(r).data() == "Weekly plan"}
    assert len(subtitles) == 2 and any("2023-11-14" in s for s in subtitles)


def test_a_long_message_says_it_is_cut_and_the_reader_shows_it_whole(qtbot, open_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    story = "\n".join(f"Line {n} of a long story about my week." for n in range(60))
    message = story + "\nI am allergic to walnuts, so leave them out of recipes."
    export = write_chatgpt_export(tmp_path / "long.json", [("Long one", 1_700_000_000, [("user", message),
                                                                                        ("assistant", "Noted.")])])
    window = open_window()
    import_and_wait(qtbot, window, export)
    window.select_conversation(_conversation(window, "Long one").id)
    assert _extract(qtbot, window, window.extraction.extract_current) == ["done"]
    index = window.turns.index(0)
    cut = window.turn_view.itemDelegate()._cut_line(_option(window.turn_view, index), index, 400)
    assert cut.startswith("⋯") and "more lines" in cut
    assert window.proposals.proposal(window.current_proposal_row()).text == "Allergic to walnuts"
    assert window.reader.toPlainText() == message
    assert window.reader.highlighted_text() == "I am allergic to walnuts, so leave them out of recipes."
    qtbot.keyClick(window.proposal_view, Qt.Key.Key_M)
    assert window.reader.hasFocus()


def _fill_dialog(qtbot, values: dict[str, object], seen: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        assert dialog is not None, "the dialog did not open"
        context = dialog.findChild(QLabel, "factContext")
        seen["context"] = context.text() if context else ""
        for name, value in values.items():
            widget = dialog.findChild(QLineEdit, name) or dialog.findChild(QComboBox, name) \
                or dialog.findChild(QDoubleSpinBox, name)
            if isinstance(widget, QLineEdit):
                widget.setText(str(value))
            elif isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            else:
                widget.setValue(float(value))
        qtbot.keyClick(dialog.findChild(QLineEdit, "factText"), Qt.Key.Key_Return)

    QTimer.singleShot(200, fill)


@pytest.mark.modal("FactEditDialog")  # the test fills the real dialog
def test_edit_changes_every_field_and_is_undone(qtbot, open_window, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    window.select_conversation(_conversation(window, "Dutch B1 study plan").id)
    assert _extract(qtbot, window, window.extraction.extract_current) == ["done"]
    window.proposal_view.setFocus()
    proposal = window.proposals.proposal(0)
    assert proposal.text == "Works as a planner at the container terminal in Rotterdam"
    seen: dict[str, str] = {}
    _fill_dialog(qtbot, {"factText": "Works as a planner in Antwerp", "factSubject": "Sophie",
                         "factCategory": "relationship", "factConfidence": 0.55, "factAction": "correction",
                         "factOldValue": "Rotterdam", "factReplaces": "job"}, seen)
    qtbot.keyClick(window.proposal_view, Qt.Key.Key_E)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10_000)
    assert seen["context"].startswith("From turn ")
    edited = window.store.proposal(proposal.id)
    assert (edited.status, edited.text, edited.subject, edited.category, edited.confidence, edited.action,
            edited.old_value, edited.replaces) == (Status.EDITED, "Works as a planner in Antwerp", "Sophie",
                                                   "relationship", 0.55, "correction", "Rotterdam", "job")
    [memory] = window.store.memories()
    assert (memory["content"], memory["subject"], memory["category"], memory["action"], memory["replaces"]) == \
        ("Works as a planner in Antwerp", "Sophie", "relationship", "correction", "job")
    assert "Sophie · relationship · 0.55 · correction · was: Rotterdam · replaces: job" in \
        window.proposals.index(window.proposals.row_of(proposal.id)).data(roles.DETAIL_ROLE)
    window.undo()
    back = window.store.proposal(proposal.id)
    assert (back.status, back.text, back.subject, back.category, back.action) == \
        (Status.PENDING, proposal.text, "user", proposal.category, "fact")
    assert window.store.memories() == []
    window.redo()
    assert window.store.proposal(proposal.id).subject == "Sophie"
    assert window.store.memories()[0]["subject"] == "Sophie"


@pytest.mark.modal("FactEditDialog")  # the test fills the real dialog
def test_add_by_hand_names_the_turn(qtbot, open_window, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    window.select_conversation(_conversation(window, "Quick maths").id)
    window.turn_view.setFocus()
    window.turn_view.setCurrentIndex(window.turns.index(0))
    first_words = " ".join(window.turns.turn(0).text.split()[:4])
    seen: dict[str, str] = {}
    _fill_dialog(qtbot, {"factText": "Practising percentages", "factCategory": "project"}, seen)
    qtbot.keyClick(window.turn_view, Qt.Key.Key_H)
    window.activateWindow()
    assert seen["context"].startswith("To turn 1 (user): “" + first_words)
    [memory] = window.store.memories()
    assert (memory["content"], memory["category"]) == ("Practising percentages", "project")


def test_the_shortcut_sheet_lists_every_key_there_is(qtbot, open_window) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    sheet = ShortcutSheet(window, window.actions())
    qtbot.addWidget(sheet)
    keys = [sheet.table.item(r, 0).text() for r in range(sheet.table.rowCount())]
    listed = " | ".join(keys)
    for action in window.actions():
        for sequence in action.shortcuts():
            assert sequence.toString() in listed, action.text()
    for expected in ("Esc", "Ctrl+R", "Ctrl+Q", "Ctrl+.", "Ctrl+Shift+E", "M"):
        assert any(expected in k for k in keys), expected


def test_empty_fields_written_as_none_are_not_shown(qtbot, open_window, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    quick = _conversation(window, "Quick maths")
    info = RunInfo(model="m", prompt_version="v")
    run = window.store.start_run(info)
    fact = Fact(content="Lives in Utrecht", subject="user", category="location", confidence=0.8,
                action="correction", old_value="none", replaces="None")
    window.store.record_result(run, info, TurnResult(conversation_id=quick.id, turn_index=0, parse_ok=True,
                                                     facts=[fact]))
    window.select_conversation(quick.id)
    detail = window.proposals.index(0).data(roles.DETAIL_ROLE)
    assert detail == "user · location · 0.80 · correction"


def test_two_imports_leave_both_notices(qtbot, open_window, sample_export: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = write_chatgpt_export(tmp_path / "other.json", [("Other", 1_700_000_000, [("user", "hi")])])
    window = open_window()
    with qtbot.waitSignal(window.importer.finished, timeout=30_000):
        window.import_files([sample_export, other])
    qtbot.waitUntil(lambda: "other.json" in window.notice_label.text(), timeout=5000)
    assert "conversations.json: 5 new conversations" in window.notice_label.text()


def test_the_filter_searches_messages_too(qtbot, open_window, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, sample_export)

    def titles(text: str) -> list[str]:
        window.filter_edit.setText(text)
        window.review.apply_query()
        return [window.conversations.index(r).data() for r in range(window.conversations.rowCount())]

    assert titles("flashcards") == ["Dutch B1 study plan"]  # only in a message
    assert titles("flashc") == ["Dutch B1 study plan"]  # the last word is a prefix while typing
    assert titles("walnuts bread") == ["Sourdough starter"]  # every word, anywhere in one message
    assert titles("sourdough") == ["Sourdough starter"]  # titles still match by substring
    assert titles('"walnuts" OR NEAR(') == []  # FTS5 syntax typed in the box is only words
    assert window.conversations_title.text() == "Conversations · 0"


def _dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.Base, "#1e1e1e"),
                         (QPalette.ColorRole.Text, "#e6e6e6"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
                         (QPalette.ColorRole.Highlight, "#2d5a8a"), (QPalette.ColorRole.HighlightedText, "#ffffff"),
                         (QPalette.ColorRole.Link, "#7fb2ff"), (QPalette.ColorRole.Button, "#333333"),
                         (QPalette.ColorRole.ButtonText, "#e6e6e6")):
        palette.setColor(role, QColor(colour))
    return palette


def test_dark_palette_selection_uses_the_palettes_highlight(qtbot, open_window, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    window.select_conversation(_conversation(window, "Dutch B1 study plan").id)
    assert _extract(qtbot, window, window.extraction.extract_current) == ["done"]
    dark = _dark_palette()
    for view in (window.proposal_view, window.turn_view):
        view.setPalette(dark)
    window.proposal_view.setCurrentIndex(window.proposals.index(1))
    QApplication.processEvents()
    highlight = dark.color(QPalette.ColorRole.Highlight)
    for view in (window.proposal_view, window.turn_view):
        index = view.currentIndex()
        assert index.isValid()
        rect = view.visualRect(index)
        image = view.viewport().grab().toImage()
        # A point of background inside the card, right of the text: the palette's own highlight.
        colour = image.pixelColor(rect.right() - 3, rect.top() + rect.height() // 2 + 1)
        assert colour.name() == highlight.name(), view.objectName()
