"""Schema step: kept memories get a lifecycle (current / superseded / forgotten) with history,
full-text search, export bookkeeping, and the journal learns who made each decision.

- ``memories``: ``status``, ``superseded_by`` (the memory that replaced it), ``valid_until`` (when it
  stopped being true), ``confirmations`` (proposals that repeated it), ``updated_at``.
- ``memory_history``: every change to a kept memory's text or status, with why.
- ``memories_fts``: an FTS5 index over memories, kept in step by triggers.
- ``memory_exports``: the id a memory has in an assistant it was exported to, so a later export
  updates or deletes it instead of adding a copy.
- ``proposals.effect``: what accepting the proposal did to other memories (confirm, supersede,
  forget), so undo can put them back.
- ``journal``: ``origin`` (the session that decided), ``grp`` (one undo step for bulk decisions),
  ``effect`` / ``previous_effect``; ``sessions`` lists the origins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scallop_curator.store import migrations

if TYPE_CHECKING:  # only in hints: opening a store imports no sqlite-utils (see Store.db)
    import sqlite_utils


def _add_columns(db: sqlite_utils.Database, table: str, columns: dict[str, str]) -> None:
    present = {column.name for column in db[table].columns}
    for name, definition in columns.items():
        if name not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")


@migrations.step(5)
def memory_lifecycle(db: sqlite_utils.Database) -> None:
    _add_columns(db, "memories", {
        "status": "TEXT NOT NULL DEFAULT 'current'",
        "superseded_by": "INTEGER",
        "valid_until": "TEXT",
        "confirmations": "INTEGER NOT NULL DEFAULT 0",
        "updated_at": "TEXT",
    })
    db.execute("CREATE INDEX IF NOT EXISTS idx_memories_status ON memories(status)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_memories_subject ON memories(subject COLLATE NOCASE)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_memories_superseded_by ON memories(superseded_by)")
    _add_columns(db, "proposals", {"effect": "TEXT"})
    _add_columns(db, "journal", {"origin": "TEXT", "grp": "INTEGER", "effect": "TEXT",
                                 "previous_effect": "TEXT"})
    db.execute("CREATE INDEX IF NOT EXISTS idx_journal_origin ON journal(origin, undone, id)")
    db.execute("""CREATE TABLE IF NOT EXISTS memory_history (
        id INTEGER PRIMARY KEY, memory_id INTEGER NOT NULL, old_text TEXT, new_text TEXT,
        old_status TEXT, new_status TEXT, at TEXT NOT NULL, why TEXT)""")
    db.execute("CREATE INDEX IF NOT EXISTS idx_memory_history_memory ON memory_history(memory_id)")
    db.execute("""CREATE TABLE IF NOT EXISTS memory_exports (
        memory_id INTEGER NOT NULL, target TEXT NOT NULL, destination TEXT NOT NULL,
        external_id TEXT NOT NULL, content TEXT, exported_at TEXT NOT NULL,
        PRIMARY KEY (memory_id, target, destination))""")
    db.execute("""CREATE TABLE IF NOT EXISTS sessions (
        origin TEXT PRIMARY KEY, pid INTEGER, host TEXT, opened_at TEXT, closed_at TEXT)""")
    # Decisions made before sessions existed belong to one closed session that the next window adopts.
    if db.execute("SELECT 1 FROM journal WHERE origin IS NULL LIMIT 1").fetchone():
        db.execute("INSERT OR IGNORE INTO sessions (origin, opened_at, closed_at) VALUES ('legacy', '', '')")
        db.execute("UPDATE journal SET origin = 'legacy' WHERE origin IS NULL")
    db.execute("UPDATE journal SET grp = id WHERE grp IS NULL")
    db.execute("""CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts USING fts5(
        content, subject, content='memories', content_rowid='id', tokenize='unicode61 remove_diacritics 2')""")
    db.execute("""CREATE TRIGGER IF NOT EXISTS memories_fts_insert AFTER INSERT ON memories BEGIN
        INSERT INTO memories_fts (rowid, content, subject) VALUES (new.id, new.content, new.subject); END""")
    db.execute("""CREATE TRIGGER IF NOT EXISTS memories_fts_delete AFTER DELETE ON memories BEGIN
        INSERT INTO memories_fts (memories_fts, rowid, content, subject)
        VALUES ('delete', old.id, old.content, old.subject); END""")
    db.execute("""CREATE TRIGGER IF NOT EXISTS memories_fts_update AFTER UPDATE OF content, subject ON memories BEGIN
        INSERT INTO memories_fts (memories_fts, rowid, content, subject)
        VALUES ('delete', old.id, old.content, old.subject);
        INSERT INTO memories_fts (rowid, content, subject) VALUES (new.id, new.content, new.subject); END""")
    db.execute("INSERT INTO memories_fts (memories_fts) VALUES ('rebuild')")
