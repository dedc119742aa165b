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

import logging
import queue
import threading
import time
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer

log = logging.getLogger(__name__)

DRAIN_INTERVAL_MS = 15
DRAIN_BUDGET_S = 0.010  # the longest one drain keeps the UI thread, when events keep coming
_WAKE = QEvent.Type(QEvent.registerEventType())


class _Waker:
    """What posting threads and the UI thread share: whether a wake is on its way, and whether the
    relay still exists. Kept off the QObject so that the relay's ``destroyed`` can reach it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.woken = False  # a wake is posted, or the drain timer runs: later posts need none
        self.alive = True

    def die(self, *_args: object) -> None:
        with self.lock:  # waits for a post in progress to finish queueing its event
            self.alive = False


class UiRelay(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._events: queue.SimpleQueue[tuple[str, tuple[Any, ...]]] = queue.SimpleQueue()
        self._waker = _Waker()
        self.destroyed.connect(self._waker.die)  # not a method of self: it runs while self is torn down
        self._last_drain = 0.0
        self._drain_timer = QTimer(self, singleShot=True)
        self._drain_timer.timeout.connect(self._drain_slice)

    def post(self, signal_name: str, *args: Any) -> None:
        """Thread-safe: the signal is emitted on the UI thread at the next drain."""
        self._events.put((signal_name, args))
        waker = self._waker
        with waker.lock:
            if waker.woken or not waker.alive:
                return  # a wake is on its way, or the relay is gone (its window closed): nobody to tell
            waker.woken = True
            # Under the lock: the relay's destruction waits for it in ``die``, so it cannot be freed
            # while Qt queues the event for it (Qt drops the queued event when it is freed later).
            try:
                QCoreApplication.postEvent(self, QEvent(_WAKE))
            except RuntimeError:  # its Python side was torn down just before ``destroyed`` ran ``die``
                waker.alive = False

    def event(self, event: QEvent) -> bool:  # noqa: D102 - Qt's
        if event.type() != _WAKE:
            return super().event(event)
        wait_ms = DRAIN_INTERVAL_MS - (time.monotonic() - self._last_drain) * 1000
        if wait_ms <= 0:
            self._drain_slice()
        elif not self._drain_timer.isActive():
            self._drain_timer.start(int(wait_ms) + 1)
        return True

    def drain(self) -> None:
        """Emit every event posted so far, now (the window's last call before it closes its store)."""
        self._drain_slice(budget_s=None)

    def _drain_slice(self, budget_s: float | None = DRAIN_BUDGET_S) -> None:
        """Emit the events posted so far, on the UI thread (woken by a post, or by the timer).

        Only those already queued, and for at most ``budget_s``: a thread posting faster than the
        slots run must not keep the UI thread here. What it posts meanwhile has woken the relay
        again; what is left over is drained by the timer."""
        with self._waker.lock:
            self._waker.woken = False  # from here a post wakes again: nothing it puts can be left behind
        self._last_drain = started = time.monotonic()
        for _ in range(self._events.qsize()):
            try:
                name, args = self._events.get_nowait()
            except queue.Empty:
                return
            try:
                getattr(self, name).emit(*args)
            except Exception:  # a bug (a misspelt signal): the events after it must still arrive
                log.exception("relay %s could not emit %r", type(self).__name__, name)
            if budget_s is not None and time.monotonic() - started > budget_s and not self._events.empty():
                with self._waker.lock:
                    self._waker.woken = True  # the timer below drains the rest and what comes meanwhile
                self._drain_timer.start(DRAIN_INTERVAL_MS)
                return
