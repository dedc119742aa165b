"""Python's cyclic garbage collector, run on the UI thread only.

Left automatic, the collector runs in whichever thread happens to allocate past a threshold: an
import's thread, the case reader, the extraction controller's. An unreachable Qt object found there
is destroyed on that thread; its timers are then stopped from the wrong thread, stay registered on
the UI thread, and Qt later delivers a timer event to freed memory: a segfault in
``QMetaObject::cast`` under ``QTimerInfoList::activateTimers``, seen in the UI tests once a case
reader thread allocated enough to trigger a collection. So from the first window on, automatic
collection is off for the life of the process (a window's threads may outlive it), and a timer on
the UI thread collects young objects when Python's first threshold is passed, older generations
every tenth and hundredth time (qutebrowser does the same for the same reason).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

#: How often the first threshold is looked at: a cheap check, a collection only when one is due.
CHECK_MS = 500


class UiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, check_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        gc.disable()
        self._young = 0  # collections of the youngest generation so far
        self._timer = QTimer(self, interval=check_ms)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start()

    def collect_due(self) -> int:
        """Collect when Python would have started to (more allocations than deallocations past the
        first threshold); the number of objects found unreachable."""
        if gc.get_count()[0] <= gc.get_threshold()[0]:
            return 0
        self._young += 1
        generation = 2 if self._young % 100 == 0 else 1 if self._young % 10 == 0 else 0
        return gc.collect(generation)


_installed: UiThreadCollector | None = None


def install() -> UiThreadCollector:
    """The process's collector, made once, owned by the application (so on the UI thread)."""
    global _installed
    if _installed is None:
        _installed = UiThreadCollector(QCoreApplication.instance())
    return _installed
