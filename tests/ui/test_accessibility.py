"""Accessibility of the main window: every interactive widget has a name a screen reader can say,
every menu action is reachable from the keyboard, and text sizes follow the system font."""

from __future__ import annotations

import re
from collections.abc import Iterator

from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QScrollBar,
    QTextEdit,
    QWidget,
)

from helpers import import_and_wait

INTERACTIVE = (QAbstractButton, QAbstractItemView, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit,
               QPlainTextEdit, QTextEdit, QProgressBar)


def _qt_internal(widget: QWidget) -> bool:
    """Parts Qt builds and names itself: scroll bars, a combo box's popup, the clear button."""
    if isinstance(widget, QScrollBar) or widget.objectName().startswith("qt_"):
        return True
    if widget.metaObject().className() in {"QLineEditIconButton", "QComboBoxListView", "QComboBoxPrivateContainer"}:
        return True
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QComboBox) or parent.metaObject().className() == "QComboBoxPrivateContainer":
            return True
        parent = parent.parentWidget()
    return False


def _spoken_name(widget: QWidget) -> str:
    if widget.accessibleName():
        return widget.accessibleName()
    if isinstance(widget, QAbstractButton):  # Qt says a button's own text
        return widget.text().replace("&", "")
    return ""


def _menus(menu: QMenu, path: str) -> Iterator[tuple[str, QMenu]]:
    yield path, menu
    for action in menu.actions():
        if action.menu() is not None:
            yield from _menus(action.menu(), f"{path} → {action.text()}")


def _mnemonic(text: str) -> str | None:
    found = re.search(r"&([^&])", text.replace("&&", ""))
    return found.group(1).lower() if found else None


def test_every_interactive_widget_has_an_accessible_name(qtbot, open_window, sample_export) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    window.welcome.show()  # its buttons too
    checked = []
    unnamed = []
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or _qt_internal(widget):
            continue
        checked.append(widget)
        if not _spoken_name(widget):
            unnamed.append(f"{widget.metaObject().className()} {widget.objectName()!r}")
    assert not unnamed, f"interactive widgets without an accessible name: {unnamed}"
    names = {w.accessibleName() for w in checked}
    assert {"Conversations", "Turns", "Proposed memories", "Filter conversations", "Cancel the extraction",
            "Cancel the import"} <= names
    assert window.model_label.accessibleName() and window.pending_label.accessibleName()


def test_every_menu_action_is_reachable_from_the_keyboard(open_window) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    unreachable = []
    clashes = []
    for top in window.menuBar().actions():
        assert _mnemonic(top.text()), f"menu {top.text()!r} has no mnemonic"
        for path, menu in _menus(top.menu(), top.text()):
            seen: dict[str, str] = {}
            for action in menu.actions():
                if action.isSeparator():
                    continue
                letter = _mnemonic(action.text())
                if not letter and action.shortcut().isEmpty():
                    unreachable.append(f"{path} → {action.text()}")
                if letter and letter in seen:
                    clashes.append(f"{path}: {seen[letter]!r} and {action.text()!r} share &{letter}")
                if letter:
                    seen[letter] = action.text()
    assert not unreachable, f"menu actions with neither a mnemonic nor a shortcut: {unreachable}"
    assert not clashes, f"menu mnemonics used twice in one menu: {clashes}"
    # Buttons in the window must not take a letter that opens a menu (Alt+letter would be ambiguous).
    window.welcome.show()
    menu_letters = {_mnemonic(top.text()) for top in window.menuBar().actions()}
    for button in window.findChildren(QAbstractButton):
        if button.isVisible():
            assert _mnemonic(button.text()) not in menu_letters, f"{button.text()!r} clashes with a menu"
    # The window itself carries the actions, so their shortcuts work with the menu bar closed.
    window_actions = set(window.actions())
    for top in window.menuBar().actions():
        for action in top.menu().actions():
            if not action.shortcut().isEmpty():
                assert action in window_actions, action.text()


def test_text_follows_the_system_font_size(qapp: QApplication, qtbot, open_window, sample_export) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    window.welcome.show()
    for widget in window.findChildren(QWidget):
        assert widget.font().pixelSize() == -1, f"{widget.metaObject().className()} has a pixel font size"
        assert not re.search(r"font(-size)?\s*:[^;]*\d+px", widget.styleSheet()), widget.styleSheet()
    title = window.welcome.panel.findChildren(type(window.turns_title))[0]
    base = window.font().pointSizeF()
    row = window.turn_view.sizeHintForRow(0)
    old = QFont(qapp.font())
    try:
        bigger = QFont(old)
        bigger.setPointSizeF(old.pointSizeF() * 1.5)
        qapp.setFont(bigger)
        qtbot.waitUntil(lambda: window.turn_view.font().pointSizeF() == bigger.pointSizeF())  # a posted event
        assert window.font().pointSizeF() == bigger.pointSizeF()
        assert title.font().pointSizeF() > bigger.pointSizeF()  # the welcome title stays larger
        assert window.turn_view.sizeHintForRow(0) > row  # rows grow with the text
    finally:
        qapp.setFont(old)
    qtbot.waitUntil(lambda: window.font().pointSizeF() == base)
