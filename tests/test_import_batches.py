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


def test_an_import_thread_yields_to_a_short_write_of_its_own_process(tmp_path: Path) -> None:
    """The window's import runs on a thread beside the UI thread: between batches it sleeps while a
    decision of the same process is under way, and its batches end as soon as one starts."""
    import threading
    import time

    from scallop_curator.store.write_turns import WriteTurns, writing_here

    db = tmp_path / "memories.db"
    turns = WriteTurns(db)
    assert not turns.someone_waits()
    started, release = threading.Event(), threading.Event()

    def decide() -> None:
        with writing_here(db):
            started.set()
            release.wait(10)

    writer = threading.Thread(target=decide)
    writer.start()
    started.wait(10)
    assert turns.someone_waits()
    threading.Timer(0.1, release.set).start()
    before = time.monotonic()
    turns.let_waiters_in()
    assert time.monotonic() - before >= 0.09  # it slept until the write ended (or its limit came)
    writer.join(10)
    assert not turns.someone_waits()
    turns.close()


def test_short_writes_say_so_and_an_import_s_own_batches_do_not(tmp_path: Path) -> None:
    from scallop_curator.store import Store
    from scallop_curator.store.write_turns import WriteTurns

    store = Store(tmp_path / "memories.db")
    turns = WriteTurns(store.path)
    with store._immediate():
        assert turns.someone_waits()
    with store._immediate(long_write=True):
        assert not turns.someone_waits()
    assert not turns.someone_waits()
    turns.close()
    store.close()
