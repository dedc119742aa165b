"""The memories view's filtering, off the UI thread: a broad search over 100,000 memories (count to
the cap, then the first page) stalled typing for up to 69 ms when the UI thread ran it. One thread
with its own read connection answers the latest question only; older ones still waiting are dropped.

Signals:
    answered(int, int, list): the question's number, the count (up to the cap), the first page of rows.
    failed(int, str): the question's number, a plain message (the store could not be read).
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from scallop_curator.store import memories
from scallop_curator.ui.relay import UiRelay

log = logging.getLogger("ui")

if TYPE_CHECKING:
    import sqlite_utils

#: A connection idle this long is closed (it is opened again for the next question).
IDLE_SECONDS = 5.0


class MemoriesQuery(UiRelay):
    answered = Signal(int, int, list)
    failed = Signal(int, str)

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        """``parent``: a Qt owner, so that the thread dropping its last reference never destroys it there."""
        super().__init__(parent)
        self._db_path = db_path
        self._questions: queue.Queue[tuple[int, dict[str, Any], str, int, int] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="memories-query", daemon=True)
        self._thread.start()

    def ask(self, number: int, query: dict[str, Any], order: str, limit: int, cap: int) -> None:
        self._questions.put((number, dict(query), order, limit, cap))

    def close(self) -> None:
        self._questions.put(None)
        self._thread.join(5)

    def _latest(self, timeout: float | None) -> tuple[int, dict[str, Any], str, int, int] | None | bool:
        """The newest question waiting (older ones are dropped); False when none came in time."""
        try:
            question = self._questions.get(timeout=timeout)
        except queue.Empty:
            return False
        while question is not None:
            try:
                question = self._questions.get_nowait()
            except queue.Empty:
                break
        return question

    def _loop(self) -> None:
        from scallop_curator.store.sqlite_utils_lean import database

        db: sqlite_utils.Database | None = None
        while True:
            question = self._latest(IDLE_SECONDS if db is not None else None)
            if question is False:
                db.conn.close()  # type: ignore[union-attr]
                db = None
                continue
            if question is None:
                if db is not None:
                    db.conn.close()
                return
            number, query, order, limit, cap = question  # type: ignore[misc]
            try:
                if db is None:
                    db = database(sqlite3.connect(self._db_path, timeout=5.0))  # sqlite-utils loaded here, off the UI thread
                total = memories.count(db, cap=cap, **query)
                rows = memories.page(db, order=order, limit=limit, offset=0, **query)
            except sqlite3.Error as error:
                self.post("failed", number, f"The memories in {self._db_path} could not be read: {error}.")
                continue
            except Exception:  # a bug: said, and the thread lives on for the next question
                log.exception("memories query failed")
                self.post("failed", number, f"The memories in {self._db_path} could not be read because of "
                          "an internal error; see the log.")
                continue
            self.post("answered", number, total, rows)
