"""The window asks who the user is per log of a multi-speaker file, and imports every log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

from scallop_curator.importers.speakers import SpeakerLog
from scallop_curator.ui.speaker_dialog import SpeakerDialog

PAIRS = [("pair-1", "Rita", "Tom"), ("pair-2", "Ana", "Ben"), ("pair-3", "Cleo", "Rita")]


def pairs_file(folder: Path) -> Path:
    records = [{"sample_id": s, "conversation": {
        "speaker_a": a, "speaker_b": b, "session_1_date_time": "1:56 pm on 8 May, 2023",
        "session_1": [{"speaker": a, "dia_id": "D1:1", "text": f"{a} says hi to {b}."},
                      {"speaker": b, "dia_id": "D1:2", "text": f"{b} answers {a}."}]}} for s, a, b in PAIRS]
    path = folder / "pairs.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


LOGS = [SpeakerLog(s, (a, b)) for s, a, b in PAIRS]


def test_dialog_defaults_and_same_for_all(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = SpeakerDialog(None, "pairs.json", LOGS)
    qtbot.addWidget(dialog)
    # Rita speaks in two logs: likely the person whose history this is; elsewhere the first speaker.
    assert dialog.choices() == {"pair-1": "Rita", "pair-2": "Ana", "pair-3": "Rita"}
    dialog.for_all.setCurrentText("each log's second speaker")
    assert dialog.choices() == {"pair-1": "Tom", "pair-2": "Ben", "pair-3": "Rita"}
    dialog.combos["pair-2"].setCurrentText("Ana")
    assert dialog.choices()["pair-2"] == "Ana"
    dialog.for_all.setCurrentText("Rita")
    assert dialog.choices() == {"pair-1": "Rita", "pair-2": "Ana", "pair-3": "Rita"}


def test_every_pair_is_imported_with_its_own_user(qtbot, open_window, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    asked: list[list[SpeakerLog]] = []

    def choose(dialog: SpeakerDialog) -> int:
        asked.append(list(dialog._logs))
        dialog.combos["pair-1"].setCurrentText("Tom")
        dialog.combos["pair-2"].setCurrentText("Ben")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(SpeakerDialog, "exec", choose)
    window = open_window()
    # The first pass only asks (its own `finished` comes before the second pass is done, and that
    # pass may commit before its fileDone is delivered): wait for the file itself.
    with qtbot.waitSignal(window.importer.fileDone, timeout=60_000):
        window.import_files([pairs_file(tmp_path)])
    qtbot.waitUntil(lambda: window.conversations.total == 3, timeout=60_000)
    assert asked == [LOGS]
    users = {cid: next(t.text for t in window.store.conversation(cid).turns if t.role == "user")
             for cid in window.store.conversation_ids()}
    assert users == {"locomo:pair-1:session_1": "Tom answers Rita.", "locomo:pair-2:session_1": "Ben answers Ana.",
                     "locomo:pair-3:session_1": "Rita answers Cleo."}
    assert "pair-1: Tom is the user" in window.notice_label.text()


def test_a_named_transcript_asks_too_and_cancel_imports_nothing(qtbot, open_window, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "chat.txt"
    path.write_text("Alice: I bought a piano.\nBob: Do you play?\nAlice: Since I was six.\nBob: Nice.\n")
    asked: list[list[SpeakerLog]] = []

    def cancel(dialog: SpeakerDialog) -> int:
        asked.append(list(dialog._logs))
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(SpeakerDialog, "exec", cancel)
    window = open_window()
    with qtbot.waitSignal(window.importer.finished, timeout=60_000):
        window.import_files([path])
    qtbot.waitUntil(lambda: bool(asked), timeout=60_000)
    assert asked == [[SpeakerLog("conversation 1", ("Alice", "Bob"))]]
    assert window.store.conversation_count() == 0


@pytest.mark.parametrize("name", ["transcript.txt"])
def test_an_ordinary_export_does_not_ask(qtbot, open_window, monkeypatch, name) -> None:  # type: ignore[no-untyped-def]
    def never(_dialog: SpeakerDialog) -> int:
        raise AssertionError("asked who the user is for a chat with roles")

    monkeypatch.setattr(SpeakerDialog, "exec", never)
    window = open_window()
    path = Path(__file__).resolve().parents[1] / "fixtures" / "exports" / name
    with qtbot.waitSignal(window.importer.finished, timeout=60_000):
        window.import_files([path])
    qtbot.waitUntil(lambda: window.conversations.total == 1, timeout=60_000)
