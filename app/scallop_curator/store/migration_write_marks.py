"""Schema step for ``write_marks``: a commit counter per writer (see ``write_marks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scallop_curator.store import migrations
from scallop_curator.store.write_marks import STATEMENTS

if TYPE_CHECKING:  # only in hints: opening a store imports no sqlite-utils (see Store.db)
    import sqlite_utils


@migrations.step(9)
def write_marks(db: sqlite_utils.Database) -> None:
    """Add ``write_marks``: one row per writer, its commits and when it last wrote."""
    for statement in STATEMENTS:
        db.execute(statement)
