"""Small widgets of the main window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QProgressBar, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLabel


class FilterEdit(QLineEdit):
    """The filter box; it lets the window's Ctrl shortcuts through (QLineEdit would take Ctrl+E
    as "end of line"). Escape clears it and leaves it for ``leave_to`` (the proposals, where the
    review keys work); Down or Return go to the conversation list. Escape never reaches the
    window: it does not cancel an extraction."""

    def __init__(self, list_view: QWidget, leave_to: QWidget | None = None) -> None:
        super().__init__(placeholderText="Filter titles and messages (Ctrl+F)")
        self._list_view = list_view
        self.leave_to = leave_to

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            from PySide6.QtCore import Qt  # not at import: the window's first frame never needs Qt's enums

            passed_to_window = (Qt.Key.Key_E, Qt.Key.Key_O, Qt.Key.Key_Q, Qt.Key.Key_R, Qt.Key.Key_Period)
            if event.key() == Qt.Key.Key_Escape:
                event.accept()  # ours, whatever shortcut the window has
                return True
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier and event.key() in passed_to_window:
                event.ignore()
                return False
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        from PySide6.QtCore import Qt

        if event.key() == Qt.Key.Key_Escape:
            self.clear()
            (self.leave_to or self._list_view).setFocus()
            return
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._list_view.setFocus()
            return
        super().keyPressEvent(event)


def pane(title: QLabel, view: QWidget, top: QWidget | None = None) -> QWidget:
    widget = QWidget()
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(4, 4, 4, 4)
    layout.setSpacing(4)
    if top is not None:
        layout.addWidget(top)
    layout.addWidget(title)
    layout.addWidget(view)
    return widget


def set_progress(bar: QProgressBar, value: int, maximum: int | None = None) -> None:
    """``bar.setValue(value)`` (and ``setRange(0, maximum)``) without their synchronous repaint:
    ``QProgressBar.setValue`` paints and flushes at once (15 ms a step in the window's status bar),
    inside whatever slot reported the progress, and so does ``setRange`` when the old value falls
    outside the new range; with updates off for the call, the paint joins the next ordinary update.
    A maximum of 0 makes the bar a busy indicator."""
    bar.setUpdatesEnabled(False)
    try:
        if maximum is not None:
            bar.setRange(0, maximum)
        if maximum != 0:
            bar.setValue(value)
    finally:
        bar.setUpdatesEnabled(True)  # schedules the update() the repaint would have been
