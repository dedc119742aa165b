"""Imports write new turns many rows to a statement (store/turn_inserts.py): the stored turns, their
order and the message search must be exactly what one statement per turn gave."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ImportedFile
from scallop_curator.store import Store
from scallop_curator.store.turn_inserts import ROWS_PER_STATEMENT


def conversation(conv_id: str, turns: int, word: str) -> Conversation:
    return Conversation(id=conv_id, title=conv_id, turns=[
        Turn(role="user" if i % 2 == 0 else "assistant", text=f"{word}{i} says hello number {i}", source_id=f"{conv_id}-{i}")
        for i in range(turns)
    ])


def stored_rows(db: Path) -> list[tuple[int, str, int, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, conversation_id, idx, role, text FROM turns ORDER BY id").fetchall()


def test_many_turns_are_stored_in_file_order_and_all_searchable(tmp_path: Path) -> None:
    sizes = {"a": ROWS_PER_STATEMENT + 7, "b": 3, "c": 2 * ROWS_PER_STATEMENT + 1}
    imported = ImportedFile("test", [conversation(name, size, f"word{name}x") for name, size in sizes.items()])
    store = Store(tmp_path / "m.db")
    summary = store.import_file(imported, "file.json")
    assert (summary.new_conversations, summary.new_turns) == (3, sum(sizes.values()))
    rows = stored_rows(tmp_path / "m.db")
    expected = [(name, i, f"word{name}x{i} says hello number {i}") for name, size in sizes.items() for i in range(size)]
    assert [(conv, idx, text) for _, conv, idx, _, text in rows] == expected
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)
    for name, size in sizes.items():  # the first, a middle and the last turn of each: all in the FTS index
        for i in (0, size // 2, size - 1):
            assert store.conversation_ids(text=f"word{name}x{i}") == [name]
    store.close()


def test_a_conversation_twice_in_one_file_is_merged_not_duplicated(tmp_path: Path) -> None:
    """The second copy reads the first copy's turns, so they must be written before it is merged."""
    first, longer = conversation("a", 4, "w"), conversation("a", 6, "w")
    store = Store(tmp_path / "m.db")
    summary = store.import_file(ImportedFile("test", [first, conversation("b", 2, "v"), longer]), "file.json")
    assert summary.new_turns == 8
    assert [(conv, idx) for _, conv, idx, _, _ in stored_rows(tmp_path / "m.db")] == [
        ("a", 0), ("a", 1), ("a", 2), ("a", 3), ("b", 0), ("b", 1), ("a", 4), ("a", 5)]
    assert store.conversation_ids(text="w5") == ["a"]
    store.close()
