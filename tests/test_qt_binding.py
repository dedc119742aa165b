"""The Qt binding itself must not corrupt reference counts: PySide6 6.12.0 dropped one
reference to True on every Signal.emit(), which aborts the app after a few thousand signals."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    changed = Signal(object)
    counts = Signal(int, int, float)


class _Receiver(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def take(self, *_args: object) -> None:
        self.seen += 1


def test_signal_emission_keeps_reference_counts(qapp) -> None:  # type: ignore[no-untyped-def]
    # qapp, not a QCoreApplication of our own: a core app would outlive this test and make every
    # later widget abort ("Must construct a QApplication before a QWidget").
    emitter, receiver = _Emitter(), _Receiver()
    emitter.changed.connect(receiver.take)
    emitter.counts.connect(receiver.take)
    before = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    for _ in range(500):
        emitter.changed.emit(None)
        emitter.counts.emit(1, 2, 3.0)
    after = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    assert receiver.seen == 1000
    assert all(abs(a - b) < 50 for a, b in zip(before, after)), (before, after)
