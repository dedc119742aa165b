"""The audit queue as a thin item model over the stored results of one evaluation run, and the
plain-text fact panes with their highlights (text from models and people is never rich text)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from scallop_curator.evaluation import audit, runs
from scallop_curator.evaluation.agreement import Kind
from scallop_curator.evaluation.cases import CaseFact
from scallop_curator.store import Store

Index = QModelIndex | QPersistentModelIndex

RESULT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
KINDS_ROLE = Qt.ItemDataRole.UserRole + 2
DECISION_ROLE = Qt.ItemDataRole.UserRole + 3

DECISION_MARK = {None: "·", runs.Decision.MODEL: "M", runs.Decision.REFERENCE: "R", runs.Decision.OWN: "W"}


class AuditQueueModel(QAbstractListModel):
    """Disagreeing cases of a run, filtered by kind, sorted by the worst kind first."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store
        self.run_id: int | None = None
        self.kind: Kind | None = None
        self.undecided_only = False
        self._all: list[runs.StoredResult] = []
        self._rows: list[runs.StoredResult] = []

    def set_run(self, run_id: int | None) -> None:
        self.run_id = run_id
        self.reload()

    def set_filter(self, kind: Kind | None, undecided_only: bool | None = None) -> None:
        self.kind = kind
        if undecided_only is not None:
            self.undecided_only = undecided_only
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._all = runs.results(self._store, self.run_id) if self.run_id is not None else []
        self._rows = audit.queue(self._all, self.kind, self.undecided_only)
        self.endResetModel()

    def refresh_row(self, result_id: int) -> None:
        """Re-read one case after a decision; the queue keeps its order while the reviewer works."""
        for row, item in enumerate(self._rows):
            if item.id == result_id:
                self._rows[row] = runs.result(self._store, result_id)
                self._all = [self._rows[row] if r.id == result_id else r for r in self._all]
                index = self.index(row)
                self.dataChanged.emit(index, index)
                return

    @property
    def all_results(self) -> list[runs.StoredResult]:
        return self._all

    def result(self, row: int) -> runs.StoredResult:
        return self._rows[row]

    def row_of(self, result_id: int) -> int:
        return next((row for row, r in enumerate(self._rows) if r.id == result_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            kinds = ", ".join(k.value for k in audit.KIND_ORDER if k in item.kinds)
            first_line = item.case.message.strip().splitlines()[0] if item.case.message.strip() else ""
            return f"{DECISION_MARK[item.decision]} {item.case.case_id} · {kinds} · {first_line[:60]}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"score {item.score:.2f}"
        if role == RESULT_ID_ROLE:
            return item.id
        if role == KINDS_ROLE:
            return sorted(k.value for k in item.kinds)
        if role == DECISION_ROLE:
            return item.decision.value if item.decision else None
        return None


MISSING = QColor(255, 205, 205)
CHANGED = QColor(255, 236, 160)


class FactPane(QPlainTextEdit):
    """Facts one a line, plain text; unmatched lines and differing words are highlighted with
    character formats on the plain document."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTabChangesFocus(True)
        self.highlights: list[tuple[int, int, int, str]] = []  # (line, start, end, kind): what is marked

    def show_facts(self, facts: list[CaseFact], marks: audit.LineMarks, empty_note: str) -> None:
        self.highlights = []
        if not facts:
            self.setPlainText(empty_note)
            return
        lines = [audit.fact_line(f) for f in facts]
        self.setPlainText("\n".join(lines))
        document = self.document()
        for number, text in enumerate(lines):
            block = document.findBlockByNumber(number)
            if number in marks.unmatched_lines:
                self._mark(block.position(), block.position() + len(text), MISSING)
                self.highlights.append((number, 0, len(text), "unmatched"))
            for start, end in marks.spans.get(number, []):
                self._mark(block.position() + start, block.position() + end, CHANGED)
                self.highlights.append((number, start, end, "changed"))

    def _mark(self, start: int, end: int, colour: QColor) -> None:
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        fmt = QTextCharFormat()
        fmt.setBackground(colour)
        cursor.mergeCharFormat(fmt)
