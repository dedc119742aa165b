"""New turns of an import, written many rows to one INSERT statement.

Each statement that inserts into ``turns`` makes the ``turns_fts`` trigger write into the FTS5
index, and FTS5 flushes its pending terms to a new index segment at the end of every statement
(statement savepoint), then merges segments. One statement per turn made that per-statement work
most of an import's store time (measured: about 50 µs a row, against under 10 for rows inserted
150 to a statement); the index and the rows are the same either way.
"""

from __future__ import annotations

from typing import Any

#: Rows per statement: 6 values a row stays under SQLite's oldest limit of 999 bound values.
ROWS_PER_STATEMENT = 150
_COLUMNS = "(conversation_id, idx, role, text, time, source_id)"


class TurnInserts:
    """Turn rows waiting to be inserted; :meth:`flush` before anything reads ``turns`` again and
    before the transaction commits (rows keep the order they were added in, so their ids do too)."""

    def __init__(self, db: Any) -> None:
        self.db = db  # a sqlite_utils.Database or sqlite3.Connection: anything with execute()
        self.rows: list[tuple[object, ...]] = []

    def add(self, conversation_id: str, idx: int, role: str, text: str, time: str | None, source_id: str) -> None:
        self.rows.append((conversation_id, idx, role, text, time, source_id))
        if len(self.rows) >= ROWS_PER_STATEMENT:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        marks = ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(rows))
        values = [value for row in rows for value in row]
        self.db.execute(f"INSERT INTO turns {_COLUMNS} VALUES {marks}", values)

    def __len__(self) -> int:
        return len(self.rows)

