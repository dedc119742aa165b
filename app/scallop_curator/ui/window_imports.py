"""The window's import side: open, drop, background import with progress, who-is-the-user."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QMessageBox,
)

if TYPE_CHECKING:
    from scallop_curator.importers import ImportOptions
    from scallop_curator.importers.speakers import SpeakerLog
    from scallop_curator.store import ImportSummary

EXPORT_FILTER = "Chat exports (*.json *.jsonl *.zip *.txt *.html *.db);;All files (*)"


class ImportActions:
    """Mixed into MainWindow; uses its store, importer, settings and status widgets."""

    def open_dialog(self) -> None:
        start = self.settings.last_export or str(Path.home())
        names, _ = QFileDialog.getOpenFileNames(self, "Open chat export", start, EXPORT_FILTER)
        if names:
            self.import_files([Path(n) for n in names])

    def import_files(self, files: list[Path], options: ImportOptions | None = None) -> None:
        """Import in the background; each file is one transaction, so a bad one changes nothing."""
        from scallop_curator.settings import SettingsError

        if not files:
            return
        self._import_new = None
        self.importer.start([Path(f) for f in files], options)
        QTimer.singleShot(500, self._show_import_progress)  # only slow work shows progress
        self.settings.last_export = str(Path(files[-1]).resolve().parent)
        try:
            self.settings.save()
        except SettingsError as problem:  # a full disk: the import goes on, the folder is not remembered
            self.notify(str(problem), 10000)

    def _show_import_progress(self) -> None:
        if self.importer.busy:
            self._show_progress(True)
            self.progress_bar.setRange(0, 0)

    def _import_progress(self, name: str, done: int, total: int) -> None:
        if total:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
            self.progress_label.setText(f"importing {name} · {done:,}/{total:,} conversations")
        else:
            self.progress_label.setText(f"reading {name}")

    def _import_done(self, summary: ImportSummary, first_ids: list[str]) -> None:
        name = Path(summary.source).name
        message = (f"{name}: {summary.new_conversations:,} new conversations, "
                   f"{summary.new_turns:,} new turns ({summary.format_name})")
        if summary.notes:
            message += "; " + "; ".join(summary.notes[:3]) + (" …" if len(summary.notes) > 3 else "")
        if summary.skipped:
            message += f"; skipped {len(summary.skipped)}"
            box = QMessageBox(QMessageBox.Icon.Information, "Some conversations were skipped", f"{name}:\n" + "\n".join(
                f"{title}: {reason}" for title, reason in summary.skipped[:20]), parent=self)
            box.setTextFormat(Qt.TextFormat.PlainText)  # titles and names come from the export
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.setObjectName("skippedBox")
            box.show()  # never blocks: the import has finished, this only reports
        self.notify(message, 8000)
        if first_ids:
            self._import_new = first_ids[0]

    def _ask_speaker(self, path: str, logs: list[SpeakerLog]) -> None:
        """Who is the user, log by log; cancelling imports nothing of that file."""
        from scallop_curator.importers import ImportOptions
        from scallop_curator.ui.speaker_dialog import SpeakerDialog

        dialog = SpeakerDialog(self, Path(path).name, logs)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.import_files([Path(path)], ImportOptions(user_by_log=dialog.choices()))

    def _import_finished(self, status: str) -> None:
        if not self.controller.busy:
            self._show_progress(False)
        if status == "cancelled":
            self.notify("Import cancelled; nothing of the unfinished file was kept.", 5000)
        self.review.reload()
        if self._import_new:
            self.select_conversation(self._import_new)
        else:
            self.review.select_first_if_none()
        self._update_status()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.import_files(files))
