"""Small widgets of the main window."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget


class FilterEdit(QLineEdit):
    """The filter box; it lets the window's Ctrl shortcuts through (QLineEdit would take Ctrl+E
    as "end of line") and hands focus back to the list on Escape or Down."""

    PASS_THROUGH = {Qt.Key.Key_E, Qt.Key.Key_O, Qt.Key.Key_Q}

    def __init__(self, list_view: QWidget) -> None:
        super().__init__(placeholderText="Filter conversations (Ctrl+F)")
        self._list_view = list_view

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier and event.key() in self.PASS_THROUGH:
                event.ignore()
                return False
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Down, Qt.Key.Key_Return):
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
