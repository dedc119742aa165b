"""Python's cyclic garbage collector, run on the UI thread only.

Left automatic, the collector runs in whichever thread happens to allocate past a threshold: an
import's thread, the case reader, the extraction controller's. An unreachable Qt object found there
is destroyed on that thread; its timers are then stopped from the wrong thread, stay registered on
the UI thread, and Qt later delivers a timer event to freed memory: a segfault in
``QMetaObject::cast`` under ``QTimerInfoList::activateTimers``, seen in the UI tests once a case
reader thread allocated enough to trigger a collection. So automatic collection is off while a
window lives, and a timer on the UI thread collects, generation by generation, as Python's own
thresholds would have (qutebrowser does the same for the same reason).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the thresholds are looked at: a cheap check, a collection only when one is due.
CHECK_MS = 500


class _Users:
    """How many collectors run; automatic collection is back when the last one stops."""

    running = 0
    was_enabled = True

    @classmethod
    def add(cls) -> None:
        if cls.running == 0:
            cls.was_enabled = gc.isenabled()
            gc.disable()
        cls.running += 1

    @classmethod
    def remove(cls, stopped: list[bool]) -> None:
        if stopped[0]:
            return
        stopped[0] = True
        gc.collect()
        cls.running -= 1
        if cls.running == 0 and cls.was_enabled:
            gc.enable()


class UiThreadCollector(QObject):
    """One per window, its child: it stops when the window closes, or at the latest when it is
    destroyed."""

    def __init__(self, parent: QObject | None = None, check_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        _Users.add()
        stopped = self._stopped = [False]
        self.destroyed.connect(lambda: _Users.remove(stopped))  # (no reference to self: it is going)
        self._timer = QTimer(self, interval=check_ms)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    @staticmethod
    def collect_due() -> int:
        """Collect the oldest generation whose threshold is passed (as Python would); the number
        of objects found unreachable."""
        thresholds, counts = gc.get_threshold(), gc.get_count()
        if counts[0] <= thresholds[0]:
            return 0
        generation = 0
        if counts[1] > thresholds[1]:
            generation = 1
            if counts[2] > thresholds[2]:
                generation = 2
        return gc.collect(generation)

    def stop(self) -> None:
        """Collect what is left, here; the last one to stop hands collection back to Python."""
        self._timer.stop()
        _Users.remove(self._stopped)
