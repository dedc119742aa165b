"""An import's batches (Store.import_file): past the minimum (IMPORT_BATCH conversations or
IMPORT_BATCH_SECONDS) a batch goes on while no other connection waits for the write lock, up to
IMPORT_BATCH_MAX_SECONDS, and ends at once when one does (store/write_turns.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ImportedFile
from scallop_curator.store import Store
from scallop_curator.store import store as store_module
from scallop_curator.store.write_turns import WriteTurns

COUNT = 6


def _imported() -> ImportedFile:
    return ImportedFile("test", [
        Conversation(id=f"c{n}", title=f"c{n}", turns=[
            Turn(role="user" if i % 2 == 0 else "assistant", text=f"word{n}x{i}", source_id=f"c{n}-{i}")
            for i in range(4)])
        for n in range(COUNT)
    ])


@pytest.fixture
def tiny_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "IMPORT_BATCH", 1)  # the minimum is reached after every conversation
    monkeypatch.setattr(store_module, "IMPORT_BATCH_SECONDS", 0.0)
    monkeypatch.setattr(store_module, "IMPORT_BATCH_MAX_SECONDS", 3600.0)


def _commits_of_import(store: Store) -> int:
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    summary = store.import_file(_imported(), "file.json")
    store.db.conn.set_trace_callback(None)
    assert summary.new_conversations == COUNT and summary.new_turns == 4 * COUNT
    return sum(statement == "COMMIT" for statement in statements)


def test_no_one_waiting_one_batch(tmp_path: Path, tiny_minimum: None) -> None:
    store = Store(tmp_path / "m.db")
    assert _commits_of_import(store) == 1
    store.close()


def test_a_waiting_writer_ends_every_batch(tmp_path: Path, tiny_minimum: None, monkeypatch) -> None:
    monkeypatch.setattr("scallop_curator.store.write_turns.YIELD_LIMIT_SECONDS", 0.01)  # the waiter never gets its turn here
    store = Store(tmp_path / "m.db")
    waiter = WriteTurns(tmp_path / "m.db")  # another connection's turn, as Store._begin_writing holds it
    with waiter.waiting():
        assert store._turns.someone_waits()
        assert _commits_of_import(store) == COUNT
    assert not store._turns.someone_waits()
    waiter.close()
    store.close()
