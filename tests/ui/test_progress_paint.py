"""Progress never paints inside the slot that reports it: ``QProgressBar.setValue`` repaints and
flushes at once (15 ms a step in the status bar, measured by benchmarks/ui_stall.py), so the
window's progress goes through ``set_progress``, which leaves the paint to the next update."""

from __future__ import annotations

from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QProgressBar

from scallop_curator.ui.widgets import set_progress


class CountingBar(QProgressBar):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def paintEvent(self, event: QPaintEvent) -> None:
        self.paints += 1
        super().paintEvent(event)


def test_set_progress_paints_later_not_now(qtbot) -> None:
    bar = CountingBar()
    bar.setRange(0, 100)
    qtbot.addWidget(bar)
    bar.show()
    qtbot.waitExposed(bar)
    qtbot.wait(50)

    before = bar.paints
    bar.setValue(40)  # Qt's own call paints before it returns: what the window must not do
    assert bar.paints > before

    before = bar.paints
    set_progress(bar, 60)
    assert bar.value() == 60
    assert bar.paints == before, "set_progress painted inside the caller's slot"
    qtbot.waitUntil(lambda: bar.paints > before, timeout=10_000)  # and the new value is drawn soon after
    assert bar.updatesEnabled()


def test_a_new_range_paints_later_not_now(qtbot) -> None:
    """An extraction's start: a new range the old value falls outside of (Qt's reset() repaints at
    once), then 0 (first value after a reset: a repaint too). The start's longest stall was that."""
    bar = CountingBar()
    bar.setRange(0, 100)
    bar.setValue(90)
    qtbot.addWidget(bar)
    bar.show()
    qtbot.waitExposed(bar)
    qtbot.wait(50)

    before = bar.paints
    bar.setRange(0, 15)  # Qt's own call: 90 is out of range, reset() repaints before it returns
    assert bar.paints > before

    bar.setRange(0, 100)
    bar.setValue(90)
    qtbot.wait(50)
    before = bar.paints
    set_progress(bar, 0, maximum=15)
    assert (bar.minimum(), bar.maximum(), bar.value()) == (0, 15, 0)
    set_progress(bar, 0, maximum=0)  # busy
    assert (bar.minimum(), bar.maximum()) == (0, 0)
    assert bar.paints == before, "set_progress painted inside the caller's slot"
    qtbot.waitUntil(lambda: bar.paints > before, timeout=10_000)


def test_the_window_draws_its_hidden_progress_parts_once_after_it_is_filled(  # type: ignore[no-untyped-def]
        qtbot, open_window, monkeypatch) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QProgressBar

    painted: list[object] = []
    original = QProgressBar.grab
    # spied on before the window exists: its warm-up may run while the window is still being shown
    monkeypatch.setattr(QProgressBar, "grab", lambda bar, *a: (painted.append(bar), original(bar, *a))[1])
    window = open_window()
    parts = (window.progress_label, window.progress_bar, window.cancel_button)
    qtbot.waitUntil(lambda: any(bar is window.progress_bar for bar in painted), timeout=20_000)
    assert all(part.testAttribute(Qt.WidgetAttribute.WA_WState_Polished) for part in parts)
    assert not any(part.isVisible() for part in parts)  # drawn off screen: nothing flashed
    assert window.progress_label.text() == ""
