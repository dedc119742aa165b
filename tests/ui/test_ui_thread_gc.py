"""While a window lives, Python's cyclic collector runs on the UI thread only (``ui_thread_gc``):
garbage holding a Qt object, collected on a background thread, left its timer registered on the UI
thread and crashed the process later (segfault in the case reader's tests)."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QTimer

from scallop_curator.ui.ui_thread_gc import UiThreadCollector


class Cycle:
    """Unreachable only through the cyclic collector, like a view that refers to itself."""

    def __init__(self) -> None:
        self.me = self
        self.timer = QTimer()
        self.timer.start(60_000)


def test_garbage_is_collected_on_the_ui_thread_not_where_it_was_allocated(qtbot) -> None:  # type: ignore[no-untyped-def]
    before = gc.isenabled()  # (False only while another test's window is open)
    gc.collect()
    collector = UiThreadCollector(check_ms=60_000)  # the test calls it
    try:
        assert not gc.isenabled()
        freed_on: list[str] = []
        garbage = Cycle()
        weakref.finalize(garbage, lambda: freed_on.append(threading.current_thread().name))
        del garbage

        def allocate() -> None:  # cycles far past every threshold: automatic collection would run here
            for _ in range(50_000):
                cycle: list[object] = []
                cycle.append(cycle)

        thread = threading.Thread(target=allocate, name="background")
        thread.start()
        thread.join()
        assert freed_on == []
        assert collector.collect_due() > 0  # due, and it finds the cycle
        assert freed_on == [threading.main_thread().name]
    finally:
        collector.stop()
    assert gc.isenabled() == before


def test_the_last_window_to_close_hands_collection_back(qtbot) -> None:  # type: ignore[no-untyped-def]
    before = gc.isenabled()
    first, second = UiThreadCollector(), UiThreadCollector()
    first.stop()
    assert not gc.isenabled()  # the second window still has background threads
    first.stop()  # stopping twice changes nothing
    assert not gc.isenabled()
    second.stop()
    assert gc.isenabled() == before


def test_a_window_destroyed_without_closing_hands_collection_back_too(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QObject

    before = gc.isenabled()
    owner = QObject()
    UiThreadCollector(owner)
    assert not gc.isenabled()
    with qtbot.waitSignal(owner.destroyed, timeout=5_000):
        owner.deleteLater()
    assert gc.isenabled() == before
