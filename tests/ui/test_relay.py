"""UiRelay: what background threads post reaches the UI thread, in order, and an idle relay wakes
nobody (it used to drain on a 15 ms clock, about 70 wake-ups a second per idle window)."""

from __future__ import annotations

import threading
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


def test_a_post_after_the_relay_is_gone_is_dropped_quietly(qtbot, qapp: QApplication) -> None:  # type: ignore[no-untyped-def]
    relay = _Counted()
    shiboken6.delete(relay)
    errors: list[BaseException] = []

    def post() -> None:
        try:
            relay.post("got", 1)
        except BaseException as error:  # noqa: BLE001 - the test reports whatever it was
            errors.append(error)

    thread = threading.Thread(target=post)
    thread.start()
    thread.join()
    assert errors == []
