"""Schema step for skipped turns: the turns an extraction left out by the user's skip rules, with the
rule that left each out, so the window marks and counts them instead of skipping them silently."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scallop_curator.store import migrations

if TYPE_CHECKING:  # only in hints: opening a store imports no sqlite-utils (see Store.db)
    import sqlite_utils

SKIP_STATEMENTS = [
    """CREATE TABLE IF NOT EXISTS turn_skips (
         turn_id INTEGER PRIMARY KEY,
         conversation_id TEXT NOT NULL,
         reason TEXT NOT NULL,
         label TEXT NOT NULL,
         created_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS turn_skips_conversation ON turn_skips(conversation_id)",
    # A turn that goes (a re-import replaced it) takes its mark along; its id may be given again.
    """CREATE TRIGGER IF NOT EXISTS turn_skips_gone AFTER DELETE ON turns BEGIN
         DELETE FROM turn_skips WHERE turn_id = old.id;
       END""",
]


@migrations.step(7)
def skipped_turns(db: sqlite_utils.Database) -> None:
    """Add ``turn_skips``: one row per turn left out by a skip rule (reason ``short`` or ``code``)."""
    for statement in SKIP_STATEMENTS:
        db.execute(statement)
