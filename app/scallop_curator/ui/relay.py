"""Hand events from background threads to the UI thread without cross-thread signal emission.

PySide6 (6.8 and later) has crashed here with a refcount error when Python threads emitted
signals to Python callables (PYSIDE-3124). Background threads therefore only ``post`` to a
queue; a timer on the UI thread drains it and emits the signals there, as plain direct calls.
"""

from __future__ import annotations

import queue
from typing import Any

from PySide6.QtCore import QObject, QTimer

DRAIN_INTERVAL_MS = 15


class UiRelay(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._events: queue.SimpleQueue[tuple[str, tuple[Any, ...]]] = queue.SimpleQueue()
        self._drain_timer = QTimer(self)
        self._drain_timer.setInterval(DRAIN_INTERVAL_MS)
        self._drain_timer.timeout.connect(self.drain)
        self._drain_timer.start()

    def post(self, signal_name: str, *args: Any) -> None:
        """Thread-safe: the signal is emitted on the UI thread at the next drain."""
        self._events.put((signal_name, args))

    def drain(self) -> None:
        while True:
            try:
                name, args = self._events.get_nowait()
            except queue.Empty:
                return
            getattr(self, name).emit(*args)
