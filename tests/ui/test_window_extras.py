"""The window beyond the review loop: server backend, drag and drop, bug reports, parse failures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from helpers import import_and_wait
from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.ui import roles
from test_server_backend import Fake, completion


def test_extraction_through_a_server(qtbot, open_window, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    def reply(body):  # type: ignore[no-untyped-def]
        message = body["messages"][-1]["content"]
        facts = []
        if "flashcards" in message:
            facts = [{"content": "Prefers flashcards", "subject": "user", "category": "preference",
                      "confidence": 0.9, "action": "fact", "old_value": None, "replaces": None}]
        return 200, completion(json.dumps({"facts": facts}))

    server = Fake(reply)
    try:
        window = open_window()
        window.settings.model_source = "server"
        window.settings.server_url = server.url
        window.settings.server_concurrency = 2
        import_and_wait(qtbot, window, sample_export)
        conversation = next(s for s in window.store.conversations() if s.title == "Dutch B1 study plan")
        window.select_conversation(conversation.id)
        with qtbot.waitSignal(window.controller.finished, timeout=30_000) as finished:
            window.extraction.extract_current()
        assert finished.args == ["done"]
        assert [window.proposals.proposal(r).text for r in range(window.proposals.rowCount())] == ["Prefers flashcards"]
        assert window.store.db.execute("SELECT backend FROM runs").fetchone()[0].startswith("server ")
        assert "server" in window.model_label.text()
        assert len(server.bodies) == 4  # one request per user turn
    finally:
        server.close()


def test_dropping_an_export_imports_it(qtbot, open_window, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(sample_export))])
    event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.importer.finished, timeout=30_000):
        window.dropEvent(event)
    assert window.conversations.total == 5


def test_a_bug_reaches_a_dialog_naming_the_log(qtbot, open_window, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from scallop_curator.ui import app as ui_app

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr("scallop_curator.ui.dialogs.show_crash",
                        lambda _parent, summary, _details, log_path: shown.append((summary, log_path)))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    open_window()
    ui_app.install_crash_handler(tmp_path / "app.log")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert shown == [("RuntimeError: boom", str(tmp_path / "app.log"))]
    assert QApplication.instance() is not None


def test_a_turn_whose_answer_could_not_be_read_says_so(qtbot, open_window, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    conversation = next(s for s in window.store.conversations() if s.title == "Quick maths")
    info = RunInfo(model="m", prompt_version="v")
    run = window.store.start_run(info)
    window.store.record_result(run, info, TurnResult(conversation_id=conversation.id, turn_index=0, parse_ok=False,
                                                     raw_output='{"facts": [', error="the model's JSON is incomplete"))
    window.select_conversation(conversation.id)
    note = window.turns.index(0).data(roles.NOTE_ROLE)
    assert note.startswith("⚠") and "JSON is incomplete" in note


def test_a_model_too_big_for_free_memory_is_announced_before_loading(qtbot, open_window, sample_export: Path,
                                                                       monkeypatch) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []

    def refuse(_parent, _title, text):  # type: ignore[no-untyped-def]
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr("scallop_curator.hub.memory_estimate.available_memory", lambda: 50 * 1024 * 1024)
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.question", refuse)
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    window.extraction.extract_current()
    assert asked and "needs about" in asked[0] and "free" in asked[0]
    assert not window.controller.busy
    assert window.store.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
