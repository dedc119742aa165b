"""Turns at the write lock, so a decision never waits behind a whole import.

SQLite's write lock is not fair: a connection that commits and begins again at once (an import,
batch after batch) can keep it for seconds while another (the window deciding) polls and keeps
missing the moment in between, above all on a busy machine where a waiting process is not woken in
time. So a connection waiting for the lock says so by holding a shared ``flock`` on a small file
beside the store (``memories.db-writers``), and the import, between batches, waits until no one holds
it (at most ``YIELD_LIMIT_SECONDS``). Locks held by a process that dies are dropped by the system.

Where ``fcntl`` does not exist (Windows), waiting writers only poll.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: The longest an import's batch waits for others' turns before it goes on.
YIELD_LIMIT_SECONDS = 0.25
_POLL_SECONDS = 0.0005


class WriteTurns:
    def __init__(self, db_path: Path) -> None:
        self._path = Path(str(db_path) + "-writers")
        self._fd: int | None = None

    def _file(self) -> int | None:
        if fcntl is None:
            return None
        if self._fd is None:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                return None  # a read-only folder: waiting writers only poll
        return self._fd

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Held while this connection waits for the write lock."""
        fd = self._file()
        if fd is None:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def let_waiters_in(self) -> None:
        """Between two batches of a long write: return once no other connection waits for the lock."""
        fd = self._file()
        if fd is None:
            return
        deadline = time.monotonic() + YIELD_LIMIT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                time.sleep(_POLL_SECONDS)
                continue
            fcntl.flock(fd, fcntl.LOCK_UN)
            return

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
