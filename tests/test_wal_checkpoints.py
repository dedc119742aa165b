"""An import's WAL checkpoints run on a thread of their own (store/write_turns.py): the import still
returns with everything checkpointed, leaves no thread behind, and a failing checkpoint fails nothing."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ImportedFile
from scallop_curator.store import Store
from scallop_curator.store import store as store_module
from scallop_curator.store.write_turns import WalCheckpoints


def _imported(count: int) -> ImportedFile:
    return ImportedFile("test", [
        Conversation(id=f"c{n}", title=f"c{n}", turns=[
            Turn(role="user" if i % 2 == 0 else "assistant", text=f"word{n}x{i} " * 40, source_id=f"c{n}-{i}")
            for i in range(6)])
        for n in range(count)
    ])


def _checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "wal-checkpoints"]


def test_import_returns_with_the_wal_checkpointed_and_no_thread_left(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "IMPORT_BATCH", 3)  # many batches, many checkpoint requests
    store = Store(tmp_path / "m.db")
    summary = store.import_file(_imported(40), "file.json")
    assert (summary.new_conversations, summary.new_turns) == (40, 240)
    assert _checkpoint_threads() == []
    with sqlite3.connect(tmp_path / "m.db") as other:
        busy, frames, done = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and frames == done and frames > 0  # every frame was already in the database
        # ...and the database file itself holds the rows, not only the WAL.
    store.close()
    with sqlite3.connect(tmp_path / "m.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 240


def test_requests_made_while_one_runs_are_merged_and_finish_waits(tmp_path: Path) -> None:
    store = Store(tmp_path / "m.db")
    store.import_file(_imported(5), "file.json")
    checkpoints = WalCheckpoints(tmp_path / "m.db")
    checkpoints.finish()  # nothing requested: no thread was started
    assert _checkpoint_threads() == []
    for _ in range(50):
        checkpoints.request()
    checkpoints.finish()
    assert _checkpoint_threads() == []
    checkpoints.request()  # usable again after finish()
    checkpoints.finish()
    assert _checkpoint_threads() == []
    store.close()


def test_a_failing_checkpoint_is_logged_and_fails_nothing(tmp_path: Path, caplog) -> None:
    not_a_store = tmp_path / "notes.db"
    not_a_store.write_bytes(b"this is not a SQLite database at all" * 100)
    checkpoints = WalCheckpoints(not_a_store)
    with caplog.at_level(logging.WARNING, logger="store"):
        checkpoints.request()
        checkpoints.finish()
    assert "checkpoint of" in caplog.text or "could not open" in caplog.text
    assert _checkpoint_threads() == []


def test_a_missing_store_is_not_created(tmp_path: Path, caplog) -> None:
    missing = tmp_path / "gone.db"
    checkpoints = WalCheckpoints(missing)
    with caplog.at_level(logging.WARNING, logger="store"):
        checkpoints.request()
        checkpoints.finish()
    assert not missing.exists()
    assert "could not open" in caplog.text
