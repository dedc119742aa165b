"""UiRelay: what background threads post reaches the UI thread, in order, and an idle relay wakes
nobody (it used to drain on a 15 ms clock, about 70 wake-ups a second per idle window)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import shiboken6
from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QApplication

from scallop_curator.ui.relay import UiRelay


class _Counted(UiRelay):
    got = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.drains = 0
        self.values: list[int] = []
        self.threads: set[QThread] = set()
        self.got.connect(self._record)

    def drain(self) -> None:
        self.drains += 1
        super().drain()

    def _record(self, value: int) -> None:
        self.values.append(value)
        self.threads.add(QThread.currentThread())


@pytest.fixture
def relay(qapp: QApplication) -> Iterator[_Counted]:
    made = _Counted()
    yield made
    if shiboken6.isValid(made):
        made.deleteLater()


def _post_from_thread(relay: UiRelay, values: range) -> None:
    thread = threading.Thread(target=lambda: [relay.post("got", v) for v in values])
    thread.start()
    thread.join()


def test_posts_from_a_thread_arrive_on_the_ui_thread_in_order(qtbot, relay: _Counted) -> None:  # type: ignore[no-untyped-def]
    _post_from_thread(relay, range(5000))
    qtbot.waitUntil(lambda: len(relay.values) == 5000, timeout=5000)
    assert relay.values == list(range(5000))
    assert relay.threads == {QApplication.instance().thread()}
    # A burst is drained in batches, not one wake per post.
    assert relay.drains < 100, relay.drains


def test_an_idle_relay_does_not_drain(qtbot, relay: _Counted) -> None:  # type: ignore[no-untyped-def]
    relay.post("got", 1)
    qtbot.waitUntil(lambda: relay.values == [1], timeout=2000)
    drains = relay.drains
    qtbot.wait(300)  # twenty of the old clock's ticks
    assert relay.drains == drains
    # ... and wakes again for the next post, however long it slept.
    _post_from_thread(relay, range(2, 4))
    qtbot.waitUntil(lambda: relay.values == [1, 2, 3], timeout=2000)


def test_a_relay_freed_while_a_thread_posts_drops_what_comes_after(qtbot, qapp: QApplication) -> None:  # type: ignore[no-untyped-def]
    """A window closing while its import thread still posts: the posts after the relay is freed are
    dropped without touching freed memory or raising in the thread."""
    relay = _Counted()
    errors: list[BaseException] = []
    stop = threading.Event()

    def post() -> None:
        try:
            value = 0
            while not stop.is_set():
                relay.post("got", value)
                value += 1
                if value % 100 == 0:
                    time.sleep(0.001)  # a fast producer, still bounded (an import posts per batch)
        except BaseException as error:  # noqa: BLE001 - the test reports whatever it was
            errors.append(error)

    thread = threading.Thread(target=post)
    thread.start()
    try:
        qtbot.waitUntil(lambda: len(relay.values) > 1000, timeout=5000)
        shiboken6.delete(relay)  # frees the Qt object now, on this thread, while the thread posts
        qtbot.wait(100)  # what was queued for it is dropped, not delivered to freed memory
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert not shiboken6.isValid(relay)


def test_a_flood_is_drained_in_slices_that_let_the_window_paint(qtbot, relay: _Counted) -> None:  # type: ignore[no-untyped-def]
    """A woken drain stops after its time budget and leaves the rest to the next, in order."""
    relay.got.connect(lambda _value: time.sleep(0.001))  # each slot takes at least 1 ms
    _post_from_thread(relay, range(50))
    relay._drain_slice()  # what the wake runs
    # At least 1 ms a slot and a 10 ms budget: the slice stopped after at most 11 of the 50.
    assert 1 <= len(relay.values) <= 11, len(relay.values)
    qtbot.waitUntil(lambda: len(relay.values) == 50, timeout=5000)
    assert relay.values == list(range(50))


def test_the_windows_last_drain_empties_the_queue(qtbot, relay: _Counted) -> None:  # type: ignore[no-untyped-def]
    """Closing, the window drains once and then closes its store: no timer runs after that, so
    this drain must deliver everything (the extraction's ``finished`` included)."""
    relay.got.connect(lambda _value: time.sleep(0.001))
    _post_from_thread(relay, range(50))
    relay.drain()
    assert relay.values == list(range(50))


def test_a_bad_event_does_not_strand_the_ones_after_it(qtbot, relay: _Counted) -> None:  # type: ignore[no-untyped-def]
    relay.post("got", 1)
    relay.post("no_such_signal", 2)
    relay.post("got", 3)
    qtbot.waitUntil(lambda: relay.values == [1, 3], timeout=2000)


def test_a_post_to_a_freed_relay_is_dropped(qtbot, qapp: QApplication) -> None:  # type: ignore[no-untyped-def]
    """The quiet case of the race above: the relay is idle (nothing queued) when it is freed."""
    relay = _Counted()
    relay.post("got", 1)
    qtbot.waitUntil(lambda: relay.values == [1], timeout=2000)
    shiboken6.delete(relay)
    errors: list[BaseException] = []

    def post() -> None:
        try:
            relay.post("got", 2)
        except BaseException as error:  # noqa: BLE001 - the test reports whatever it was
            errors.append(error)

    thread = threading.Thread(target=post)
    thread.start()
    thread.join()
    assert errors == []
