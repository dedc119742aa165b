"""Hand events from background threads to the UI thread without cross-thread signal emission.

PySide6 (6.8 and later) has crashed here with a refcount error when Python threads emitted
signals to Python callables (PYSIDE-3124). Background threads therefore only ``post`` to a
queue, and wake the relay with a Qt event (``QCoreApplication.postEvent`` is thread-safe and calls
no Python code in the posting thread); on the UI thread the relay drains the queue and emits the
signals there, as plain direct calls.

An idle relay costs nothing: it is woken by a post, not by a clock (a 15 ms timer per relay used to
wake an idle window about 70 times a second, `benchmarks/idle_cpu.py`). Drains are at least
``DRAIN_INTERVAL_MS`` apart, so a worker posting per token still gives the UI thread batches.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer

DRAIN_INTERVAL_MS = 15
_WAKE = QEvent.Type(QEvent.registerEventType())


class UiRelay(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._events: queue.SimpleQueue[tuple[str, tuple[Any, ...]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._woken = False  # a wake is on its way (posted, or the drain timer runs): later posts need none
        self._last_drain = 0.0
        self._drain_timer = QTimer(self, singleShot=True)
        self._drain_timer.timeout.connect(self.drain)

    def post(self, signal_name: str, *args: Any) -> None:
        """Thread-safe: the signal is emitted on the UI thread at the next drain."""
        self._events.put((signal_name, args))
        with self._lock:
            if self._woken:
                return
            self._woken = True
        try:
            QCoreApplication.postEvent(self, QEvent(_WAKE))
        except RuntimeError:
            pass  # the relay's Qt object is gone (its window closed): nobody is left to tell

    def event(self, event: QEvent) -> bool:  # noqa: D102 - Qt's
        if event.type() != _WAKE:
            return super().event(event)
        wait_ms = DRAIN_INTERVAL_MS - (time.monotonic() - self._last_drain) * 1000
        if wait_ms <= 0:
            self.drain()
        elif not self._drain_timer.isActive():
            self._drain_timer.start(int(wait_ms) + 1)
        return True

    def drain(self) -> None:
        """Emit every event posted so far; called on the UI thread (by the wake, or directly)."""
        with self._lock:
            self._woken = False  # from here a post wakes again: nothing it puts can be left behind
        self._last_drain = time.monotonic()
        while True:
            try:
                name, args = self._events.get_nowait()
            except queue.Empty:
                return
            getattr(self, name).emit(*args)
