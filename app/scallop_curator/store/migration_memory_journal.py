"""Schema step: kept memories become undoable and quicker to find.

- ``journal.memory_id`` / ``memory_before`` / ``memory_after``: an edit, forget or restore of a kept
  memory is a journal row of its own (``proposal_id`` NULL), holding the memory's text and status
  before and after as JSON, so Ctrl+Z / Ctrl+Shift+Z undo and redo it like a decision.
- Indexes for the memories view's filters by source conversation and by date.
- ``memories_fts`` is rewritten only when a memory's text or subject really changed, and merges its segments two at a time (``usermerge`` 2) and is merged into one now:
  a full-text index written one memory per decision otherwise grows many small segments, and every
  lookup (the relation of each proposal) reads all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scallop_curator.store import migrations

if TYPE_CHECKING:  # only in hints: opening a store imports no sqlite-utils (see Store.db)
    import sqlite_utils

MEMORY_JOURNAL_VERSION = 8


@migrations.step(MEMORY_JOURNAL_VERSION)
def memory_journal(db: sqlite_utils.Database) -> None:
    present = {column.name for column in db["journal"].columns}
    for name in ("memory_id INTEGER", "memory_before TEXT", "memory_after TEXT"):
        if name.split()[0] not in present:
            db.execute(f"ALTER TABLE journal ADD COLUMN {name}")
    db.execute("CREATE INDEX IF NOT EXISTS idx_journal_memory ON journal(memory_id)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_memories_conversation ON memories(conversation_id)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_memories_created ON memories(created_at)")
    # The index is rewritten only when the text or subject really changed, not whenever an UPDATE names them.
    db.execute("DROP TRIGGER IF EXISTS memories_fts_update")
    db.execute("""CREATE TRIGGER memories_fts_update AFTER UPDATE OF content, subject ON memories
        WHEN old.content IS NOT new.content OR old.subject IS NOT new.subject BEGIN
        INSERT INTO memories_fts (memories_fts, rowid, content, subject)
        VALUES ('delete', old.id, old.content, old.subject);
        INSERT INTO memories_fts (rowid, content, subject) VALUES (new.id, new.content, new.subject); END""")
    db.execute("INSERT INTO memories_fts (memories_fts, rank) VALUES ('usermerge', 2)")
    db.execute("INSERT INTO memories_fts (memories_fts) VALUES ('optimize')")
