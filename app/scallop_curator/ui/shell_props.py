"""The few ``Qt`` namespace settings the window's first frame needs, written through Qt's property
system by value instead of through PySide's ``Qt`` enums.

Why: PySide builds the Python enums of a class the first time the class is named, and naming
``Qt`` builds all of the namespace's ~100 enums at once (``Qt.Key`` alone has ~500 members):
40-60 ms, a quarter of what a bare PySide6 window takes to appear. The shell only needs three
values, so it sets them by number; ``tests/ui/test_startup_shell.py`` checks each number against
its enum, and a property that does not take the value raises (a bug, not a user's problem).
"""

from __future__ import annotations

from PySide6.QtCore import QObject

#: ``Qt.Orientation.Vertical``
VERTICAL = 2
#: ``Qt.TextFormat.PlainText``
PLAIN_TEXT = 0
#: ``Qt.ScrollBarPolicy.ScrollBarAlwaysOff``
SCROLL_BAR_ALWAYS_OFF = 1


def set_property(widget: QObject, name: str, value: int) -> None:
    if not widget.setProperty(name, value):
        raise RuntimeError(f"{type(widget).__name__}.{name} did not take {value}")


def vertical(splitter: QObject) -> None:
    set_property(splitter, "orientation", VERTICAL)


def plain_text(*labels: QObject) -> None:
    """Labels whose text may come from an export, a model or the user: shown literally, never as markup."""
    for label in labels:
        set_property(label, "textFormat", PLAIN_TEXT)


def no_horizontal_scroll_bar(view: QObject) -> None:
    set_property(view, "horizontalScrollBarPolicy", SCROLL_BAR_ALWAYS_OFF)
