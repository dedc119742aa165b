"""Crashes must cost a worker restart and a message, never the window or a decision."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from scallop_curator.domain.review import Status
from scallop_curator.store import Store

from helpers import import_and_wait as _import

HERE = Path(__file__).resolve().parent


def test_worker_killed_mid_run_then_recovers(qtbot, open_window, sample_export: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    messages: list[str] = []
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning",
                        lambda _parent, _title, text: messages.append(text))
    monkeypatch.setenv("FAKE_ENGINE_DELAY", "2")  # read by the fake engine in the spawned worker; the kill lands mid-job
    window = open_window()
    _import(qtbot, window, sample_export)
    conversation = next(s for s in window.store.conversations() if s.title == "Dutch B1 study plan")
    window.select_conversation(conversation.id)
    with qtbot.waitSignal(window.controller.resultReady, timeout=30_000):
        window.extraction.extract_current()
    with qtbot.waitSignal(window.controller.finished, timeout=10_000) as finished:
        os.kill(window.controller.client.pid, signal.SIGKILL)
    assert finished.args == ["failed"]
    assert messages and "stopped unexpectedly" in messages[0] and "SIGKILL" in messages[0]
    assert window.isVisible()
    assert "not loaded" in window.model_label.text()

    # Resume restarts the worker and does only the turns that were not done.
    done_before = len(window.store.turn_results(conversation.id))
    assert 1 <= done_before < 4 and window.resume_action.isEnabled()
    monkeypatch.setenv("FAKE_ENGINE_DELAY", "0")
    totals: list[int] = []
    window.controller.progress.connect(lambda _done, total, _eta: totals.append(total))
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as again:
        qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert again.args == ["done"]
    assert set(totals) == {4 - done_before}
    assert len(window.store.turn_results(conversation.id)) == 4
    assert window.proposals.rowCount() == 3
    assert not window.resume_action.isEnabled()


@pytest.mark.parametrize("stuck", ["0", "1"], ids=["cooperative", "stuck-in-native-code"])
def test_cancel_stops_a_turn_in_progress(qtbot, open_window, sample_export: Path, monkeypatch, stuck: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FAKE_ENGINE_DELAY", "3600")  # one turn would take an hour: only the cancel can end it
    monkeypatch.setenv("FAKE_ENGINE_STUCK", stuck)
    window = open_window()
    _import(qtbot, window, sample_export)
    with qtbot.waitSignal(window.controller.modelState, timeout=30_000, check_params_cb=lambda s: s == "extracting"):
        window.extraction.extract_all()
    assert window.cancel_button.isVisible()
    with qtbot.waitSignal(window.controller.finished, timeout=120_000) as finished:
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert finished.args == ["cancelled"]
    assert not window.cancel_button.isVisible()


def test_decision_survives_app_killed_right_after_it_is_shown(tmp_path: Path, sample_export: Path, demo_model: Path) -> None:
    db = tmp_path / "memories.db"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(HERE.parent)}
    process = subprocess.Popen(
        [sys.executable, str(HERE / "decide_then_wait.py"), str(db), str(sample_export), str(demo_model)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert line.startswith("SHOWN"), process.stderr.read() if process.stderr else line
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    _, proposal_id, shown = line.split()
    assert shown == "accepted"
    store = Store(db)
    try:
        assert store.proposal(int(proposal_id)).status is Status.ACCEPTED
        assert [m["proposal_id"] for m in store.memories()] == [int(proposal_id)]
    finally:
        store.close()


@pytest.mark.parametrize("name", ["notes.txt"])
def test_missing_file_message_names_it(qtbot, open_window, tmp_path: Path, monkeypatch, name: str) -> None:  # type: ignore[no-untyped-def]
    shown: list[str] = []
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning",
                        lambda _parent, _title, text: shown.append(text))
    window = open_window()
    _import(qtbot, window, tmp_path / name)
    assert shown and name in shown[0]


def test_cancel_pressed_while_the_model_starts_is_not_lost(qtbot, open_window, sample_export: Path,
                                                           monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FAKE_ENGINE_DELAY", "0.3")
    window = open_window()
    _import(qtbot, window, sample_export)
    with qtbot.waitSignal(window.controller.finished, timeout=10_000) as finished:
        window.extraction.extract_all()
        window.cancel_work()  # before the worker process has even started
    assert finished.args == ["cancelled"]
    assert window.store.db.execute("SELECT COUNT(*) FROM turn_results").fetchone()[0] == 0
    # The next extraction is not cancelled by the old request.
    monkeypatch.setenv("FAKE_ENGINE_DELAY", "0")
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as again:
        window.extraction.extract_current()
    assert again.args == ["done"]


def test_a_run_whose_end_cannot_be_saved_does_not_block_the_next_one(  # type: ignore[no-untyped-def]
        qtbot, open_window, sample_export: Path, monkeypatch) -> None:
    from scallop_curator.store import StoreError

    window = open_window()
    _import(qtbot, window, sample_export)
    conversation = next(s for s in window.store.conversations() if s.title == "Dutch B1 study plan")
    window.select_conversation(conversation.id)

    def locked(*_args) -> None:  # type: ignore[no-untyped-def]
        raise StoreError("the store is locked by another program")

    monkeypatch.setattr(window.store, "finish_run", locked)
    with qtbot.waitSignal(window.controller.finished, timeout=60_000):
        window.extraction.extract_current()
    assert "could not be saved" in window.notice_label.text() and "locked" in window.notice_label.text()
    assert not window.extraction.running
    monkeypatch.undo()
    other = next(s for s in window.store.conversations() if s.title != "Dutch B1 study plan")
    window.select_conversation(other.id)
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as finished:  # not refused as running
        window.extraction.extract_current()
    assert finished.args == ["done"]
