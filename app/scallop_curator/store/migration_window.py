"""Schema step for the review window: every field of a fact can be edited (not only its text), and
the conversation filter searches message text through an FTS5 index kept in step by triggers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scallop_curator.store import migrations

if TYPE_CHECKING:  # only in hints: opening a store imports no sqlite-utils (see Store.db)
    import sqlite_utils

#: Statements that create the full-text index of turn texts; external content, so the text is
#: stored once (in ``turns``) and the triggers keep the index in step with every insert, update
#: and delete, whoever writes.
FTS_STATEMENTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS turns_fts USING fts5(text, content='turns', content_rowid='id')",
    """CREATE TRIGGER IF NOT EXISTS turns_fts_insert AFTER INSERT ON turns BEGIN
         INSERT INTO turns_fts(rowid, text) VALUES (new.id, new.text);
       END""",
    """CREATE TRIGGER IF NOT EXISTS turns_fts_delete AFTER DELETE ON turns BEGIN
         INSERT INTO turns_fts(turns_fts, rowid, text) VALUES ('delete', old.id, old.text);
       END""",
    """CREATE TRIGGER IF NOT EXISTS turns_fts_update AFTER UPDATE OF text ON turns BEGIN
         INSERT INTO turns_fts(turns_fts, rowid, text) VALUES ('delete', old.id, old.text);
         INSERT INTO turns_fts(rowid, text) VALUES (new.id, new.text);
       END""",
    "INSERT INTO turns_fts(turns_fts) VALUES ('rebuild')",
]


@migrations.step(4)
def edited_fields_and_message_search(db: sqlite_utils.Database) -> None:
    """Add ``edited_fields`` (JSON of the user's changes to subject, category, ...) to proposals and
    the journal (with the previous value, for undo), and the ``turns_fts`` index."""
    for table, column in (("proposals", "edited_fields"), ("journal", "edited_fields"),
                          ("journal", "previous_fields")):
        if column not in db[table].columns_dict:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
    for statement in FTS_STATEMENTS:
        db.execute(statement)
