"""From the first window on, Python's cyclic collector runs on the UI thread only
(``ui_thread_gc``): garbage holding a Qt object, collected on a background thread, left its timer
registered on the UI thread and crashed the process later (segfault in the case reader's tests)."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QCoreApplication, QTimer

from scallop_curator.ui import ui_thread_gc
from scallop_curator.ui.ui_thread_gc import UiThreadCollector


class Cycle:
    """Unreachable only through the cyclic collector, like a view that refers to itself."""

    def __init__(self) -> None:
        self.me = self
        self.timer = QTimer()
        self.timer.start(60_000)


def test_garbage_is_collected_on_the_ui_thread_not_where_it_was_allocated(qtbot) -> None:  # type: ignore[no-untyped-def]
    enabled = gc.isenabled()
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
        assert collector.collect_due() == 0  # nothing due right after
    finally:
        collector.deleteLater()
        if enabled and ui_thread_gc._installed is None:
            gc.enable()


def test_a_window_installs_one_collector_for_the_process(qtbot, open_window) -> None:  # type: ignore[no-untyped-def]
    open_window()
    installed = ui_thread_gc.install()
    assert installed.parent() is QCoreApplication.instance()
    assert ui_thread_gc.install() is installed and not gc.isenabled()
    open_window()  # a second window, in the same process
    assert ui_thread_gc.install() is installed
