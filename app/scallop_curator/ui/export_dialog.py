"""File → Export: the same targets as ``scallop-curator export``. The plain text can be copied to the
clipboard (for an assistant's memory import or instructions field) as well as saved.

The export itself runs on a background thread (``ExportJob``): Open WebUI takes a request per memory,
and a slow or silent server must not freeze the window. Progress shows after half a second, with
Cancel; failures are one plain line in the dialog.

Signals:
    exportFinished(bool): an export ended; True when it was done, False when it failed or was cancelled.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from scallop_curator.exporters.run import FILE_TARGETS, ExportRequest, render
from scallop_curator.store import Store
from scallop_curator.ui.export_job import ExportJob
from scallop_curator.ui.widgets import set_progress

#: Progress appears only for an export still running after this long.
PROGRESS_DELAY_MS = 500

LABELS = {
    "text": "Plain text “about me” (Claude, Gemini, ChatGPT instructions)",
    "openwebui": "Open WebUI memories (over its API)",
    "sillytavern": "SillyTavern lorebook (World Info JSON)",
    "scallopbot": "ScallopBot memories.db",
    "jsonl": "JSON Lines (every field; importable back)",
    "markdown": "Markdown",
}
SUFFIXES = {"text": ".txt", "sillytavern": ".json", "jsonl": ".jsonl", "markdown": ".md"}


class ExportDialog(QDialog):
    exportFinished = Signal(bool)

    def __init__(self, parent: QWidget | None, store: Store) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export memories")
        self._store = store
        self.job: ExportJob | None = None
        self.progress = QProgressBar(objectName="exportProgress")
        self.progress.hide()
        self._progress_timer = QTimer(self, singleShot=True, interval=PROGRESS_DELAY_MS)
        self._progress_timer.timeout.connect(self.progress.show)
        self.target = QComboBox(objectName="exportTarget")
        for key, label in LABELS.items():
            self.target.addItem(label, key)
        self.path = QLineEdit(objectName="exportPath")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        self.url = QLineEdit(placeholderText="http://localhost:3000", objectName="exportUrl")
        self.api_key = QLineEdit(echoMode=QLineEdit.EchoMode.Password, objectName="exportKey")
        self.budget = QSpinBox(minimum=0, maximum=100_000, value=1500, suffix=" characters", specialValueText="no limit")
        self.superseded = QCheckBox("Also memories replaced since")
        self.preview = QPlainTextEdit(readOnly=True, objectName="exportPreview")  # plain text only
        self.result = QLabel(objectName="exportResult")
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        self.result.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Export to", self.target)
        form.addRow("File", self.path)
        form.addRow("", browse)
        form.addRow("Open WebUI address", self.url)
        form.addRow("API key", self.api_key)
        form.addRow("Length budget", self.budget)
        form.addRow("", self.superseded)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button = buttons.addButton("Copy text", QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button = buttons.addButton("Cancel export", QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel_export)
        self.export_button.clicked.connect(self.run_export)
        self.copy_button.clicked.connect(self.copy_text)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(self.progress)
        layout.addWidget(self.result)
        layout.addWidget(buttons)
        self._form = form
        self._browse_button = browse
        self.target.currentIndexChanged.connect(self._target_changed)
        self.budget.valueChanged.connect(self._update_preview)
        self.superseded.toggled.connect(self._update_preview)
        self._target_changed()
        self.resize(640, 520)

    def request(self) -> ExportRequest:
        target = self.target.currentData()
        path = Path(self.path.text().strip()) if self.path.text().strip() else None
        return ExportRequest(target, out=path if target in FILE_TARGETS else None, url=self.url.text().strip() or None,
                             api_key=self.api_key.text() or None, target_db=path if target == "scallopbot" else None,
                             budget=self.budget.value() or None, include_superseded=self.superseded.isChecked())

    def _target_changed(self) -> None:
        target = self.target.currentData()
        for widget, shown in ((self.path, target in (*FILE_TARGETS, "scallopbot")),
                              (self._browse_button, target in (*FILE_TARGETS, "scallopbot")),
                              (self.url, target == "openwebui"), (self.api_key, target == "openwebui"),
                              (self.budget, target == "text")):
            widget.setVisible(shown)
            label = self._form.labelForField(widget)
            if label is not None:
                label.setVisible(shown)
        self.copy_button.setVisible(target in FILE_TARGETS)
        self._update_preview()

    def _update_preview(self) -> None:
        request = self.request()
        if request.target in FILE_TARGETS:
            self.preview.setPlainText(render(self._store, request))
        else:
            self.preview.setPlainText("")

    def _browse(self) -> None:
        target = self.target.currentData()
        if target == "scallopbot":
            chosen, _ = QFileDialog.getOpenFileName(self, "ScallopBot's memories.db", "", "SQLite (*.db);;All files (*)")
        else:
            chosen, _ = QFileDialog.getSaveFileName(self, "Export to", f"memories{SUFFIXES.get(target, '')}")
        if chosen:
            self.path.setText(chosen)

    def copy_text(self) -> None:
        QGuiApplication.clipboard().setText(self.preview.toPlainText())
        self.result.setText("Copied to the clipboard.")

    def run_export(self) -> None:
        """Start the export on its own thread; ``exportFinished`` says how it ended."""
        if self.job is not None and self.job.running:
            return
        request = self.request()
        if request.target in FILE_TARGETS and request.out is None:
            self.result.setText("Choose the file to export to first.")
            return
        if self.job is not None:
            self.job.deleteLater()  # its thread has ended: its relay (and timer) go with it
        self.job = ExportJob(self._store.path, request, self)
        self.job.progress.connect(self._on_progress)
        self.job.done.connect(lambda message: self._ended(message, True))
        self.job.failed.connect(lambda message: self._ended(message, False))
        self.job.cancelled.connect(lambda message: self._ended(message, False))
        self.job.crashed.connect(lambda _error: self._ended("The export stopped on an error (see the log).", False))
        self.result.setText("Exporting…")
        self.progress.setRange(0, 0)
        self.export_button.setEnabled(False)
        self.cancel_button.show()
        self._progress_timer.start()
        self.job.start()

    def cancel_export(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.result.setText("Cancelling after the memory being sent…")

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        set_progress(self.progress, done)
        self.progress.setFormat(f"{done:,} of {total:,} memories")

    def _ended(self, message: str, ok: bool) -> None:
        self._progress_timer.stop()
        self.progress.hide()
        self.cancel_button.hide()
        self.export_button.setEnabled(True)
        self.result.setText(message)
        self.exportFinished.emit(ok)

    def done(self, code: int) -> None:  # noqa: A003 - QDialog.done
        """Closing the dialog stops an export still running (what was sent stays remembered)."""
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.job.wait(2.0)
        super().done(code)


def open_export_dialog(parent: QWidget, store: Store) -> None:
    dialog = ExportDialog(parent, store)
    dialog.open()

