"""Show text from an export, a model or the user as plain text, wherever Qt would guess.

Qt renders a tooltip, a label or a message box as rich text whenever the string *looks* like
markup (``Qt.mightBeRichText``), and rich text loads ``<img src=...>`` from any local path: a chat
titled ``<img src="/dev/zero">`` would make the window read /dev/zero until it runs out of memory.
Tooltips and the static ``QMessageBox`` helpers take no text format, so the text is escaped and
wrapped in markup of our own that keeps line breaks: it always shows literally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # QMessageBox is imported when a box is shown: the window's shell never needs it
    from PySide6.QtWidgets import QMessageBox, QWidget


def rich(text: str) -> str:
    """``text`` as rich text that displays exactly ``text`` (line breaks and spaces kept)."""
    import html  # here: it loads html.entities, which the window's first frame does not need

    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"


def tooltip(text: str | None) -> str:
    """A tooltip that shows ``text`` literally (an empty text stays empty: no tooltip)."""
    return rich(text) if text else ""


def warning(parent: QWidget | None, title: str, text: str) -> QMessageBox.StandardButton:
    from PySide6.QtWidgets import QMessageBox

    return QMessageBox.warning(parent, title, rich(text))


def information(parent: QWidget | None, title: str, text: str) -> QMessageBox.StandardButton:
    from PySide6.QtWidgets import QMessageBox

    return QMessageBox.information(parent, title, rich(text))


def question(parent: QWidget | None, title: str, text: str) -> QMessageBox.StandardButton:
    from PySide6.QtWidgets import QMessageBox

    return QMessageBox.question(parent, title, rich(text))
