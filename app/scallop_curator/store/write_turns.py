"""Turns at the write lock, so a decision never waits behind a whole import; the import's checkpoints.

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
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("store")

#: The longest an import's batch waits for others' turns before it goes on.
YIELD_LIMIT_SECONDS = 0.25
_POLL_SECONDS = 0.0005


_writing_lock = threading.Lock()
_writing_here: dict[str, int] = {}  # store path -> write transactions of this process under way


@contextlib.contextmanager
def writing_here(db_path: Path) -> Iterator[None]:
    """Held by a short write of this process (a decision) for its whole transaction: an import on a
    thread of the same process ends its batch and sleeps until it is over, instead of sharing the
    GIL with it (the decision's dozens of SQLite calls each waited for the GIL: 12-15 ms median,
    up to 56 ms, during the window's own import)."""
    key = str(db_path)
    with _writing_lock:
        _writing_here[key] = _writing_here.get(key, 0) + 1
    try:
        yield
    finally:
        with _writing_lock:
            _writing_here[key] -= 1


class WriteTurns:
    def __init__(self, db_path: Path) -> None:
        self._path = Path(str(db_path) + "-writers")
        self._key = str(db_path)
        self._fd: int | None = None

    def _writer_here(self) -> bool:
        return _writing_here.get(self._key, 0) > 0

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

    def someone_waits(self) -> bool:
        """Whether another connection waits for the write lock now (True where that cannot be known),
        or a short write of this process is under way."""
        if self._writer_here():
            return True
        fd = self._file()
        if fd is None:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False

    def let_waiters_in(self) -> None:
        """Between two batches of a long write: return once no other connection waits for the lock
        and no short write of this process is under way."""
        fd = self._file()
        deadline = time.monotonic() + YIELD_LIMIT_SECONDS
        while self._writer_here() and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
        if fd is None:
            return
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


class WalCheckpoints:
    """PASSIVE checkpoints of the store's WAL, run on a thread of their own with their own connection.

    An import checkpoints after each of its batches (see ``Store.import_file``), which syncs what it
    wrote: about 10 ms of waiting on the disk each, a fifth of a 50 MB import's time when they ran in
    line. Here they overlap the next batch (SQLite lets the GIL go while it works). A PASSIVE
    checkpoint never waits for, nor blocks, a writer. Requests made while one runs are merged into
    the next. :meth:`finish` waits for the last one, so an import still returns with its rows synced.
    """

    def __init__(self, db_path: Path) -> None:
        self._path = Path(db_path)
        self._wanted = threading.Condition()
        self._pending = False
        self._running = False
        self._closing = False
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        with self._wanted:
            self._pending = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wal-checkpoints", daemon=True)
                self._thread.start()
            self._wanted.notify_all()

    def finish(self) -> None:
        """Wait until every requested checkpoint has run, then close the thread's connection."""
        with self._wanted:
            self._closing = True
            self._wanted.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()
        self._thread = None
        self._closing = False

    def _run(self) -> None:
        try:
            # mode=rw: never creates a file; a store that is gone is only logged.
            conn = sqlite3.connect(f"{self._path.resolve().as_uri()}?mode=rw", uri=True, timeout=0,
                                   check_same_thread=False)
        except (sqlite3.Error, ValueError) as error:
            log.warning("could not open %s for checkpoints: %s", self._path, error)
            conn = None
        try:
            while True:
                with self._wanted:
                    while not self._pending and not self._closing:
                        self._wanted.wait()
                    if not self._pending:
                        return
                    self._pending = False
                if conn is not None:
                    try:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    except sqlite3.Error as error:  # SQLite checkpoints by itself later; never fatal
                        log.warning("checkpoint of %s failed: %s", self._path, error)
        finally:
            if conn is not None:
                conn.close()
