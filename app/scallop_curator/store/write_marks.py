"""Which connections have written: a commit counter per *writer* (a window's connections share one
tag, any other connection has its own), so that a window can tell another window's or the CLI's
commit from one of its own helper connections' (the extraction's results, its import batches).

SQLite's ``data_version`` only says that *some other connection* committed. A window's helpers
commit on their own connections and publish what they changed themselves; taking their commits for
another program's made the window re-read everything once a second during an extraction, a UI
stall that grew with the store (180 ms after 600 turns of a 2,000-turn history).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

STATEMENTS = [
    """CREATE TABLE IF NOT EXISTS write_marks (
         writer TEXT PRIMARY KEY,
         commits INTEGER NOT NULL,
         last_at TEXT NOT NULL)""",
]

#: A writer not seen for this long is forgotten when a window opens the store (one row per CLI run
#: would otherwise pile up). Forgetting one only makes a watching window re-read once.
FORGET_AFTER = timedelta(days=1)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def mark(conn: sqlite3.Connection, writer: str) -> None:
    """Count one commit of ``writer``: called inside the write transaction, just before COMMIT."""
    conn.execute("INSERT INTO write_marks (writer, commits, last_at) VALUES (?, 1, ?) "
                 "ON CONFLICT(writer) DO UPDATE SET commits = commits + 1, last_at = excluded.last_at",
                 [writer, _now()])


def others(conn: sqlite3.Connection, writer: str) -> tuple[int, int]:
    """(writers, commits) of every writer but ``writer``: it changes when another one commits."""
    count, commits = conn.execute("SELECT COUNT(*), COALESCE(SUM(commits), 0) FROM write_marks WHERE writer != ?",
                                  [writer]).fetchone()
    return int(count), int(commits)


def forget_old(conn: sqlite3.Connection) -> None:
    cutoff = (datetime.now(timezone.utc) - FORGET_AFTER).isoformat(timespec="seconds")
    conn.execute("DELETE FROM write_marks WHERE last_at < ?", [cutoff])
