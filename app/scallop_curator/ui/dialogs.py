"""Small dialogs: edit a fact, add a memory by hand, the keyboard sheet, the crash report.
Every text from an export, a model or the user is shown as plain text."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from scallop_curator.domain.facts import ACTIONS, CATEGORIES, MAX_CONTENT, MAX_OLD_VALUE, MAX_REPLACES, MAX_SUBJECT


@dataclass
class FactFields:
    """What the edit dialog returns: the whole fact as the user wants it kept."""

    content: str
    subject: str
    category: str
    confidence: float
    action: str
    old_value: str | None
    replaces: str | None

    def others(self) -> dict[str, object]:
        """Every field but the text, as ``Store.decide(fields=...)`` takes them."""
        return {"subject": self.subject, "category": self.category, "confidence": self.confidence,
                "action": self.action, "old_value": self.old_value, "replaces": self.replaces}


def quote(text: str, words: int = 12) -> str:
    """The first words of a message, on one line, to say which turn something belongs to."""
    split = text.split()
    return " ".join(split[:words]) + (" …" if len(split) > words else "")


def _combo(values: tuple[str, ...], current: str) -> QComboBox:
    combo = QComboBox()
    combo.addItems(list(values))
    if current not in values:
        combo.addItem(current)  # keep a value the model wrote outside the list rather than lose it
    combo.setCurrentText(current)
    return combo


class FactEditDialog(QDialog):
    """Every field of a fact: Enter saves, Esc cancels. ``context`` names the turn it belongs to."""

    def __init__(self, parent: QWidget | None, title: str, text: str = "", with_fields: bool = True,
                 fields: FactFields | None = None, context: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        layout = QFormLayout(self)
        if context:
            where = QLabel(context, objectName="factContext")
            where.setTextFormat(Qt.TextFormat.PlainText)
            where.setWordWrap(True)
            layout.addRow(where)
        start = fields or FactFields(text, "user", "general", 1.0, "fact", None, None)
        self.text = QLineEdit(start.content or text, objectName="factText")
        self.text.setMaxLength(MAX_CONTENT * 2)
        layout.addRow("Memory", self.text)
        self.subject = QLineEdit(start.subject, objectName="factSubject")
        self.subject.setMaxLength(MAX_SUBJECT * 2)
        self.category = _combo(CATEGORIES, start.category)
        self.category.setObjectName("factCategory")
        self.confidence = QDoubleSpinBox(objectName="factConfidence", minimum=0.0, maximum=1.0, singleStep=0.05,
                                         decimals=2, value=start.confidence)
        self.action = _combo(ACTIONS, start.action)
        self.action.setObjectName("factAction")
        self.old_value = QLineEdit(start.old_value or "", objectName="factOldValue")
        self.old_value.setMaxLength(MAX_OLD_VALUE * 2)
        self.replaces = QLineEdit(start.replaces or "", objectName="factReplaces")
        self.replaces.setMaxLength(MAX_REPLACES * 2)
        if with_fields:
            layout.addRow("About", self.subject)
            layout.addRow("Category", self.category)
            layout.addRow("Confidence", self.confidence)
            layout.addRow("Kind", self.action)
            layout.addRow("Old value", self.old_value)
            layout.addRow("Replaces", self.replaces)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept_if_text)
        buttons.rejected.connect(self.reject)
        layout.addRow(buttons)
        self.text.selectAll()

    def _accept_if_text(self) -> None:
        if self.text.text().strip():
            self.accept()

    def values(self) -> FactFields:
        return FactFields(
            content=self.text.text().strip(), subject=self.subject.text().strip() or "user",
            category=self.category.currentText(), confidence=round(self.confidence.value(), 2),
            action=self.action.currentText(), old_value=self.old_value.text().strip() or None,
            replaces=self.replaces.text().strip() or None)


#: Keys that work in one place only, so no window action carries them.
CONTEXT_KEYS = [
    ("Esc", "In the filter box: clear it and go back to the proposals"),
    ("Down or Enter", "In the filter box: go to the conversation list"),
    ("Enter / Esc", "In a dialog: save / close without saving"),
]


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    """(keys, what they do) for every action that has a key, read from the actions themselves so
    the sheet cannot drift from what the keys really do, then the keys that work in one place."""
    rows = []
    for action in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        if keys:
            what = action.statusTip() or action.text().replace("&", "")
            rows.append((" or ".join(keys), what))
    return rows + CONTEXT_KEYS


class ShortcutSheet(QDialog):
    def __init__(self, parent: QWidget | None, actions: list[QAction] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        layout = QVBoxLayout(self)
        rows = shortcut_rows(actions if actions is not None else (parent.actions() if parent else []))
        table = QTableWidget(len(rows), 2, objectName="shortcuts")
        table.setHorizontalHeaderLabels(["Keys", "What they do"])
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for row, (keys, what) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(what))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        self.table = table
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(620, 560)


def show_crash(parent: QWidget | None, summary: str, details: str, log_path: str) -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Scallop Curator hit a bug")
    box.setTextFormat(Qt.TextFormat.PlainText)  # the error may quote a title or a message
    box.setText(f"Something went wrong inside Scallop Curator: {summary}\n\n"
                "Your decisions are saved. The full report is in the log file:\n" + log_path)
    box.setDetailedText(details)
    box.exec()


class TextDialog(QDialog):
    def __init__(self, parent: QWidget | None, title: str, text: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        view = QPlainTextEdit(text)
        view.setReadOnly(True)
        layout.addWidget(view)
        self.resize(640, 400)
