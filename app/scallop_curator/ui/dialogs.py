"""Small dialogs: edit a fact, add a memory by hand, the keyboard sheet, the crash report."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from scallop_curator.domain.facts import CATEGORIES, MAX_CONTENT


class FactEditDialog(QDialog):
    """One line for the fact: Enter saves, Esc cancels."""

    def __init__(self, parent: QWidget | None, title: str, text: str = "", with_fields: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        layout = QFormLayout(self)
        self.text = QLineEdit(text)
        self.text.setObjectName("factText")
        self.text.setMaxLength(MAX_CONTENT * 2)
        layout.addRow("Memory", self.text)
        self.subject = QLineEdit("user")
        self.category = QComboBox()
        self.category.addItems(list(CATEGORIES))
        if with_fields:
            layout.addRow("About", self.subject)
            layout.addRow("Category", self.category)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept_if_text)
        buttons.rejected.connect(self.reject)
        layout.addRow(buttons)
        self.text.selectAll()

    def _accept_if_text(self) -> None:
        if self.text.text().strip():
            self.accept()


SHORTCUTS = [
    ("A", "Accept and go to the next pending proposal"),
    ("X", "Reject and go to the next pending proposal"),
    ("E or Enter", "Edit the fact text (Enter saves as edited, Esc cancels)"),
    ("Space", "Skip for now"),
    ("Ctrl+Z / Ctrl+Shift+Z", "Undo / redo (also after a restart)"),
    ("J / K", "Next / previous proposal"),
    ("N", "Next conversation with pending proposals"),
    ("H", "Add a memory by hand to the selected turn"),
    ("Ctrl+F or /", "Filter conversations"),
    ("Ctrl+E", "Extract the selected conversation"),
    ("Ctrl+Shift+E", "Extract every conversation not yet extracted"),
    ("Ctrl+O", "Open a chat export"),
    ("?", "This sheet"),
]


class ShortcutSheet(QDialog):
    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        layout = QVBoxLayout(self)
        rows = "".join(f"<tr><td><b>{key}</b></td><td>&nbsp;&nbsp;{what}</td></tr>" for key, what in SHORTCUTS)
        label = QLabel(f"<table>{rows}</table>")
        layout.addWidget(label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def show_crash(parent: QWidget | None, summary: str, details: str, log_path: str) -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Scallop Curator hit a bug")
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
