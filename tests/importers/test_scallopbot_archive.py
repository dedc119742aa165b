"""Pruned ScallopBot sessions are read from session_message_archive; forgotten ones are listed as skipped.

The tables are ScallopBot's own (src/memory/db.ts of tashfeenahmed/scallopbot), as pruneOldSessions
and deleteSession leave them.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from scallop_curator.importers import load_export
from scallop_curator.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, metadata TEXT, input_tokens INTEGER DEFAULT 0, output_tokens INTEGER DEFAULT 0,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, archived_at INTEGER, archive_reason TEXT,
  transcript_deleted_at INTEGER
);
CREATE TABLE IF NOT EXISTS session_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL,
  message_kind TEXT NOT NULL CHECK (message_kind IN (
    'human_user', 'assistant_final', 'assistant_internal',
    'assistant_protocol', 'tool_result', 'worker_internal', 'system_internal'
  )),
  created_at INTEGER NOT NULL,
  FOREIGN KEY (session_id) REFERENCES sessions(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS session_message_archive (
  original_message_id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL,
  message_kind TEXT NOT NULL CHECK (message_kind IN (
    'human_user', 'assistant_final', 'assistant_internal',
    'assistant_protocol', 'tool_result', 'worker_internal', 'system_internal'
  )),
  created_at INTEGER NOT NULL, archived_at INTEGER NOT NULL, archive_reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_session_message_archive_session
  ON session_message_archive(session_id, original_message_id);
"""
BASE = 1717000000000


def add_session(conn: sqlite3.Connection, sid: str, title: str, messages: list[tuple[str, str, str]]) -> None:
    conn.execute("INSERT INTO sessions (id, metadata, created_at, updated_at) VALUES (?, ?, ?, ?)",
                 [sid, json.dumps({"title": title}), BASE, BASE])
    for role, kind, text in messages:
        conn.execute("INSERT INTO session_messages (session_id, role, content, message_kind, created_at) "
                     "VALUES (?, ?, ?, ?, (SELECT COUNT(*) FROM session_messages) + ?)", [sid, role, text, kind, BASE])


def prune(conn: sqlite3.Connection, sid: str, delete_live: bool = True) -> None:
    """What pruneOldSessions does: copy to the archive, delete the live rows, mark the session."""
    conn.execute("INSERT OR IGNORE INTO session_message_archive (original_message_id, session_id, role, content, "
                 "message_kind, created_at, archived_at, archive_reason) SELECT id, session_id, role, content, "
                 "message_kind, created_at, ?, 'retention_after_verified_summary' FROM session_messages "
                 "WHERE session_id = ?", [BASE + 99, sid])
    if delete_live:
        conn.execute("DELETE FROM session_messages WHERE session_id = ?", [sid])
        conn.execute("UPDATE sessions SET archived_at = ?, transcript_deleted_at = ? WHERE id = ?", [BASE, BASE, sid])


def forget(conn: sqlite3.Connection, sid: str) -> None:
    """What deleteSession does: both copies gone, a tombstone left."""
    conn.execute("DELETE FROM session_messages WHERE session_id = ?", [sid])
    conn.execute("DELETE FROM session_message_archive WHERE session_id = ?", [sid])
    conn.execute("UPDATE sessions SET archived_at = ?, archive_reason = 'explicit_forget', transcript_deleted_at = ? "
                 "WHERE id = ?", [BASE, BASE, sid])


def said(user: str, reply: str) -> list[tuple[str, str, str]]:
    return [("user", "human_user", user), ("assistant", "assistant_internal", "thinking..."),
            ("assistant", "assistant_final", reply)]


@pytest.fixture
def bot_db(tmp_path: Path) -> Path:
    path = tmp_path / "memories.db"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    add_session(conn, "live", "Live chat", said("I grow tomatoes.", "Nice."))
    add_session(conn, "pruned", "Old chat", said("I moved to Porto.", "Lovely city."))
    add_session(conn, "half", "Half way", said("I play chess.", "Great game."))
    add_session(conn, "gone", "Forgotten chat", said("Secret.", "Ok."))
    conn.commit()
    conn.close()
    return path


def edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    conn = sqlite3.connect(path)
    change(conn)
    conn.commit()
    conn.close()


def test_pruned_sessions_are_read_from_the_archive(bot_db: Path) -> None:
    edit(bot_db, lambda c: (prune(c, "pruned"), prune(c, "half", delete_live=False), forget(c, "gone")))
    result = load_export(bot_db)
    by_id = {c.id: c for c in result.conversations}
    assert set(by_id) == {"scallopbot:live", "scallopbot:pruned", "scallopbot:half"}
    assert [t.text for t in by_id["scallopbot:pruned"].turns] == ["I moved to Porto.", "Lovely city."]
    assert [t.text for t in by_id["scallopbot:half"].turns] == ["I play chess.", "Great game."]  # once, not twice
    assert [title for title, _ in result.skipped] == ["Forgotten chat"]
    assert "transcript_deleted_at" in result.skipped[0][1]


def test_a_session_pruned_after_its_import_keeps_its_turns(bot_db: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    try:
        store.import_file(load_export(bot_db), str(bot_db))
        before = {t.id: t.text for t in store.turns("scallopbot:pruned")}
        edit(bot_db, lambda c: prune(c, "pruned"))
        again = store.import_file(load_export(bot_db), str(bot_db))
        assert (again.new_conversations, again.new_turns) == (0, 0)
        assert {t.id: t.text for t in store.turns("scallopbot:pruned")} == before
    finally:
        store.close()
