"""Schema 2: LoCoMo conversation ids no longer name the person chosen as the user.

They were ``locomo:SAMPLE:USER-SLUG:session_N``, so importing a log again with the other person as
the user made a second copy of every session. Now they are ``locomo:SAMPLE:session_N``; this step
renames stored ones (with their turns, results, proposals and memories) so a re-import finds them.
Where both people's copies were stored, the first imported keeps the new id; the other stays as it was.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scallop_curator.store import migrations

if TYPE_CHECKING:  # only in hints: opening a store imports no sqlite-utils (see Store.db)
    import sqlite_utils

OLD_ID = re.compile(r"^(locomo:.+):[a-z0-9-]+:(session_\d+)$")
CHILDREN = ("turns", "turn_results", "proposals", "memories")


@migrations.step(2)
def rename_locomo_ids(db: sqlite_utils.Database) -> None:
    rows = db.execute(
        "SELECT id FROM conversations WHERE id LIKE 'locomo:%' ORDER BY imported_at, rowid"
    ).fetchall()
    taken = {row[0] for row in db.execute("SELECT id FROM conversations").fetchall()}
    columns = db["conversations"].columns_dict
    names = ", ".join(columns)
    for (old,) in rows:
        match = OLD_ID.match(old)
        if not match:
            continue
        new = f"{match.group(1)}:{match.group(2)}"
        if new in taken:
            continue
        taken.add(new)
        # A new parent row first, then the children, then the old row: foreign keys hold throughout.
        picks = ", ".join("?" if name == "id" else name for name in columns)
        db.execute(f"INSERT INTO conversations ({names}) SELECT {picks} FROM conversations WHERE id = ?", [new, old])
        for table in CHILDREN:
            if table in db.table_names() and "conversation_id" in db[table].columns_dict:
                db.execute(f"UPDATE {table} SET conversation_id = ? WHERE conversation_id = ?", [new, old])
        db.execute("DELETE FROM conversations WHERE id = ?", [old])
