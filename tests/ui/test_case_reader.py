"""Starting an extraction of many conversations reads their cases on a thread (``CaseReader``): the
window stays responsive, a second start is refused meanwhile, the job gets the same turns as a read
on the UI thread, and a store that cannot be read is a plain message with nothing started."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from helpers import import_and_wait
from scallop_curator.store import case_reads
from scallop_curator.ui import window_extraction
from scallop_curator.ui.extraction_plan_dialog import clock_of


def _spy_on_starts(window) -> list[list[tuple[str, int]]]:  # type: ignore[no-untyped-def]
    started: list[list[tuple[str, int]]] = []
    real_start = window.controller.start
    window.controller.start = lambda spec, cases, sink=None: (
        started.append([(c.conversation_id, c.turn_index) for c in cases]), real_start(spec, cases, sink))[1]
    return started


def test_many_conversations_are_read_on_a_thread_and_give_the_job_every_unextracted_turn(  # type: ignore[no-untyped-def]
        qtbot, open_window, sample_export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    window.settings.extraction.confirm_turns = 1_000  # no plan dialog
    ids = window.store.conversations_with_unextracted()
    expected = {(c.conversation_id, c.turn_index)
                for c in window.store.extraction_cases(ids, *clock_of(window.settings), only_new=True)}
    monkeypatch.setattr(window_extraction, "INLINE_CONVERSATIONS", len(ids) - 1)
    started = _spy_on_starts(window)

    window.extraction.extract_all()
    # The cases arrive through the UI thread's event loop, so nothing can have started yet.
    assert window.extraction._cases.reading and not window.controller.busy and started == []
    assert f"reading {len(ids):,} conversations" in window.progress_label.text()
    assert window.cancel_button.isVisibleTo(window)  # the read can be cancelled like the job
    window.extraction.extract_all()  # a second start while the first is being prepared
    window.extraction.resume_extraction()
    assert "An extraction is being prepared." in window.notice_label.text()
    window.notice_label.clear()
    row = next(r for r in range(window.turns.rowCount()) if window.turns.turn(r).role == "user")
    window.turn_view.setCurrentIndex(window.turns.index(row))
    window.extract_turn_action.trigger()  # one turn by hand (Ctrl+Shift+T): not a second job either
    assert started == [] and "An extraction is being prepared." in window.notice_label.text()
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as finished:
        pass
    assert finished.args == ["done"]
    assert len(started) == 1 and len(started[0]) == len(expected) and set(started[0]) == expected
    assert not window.extraction._cases.reading
    assert window.store.conversations_with_unextracted() == []


@pytest.mark.parametrize(("error", "said"), [(lambda: sqlite3.DatabaseError("file is not a database"), "file is not a database"),
                                             (lambda: ValueError("a bug"), "internal error")])
def test_a_store_that_cannot_be_read_is_a_plain_message_and_nothing_starts(  # type: ignore[no-untyped-def]
        qtbot, open_window, sample_export: Path, monkeypatch: pytest.MonkeyPatch, dialogs,
        error: Callable[[], Exception], said: str) -> None:
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    monkeypatch.setattr(window_extraction, "INLINE_CONVERSATIONS", 0)
    started = _spy_on_starts(window)

    def unreadable(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise error()  # a new one each time: a raised instance keeps its frames (and the window) alive

    readable = case_reads.extraction_cases
    monkeypatch.setattr(case_reads, "extraction_cases", unreadable)
    shown: list[str] = []
    dialogs.answer("QMessageBox.warning", lambda _parent, _title, text, *_rest: (
        shown.append(text), QMessageBox.StandardButton.Ok)[1])
    window.extraction.extract_all()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert str(window.store.path) in shown[0] and said in shown[0]
    assert started == [] and not window.controller.busy and not window.extraction._cases.reading

    monkeypatch.setattr(case_reads, "extraction_cases", readable)  # the next start is not refused as "being prepared"
    window.settings.extraction.confirm_turns = 1_000
    with qtbot.waitSignal(window.controller.finished, timeout=60_000):
        window.extraction.extract_all()
    assert len(started) == 1 and window.store.conversations_with_unextracted() == []


def test_resuming_a_stopped_whole_history_after_a_restart_reads_its_cases_on_a_thread(  # type: ignore[no-untyped-def]
        qtbot, open_window, sample_export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    ids = window.store.conversations_with_unextracted()
    window.store.set_meta("extraction.job", json.dumps(ids))  # as a job killed before its first result leaves it
    window.settings.extraction.confirm_turns = 1_000
    monkeypatch.setattr(window_extraction, "INLINE_CONVERSATIONS", 0)
    started = _spy_on_starts(window)
    expected = {(c.conversation_id, c.turn_index)
                for c in window.store.extraction_cases(ids, *clock_of(window.settings), only_new=True)}

    window.extraction.resume_extraction()
    assert window.extraction._cases.reading and started == []
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as finished:
        pass
    assert finished.args == ["done"] and len(started) == 1 and set(started[0]) == expected
    window.extraction.resume_extraction()  # nothing is left
    assert "There is no stopped extraction to resume." in window.notice_label.text()


def test_cancel_while_the_cases_are_read_starts_nothing(  # type: ignore[no-untyped-def]
        qtbot, open_window, sample_export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    window.settings.extraction.confirm_turns = 1_000
    monkeypatch.setattr(window_extraction, "INLINE_CONVERSATIONS", 0)
    started = _spy_on_starts(window)

    window.extraction.extract_all()
    with qtbot.waitSignal(window.extraction._cases._read, timeout=60_000):  # the read lands ...
        window.cancel_work()  # ... after the user pressed Cancel
    qtbot.wait(100)
    assert started == [] and not window.controller.busy and not window.extraction._cases.reading
    assert "Extraction cancelled before it started." in window.notice_label.text()
    assert not window.cancel_button.isVisibleTo(window)
    assert window.store.conversations_with_unextracted()  # nothing was extracted

    with qtbot.waitSignal(window.controller.finished, timeout=60_000):  # and the next start is not refused
        window.extraction.extract_all()
    assert len(started) == 1


def test_a_cancelled_read_landing_after_a_new_start_leaves_the_new_one_alone(  # type: ignore[no-untyped-def]
        qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancel, start again, and the old read lands first: the new read still delivers."""
    import threading

    from scallop_curator.store import Store
    from scallop_curator.ui.case_reader import CaseReader

    store = Store(tmp_path / "m.db")
    store.close()
    may_end = {"old": threading.Event(), "new": threading.Event()}
    readable = case_reads.extraction_cases

    def held(conn, ids, *args):  # type: ignore[no-untyped-def]
        may_end[ids[0]].wait(30)
        return readable(conn, ids, *args)

    monkeypatch.setattr(case_reads, "extraction_cases", held)
    reader = CaseReader()
    got: list[str] = []
    reader.read(tmp_path / "m.db", ["old"], None, "day", False, lambda _cases: got.append("old"))
    assert reader.cancel()
    reader.read(tmp_path / "m.db", ["new"], None, "day", False, lambda _cases: got.append("new"))
    try:
        with qtbot.waitSignal(reader._read, timeout=10_000):  # the cancelled read lands first
            may_end["old"].set()
        assert got == [] and reader.reading  # still waiting for the new one
        with qtbot.waitSignal(reader._read, timeout=10_000):
            may_end["new"].set()
        assert got == ["new"] and not reader.reading
    finally:
        for event in may_end.values():
            event.set()
