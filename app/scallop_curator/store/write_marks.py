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

#: A writer not seen for this long is folded into one row when a window opens the store (one row
#: per CLI run would otherwise pile up).
FORGET_AFTER = timedelta(days=1)

#: The row forgotten writers' commits are added to, so that the others' sum of commits only grows.
FOLDED = "(forgotten)"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def mark(conn: sqlite3.Connection, writer: str) -> None:
    """Count one commit of ``writer``: called inside the write transaction, just before COMMIT."""
    conn.execute("INSERT INTO write_marks (writer, commits, last_at) VALUES (?, 1, ?) "
                 "ON CONFLICT(writer) DO UPDATE SET commits = commits + 1, last_at = excluded.last_at",
                 [writer, _now()])


def counts(conn: sqlite3.Connection, writer: str) -> tuple[int, int]:
    """(commits of every other writer, commits under ``writer``'s own tag). The first only grows
    (see ``forget_old``), so any change means another writer committed."""
    others, own = conn.execute(
        "SELECT COALESCE(SUM(CASE WHEN writer != ? THEN commits END), 0), "
        "COALESCE(SUM(CASE WHEN writer = ? THEN commits END), 0) FROM write_marks", [writer, writer]).fetchone()
    return int(others), int(own)


def forget_old(conn: sqlite3.Connection) -> None:
    """Fold the writers unseen for a day into one row. Dropping their rows made the others' total go
    back: a new CLI run's three commits could exactly replace a forgotten run's three, and a window
    watching the store saw nothing change."""
    cutoff = (datetime.now(timezone.utc) - FORGET_AFTER).isoformat(timespec="seconds")
    (old,) = conn.execute("SELECT COALESCE(SUM(commits), 0) FROM write_marks WHERE last_at < ? AND writer != ?",
                          [cutoff, FOLDED]).fetchone()
    if not old:
        return
    conn.execute("INSERT INTO write_marks (writer, commits, last_at) VALUES (?, ?, ?) ON CONFLICT(writer) "
                 "DO UPDATE SET commits = commits + excluded.commits, last_at = excluded.last_at",
                 [FOLDED, int(old), _now()])
    conn.execute("DELETE FROM write_marks WHERE last_at < ? AND writer != ?", [cutoff, FOLDED])
