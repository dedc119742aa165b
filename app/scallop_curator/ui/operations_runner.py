"""The one way the window changes the store: run an operation, turn an expected failure into one
plain message, and hand the ``Changes`` to every view's ``on_changes``. It also watches SQLite's
``data_version`` so that a change committed by another window or the CLI refreshes the views too.

Signals:
    changed(object): a ``Changes`` after every operation that changed something, ours or another's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from scallop_curator.store import Store, StoreError
from scallop_curator.store.changes import EXTERNAL, Changes

log = logging.getLogger("ui")
T = TypeVar("T")

#: How often another connection's commits are looked for: ``PRAGMA data_version`` costs microseconds.
WATCH_MS = 1000


class OperationsRunner(QObject):
    changed = Signal(object)

    def __init__(self, parent: QWidget, store: Store, watch_ms: int = WATCH_MS) -> None:
        super().__init__(parent)
        self._parent = parent
        self._store = store
        self._views: list[Callable[[Changes], None]] = []
        self._version = self._read_version()
        self._counts = self._read_counts()
        self.watcher = QTimer(self, interval=watch_ms)
        self.watcher.timeout.connect(self.check_external)
        if watch_ms > 0:
            self.watcher.start()

    def add_view(self, on_changes: Callable[[Changes], None]) -> None:
        self._views.append(on_changes)

    def run(self, operation: Callable[[], Changes], title: str = "Not saved") -> Changes | None:
        """Run one operation; ``None`` (after a plain message) when it failed as expected."""
        try:
            changes = operation()
        except StoreError as error:
            log.warning("%s: %s", title, error)
            self.show_error(title, str(error))
            return None
        self.publish(changes)  # (our own commits never move data_version: the watcher is not fooled)
        return changes

    def run_value(self, operation: Callable[[], tuple[T, Changes]], title: str = "Not saved") -> T | None:
        """Like ``run`` for an operation that also returns a value (e.g. an import summary)."""
        result: list[T] = []

        def unpack() -> Changes:
            value, changes = operation()
            result.append(value)
            return changes

        return result[0] if self.run(unpack, title) is not None else None

    def publish(self, changes: Changes) -> None:
        if changes.empty:
            return
        for on_changes in list(self._views):
            on_changes(changes)
        self.changed.emit(changes)

    def show_error(self, title: str, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self._parent)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.open()  # never blocks: a queued decision or a test goes on

    def _read_version(self) -> int | None:
        try:
            return self._store.data_version()
        except Exception:  # noqa: BLE001 - a closed or busy store is looked at again next tick
            return None

    def _read_counts(self) -> tuple[int, int] | None:
        try:
            return self._store.write_counts()
        except Exception:  # noqa: BLE001 - as _read_version
            return None

    def check_external(self) -> bool:
        """Publish ``EXTERNAL`` when another window or program committed since we last looked.

        ``data_version`` moves for any other connection's commit, the window's own helpers' too (an
        extraction's results, an import's batches), which publish what they changed themselves.
        Their commits are counted under the window's writer tag (``write_marks``), so a move is
        another program's when another writer's count moved, or when no helper committed: a
        program that does not count its commits (the sqlite3 shell, an older app) still refreshes
        the views, unless it commits in the same second as a helper."""
        version = self._read_version()
        if version is None or version == self._version:
            return False
        counts = self._read_counts()
        self._version = version
        before, self._counts = self._counts, counts
        if before is not None and counts is not None and counts[0] == before[0] and counts[1] != before[1]:
            return False  # only this window's helpers committed
        self.publish(EXTERNAL)
        return True
