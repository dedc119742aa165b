"""The reader under the turns: the whole selected message, however long, as plain text, with
the sentence the selected proposal most likely comes from highlighted and scrolled into view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QPlainTextEdit

from scallop_curator.ui.evidence import evidence_span

if TYPE_CHECKING:
    from scallop_curator.store import StoredTurn  # the store itself loads after the window shows


class MessageReader(QPlainTextEdit):
    def __init__(self) -> None:
        super().__init__(objectName="reader")
        self.setReadOnly(True)
        self.setPlaceholderText("The whole selected message shows here; the selected memory's source is highlighted.")
        self.turn_id: int | None = None
        self.evidence: tuple[int, int] | None = None  # in Python string positions
        self._text = ""

    def show_turn(self, turn: StoredTurn | None, fact: str | None = None) -> None:
        """Show ``turn`` in full; highlight where ``fact`` comes from, if it can be found."""
        # Imported here, not with the module: the reader is part of the window's first frame, and
        # PySide builds these classes' enums when they are first named (milliseconds each).
        from PySide6.QtGui import QPalette, QTextCharFormat, QTextCursor
        from PySide6.QtWidgets import QTextEdit

        if turn is None:
            self.turn_id, self.evidence = None, None
            self.clear()
            return
        if turn.id != self.turn_id:
            self._text = turn.text
            self.setPlainText(turn.text)  # plain text: markup in a message is never interpreted
            self.turn_id = turn.id
        self.evidence = evidence_span(turn.text, fact) if fact else None
        selections = []
        cursor = QTextCursor(self.document())
        span = self._document_span()
        if span is not None:
            start, end = span
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection = QTextEdit.ExtraSelection()
            selection.cursor = cursor
            fmt = QTextCharFormat()
            fmt.setBackground(self.palette().color(QPalette.ColorRole.Highlight))
            fmt.setForeground(self.palette().color(QPalette.ColorRole.HighlightedText))
            selection.format = fmt
            selections.append(selection)
        self.setExtraSelections(selections)
        if span is not None:
            shown = QTextCursor(self.document())
            shown.setPosition(span[1])
            self.setTextCursor(shown)
            self.ensureCursorVisible()
            shown.setPosition(span[0])
            self.setTextCursor(shown)
            self.ensureCursorVisible()
        else:
            self.moveCursor(QTextCursor.MoveOperation.Start)

    def _document_span(self) -> tuple[int, int] | None:
        """The evidence in the document's positions, which count UTF-16 units (an emoji is two)."""
        if self.evidence is None:
            return None

        def units(position: int) -> int:
            return len(self._text[:position].encode("utf-16-le")) // 2

        return units(self.evidence[0]), units(self.evidence[1])

    def highlighted_text(self) -> str:
        if self.evidence is None:
            return ""
        return self._text[self.evidence[0]:self.evidence[1]]
