"""The window through its operations runner: two windows on one store see each other's changes and
undo only their own; a locked store is a plain message (also for undo); relations on proposal rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from scallop_curator.domain.facts import Fact
from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.domain.review import Status
from scallop_curator.extraction.client import WorkerClient
from scallop_curator.importers import load_export
from scallop_curator.settings import Settings
from scallop_curator.store import Store, memories, operations
from scallop_curator.ui import roles
from scallop_curator.ui.main_window import MainWindow

INFO = RunInfo(model="m.gguf", model_hash="h", prompt_version="extract-v1")


def _fact(content: str, **extra: object) -> Fact:
    return Fact.model_validate({"content": content, "subject": "user", "category": "location", "confidence": 0.9,
                                **extra})


@pytest.fixture
def prepared(tmp_path: Path, sample_export: Path) -> tuple[Path, str, list[int]]:
    """A store with the sample imported and three proposals on the newest conversation's first user turn."""
    path = tmp_path / "memories.db"
    store = Store(path)
    store.import_file(load_export(sample_export), str(sample_export))
    conversation_id = store.conversation_ids()[0]
    turn = next(t for t in store.turns(conversation_id) if t.role == "user")
    run = store.start_run(INFO)
    ids = store.record_result(run, INFO, TurnResult(
        conversation_id=conversation_id, turn_index=turn.index, parse_ok=True, raw_output="{}",
        facts=[_fact("Lives in Paris"), _fact("Lives in Berlin"), _fact("Has a bike", category="general")]))
    store.close()
    return path, conversation_id, ids


@pytest.fixture
def open_window(qtbot, tmp_path: Path) -> Iterator:  # type: ignore[no-untyped-def]
    opened: list[MainWindow] = []

    def factory(path: Path) -> MainWindow:
        window = MainWindow(Store(path), Settings(model_path=str(tmp_path / "none.gguf")),
                            client=WorkerClient(engine_factory="fake_engine:make_engine"))
        window.ops.watcher.stop()  # the tests look for other connections' changes explicitly
        qtbot.addWidget(window)
        window.show()
        opened.append(window)
        return window

    yield factory
    for window in opened:
        if window.isVisible():
            window.close()
        window.store.close()


def _select(window: MainWindow, conversation_id: str, proposal_id: int) -> None:
    window.select_conversation(conversation_id)
    window.select_proposal(proposal_id)


def test_two_windows_see_each_others_changes_and_undo_only_their_own(open_window, prepared) -> None:  # type: ignore[no-untyped-def]
    path, conversation_id, (paris, berlin, bike) = prepared
    first, second = open_window(path), open_window(path)
    _select(first, conversation_id, paris)
    first.accept_current()
    assert first.proposals.proposal(first.proposals.row_of(paris)).status is Status.ACCEPTED
    # the second window has not heard yet; its watcher notices the other connection's commit
    assert second.proposals.proposal(second.proposals.row_of(paris)).status is Status.PENDING
    seen: list[object] = []
    second.ops.changed.connect(seen.append)
    assert second.ops.check_external()
    assert seen and seen[0].external
    assert second.proposals.proposal(second.proposals.row_of(paris)).status is Status.ACCEPTED
    assert not second.ops.check_external()  # nothing new since
    _select(second, conversation_id, bike)
    second.reject_current()
    first.undo()  # undoes the first window's accept, not the second window's reject
    assert first.store.proposal(paris).status is Status.PENDING
    assert first.store.proposal(bike).status is Status.REJECTED
    assert not second.undo_action.isEnabled() or second.store.can_undo()
    second.undo()
    assert first.store.proposal(bike).status is Status.PENDING


def test_relation_on_the_proposal_row(open_window, prepared) -> None:  # type: ignore[no-untyped-def]
    path, conversation_id, (paris, berlin, bike) = prepared
    window = open_window(path)
    _select(window, conversation_id, paris)
    window.accept_current()
    row = window.proposals.row_of(berlin)
    index = window.proposals.index(row)
    assert index.data(roles.RELATION_ROLE) == "conflicts"
    assert index.data(roles.DETAIL_ROLE).startswith("conflicts with “Lives in Paris”")
    assert window.proposals.index(window.proposals.row_of(bike)).data(roles.RELATION_ROLE) == "new"
    # Shift+A: accept, replacing what it conflicts with
    _select(window, conversation_id, berlin)
    window._decide(Status.ACCEPTED, choice=operations.REPLACE)
    assert [m.content for m in memories.listed(window.store.db)] == ["Lives in Berlin"]
    window.undo()
    assert sorted(m.content for m in memories.listed(window.store.db)) == ["Lives in Paris"]


def test_locked_store_is_a_message_for_decisions_and_undo(open_window, prepared, qtbot) -> None:  # type: ignore[no-untyped-def]
    path, conversation_id, (paris, _berlin, _bike) = prepared
    window = open_window(path)
    _select(window, conversation_id, paris)
    window.accept_current()
    window.store.db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        window.undo()
        boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
        assert boxes and "busy" in boxes[-1].text()
        for box in boxes:
            box.close()
        _select(window, conversation_id, paris)
        window.reject_current()
        boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
        assert boxes and boxes[-1].windowTitle() == "Decision not saved"
        for box in boxes:
            box.close()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert window.store.proposal(paris).status is Status.ACCEPTED
    window.undo()
    assert window.store.proposal(paris).status is Status.PENDING
