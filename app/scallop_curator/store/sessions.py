"""Who made a decision: each open store connection holds one *origin*, so undo in one window
undoes only that window's decisions, never another window's or the CLI's.

An origin outlives its process: the next window adopts the most recent origin no live process
holds, so undo keeps working after a restart (or a crash), while two windows open at once get
two origins.
"""

from __future__ import annotations

import os
import socket
import uuid
from typing import TYPE_CHECKING

from scallop_curator.store.memories import now

if TYPE_CHECKING:  # only in hints: opening a store imports no sqlite-utils (see Store.db)
    import sqlite_utils


def _alive(pid: int | None, host: str | None) -> bool:
    if not pid or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_origin(db: sqlite_utils.Database) -> str:
    """Adopt the latest origin no live connection holds, or start a new one. Runs in a transaction."""
    if "sessions" not in db.table_names():
        return ""
    host = socket.gethostname()
    for origin, pid, row_host, closed_at in db.execute(
        "SELECT origin, pid, host, closed_at FROM sessions "
        "ORDER BY COALESCE((SELECT MAX(id) FROM journal j WHERE j.origin = sessions.origin), 0) DESC, "
        "opened_at DESC"
    ).fetchall():
        if closed_at is not None or not _alive(pid, row_host):
            db.execute("UPDATE sessions SET pid = ?, host = ?, opened_at = ?, closed_at = NULL WHERE origin = ?",
                       [os.getpid(), host, now(), origin])
            return str(origin)
    origin = uuid.uuid4().hex
    db.execute("INSERT INTO sessions (origin, pid, host, opened_at) VALUES (?, ?, ?, ?)",
               [origin, os.getpid(), host, now()])
    return origin


def release_origin(db: sqlite_utils.Database, origin: str) -> None:
    db.execute("UPDATE sessions SET closed_at = ? WHERE origin = ?", [now(), origin])
