"""The window's import side: open, drop, background import with progress, who-is-the-user. It owns
the background ``ImportController``; the window only forwards File → Open and dropped files. It is
handed what it works with (settings, its progress parts in the status bar, the operations runner, the
review controller), never the window itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QMessageBox, QProgressBar, QWidget

from scallop_curator.ui import plain
from scallop_curator.ui.widgets import set_progress

if TYPE_CHECKING:
    from scallop_curator.importers import ImportOptions
    from scallop_curator.importers.speakers import SpeakerLog
    from scallop_curator.settings import Settings
    from scallop_curator.store import ImportSummary
    from scallop_curator.ui.operations_runner import OperationsRunner
    from scallop_curator.ui.review_controller import ReviewController

EXPORT_FILTER = "Chat exports (*.json *.jsonl *.zip *.txt *.html *.db);;All files (*)"

#: Files done within this long reach the views in one re-read (a drop of 300 small transcripts is
#: not 300 re-reads of the conversation list).
PUBLISH_MS = 300


@dataclass(frozen=True)
class ImportProgress:
    """The import's own progress parts in the status bar (an extraction has its own beside them:
    importing another export during a long extraction shows both, and each Cancel stops its own)."""

    label: QLabel
    bar: QProgressBar
    show: Callable[[bool], None]


class ImportActions(QObject):
    """Imports for one window: its settings remember the last folder, its status bar shows the
    progress, its review page shows what came in."""

    def __init__(self, parent: QWidget, store_path: Path, settings: Settings, progress: ImportProgress,
                 ops: OperationsRunner, review: ReviewController, notify: Callable[[str, int], None],
                 status_changed: Callable[[], None], writer: str | None = None) -> None:
        from scallop_curator.ui.import_controller import ImportController

        super().__init__(parent)
        self._parent = parent  # dialogs and messages open over it
        self.settings = settings
        self.progress = progress
        self.ops = ops
        self.review = review
        self.notify = notify
        self._status_changed = status_changed
        self.importer = ImportController(store_path, writer, self)
        self._import_new: str | None = None  # the first conversation of the last file imported
        self._stale = False  # the import thread committed or took back what the views have not heard of
        self._publish_timer = QTimer(self, singleShot=True, interval=PUBLISH_MS)
        self._publish_timer.timeout.connect(self._publish)
        self.importer.progress.connect(self._import_progress)
        self.importer.fileDone.connect(self._import_done)
        self.importer.fileFailed.connect(self._file_failed)
        self.importer.needsSpeaker.connect(self._ask_speaker)
        self.importer.finished.connect(self._import_finished)

    def open_dialog(self) -> None:
        start = self.settings.last_export or str(Path.home())
        names, _ = QFileDialog.getOpenFileNames(self._parent, "Open chat export", start, EXPORT_FILTER)
        if names:
            self.import_files([Path(n) for n in names])

    def import_files(self, files: list[Path], options: ImportOptions | None = None) -> None:
        """Import in the background; each file is one transaction, so a bad one changes nothing."""
        from scallop_curator.settings import SettingsError

        if not files:
            return
        self._import_new = None
        self.importer.start([Path(f) for f in files], options)
        QTimer.singleShot(500, self, self._show_import_progress)  # only slow work shows progress
        settings = self.settings
        settings.last_export = str(Path(files[-1]).resolve().parent)
        try:
            settings.save()
        except SettingsError as problem:  # a full disk: the import goes on, the folder is not remembered
            self.notify(str(problem), 10000)

    def _show_import_progress(self) -> None:
        if self.importer.busy:
            self.progress.show(True)
            set_progress(self.progress.bar, 0, maximum=0)  # busy

    def _import_progress(self, name: str, done: int, total: int) -> None:
        if total:
            set_progress(self.progress.bar, done, maximum=total)
            self.progress.label.setText(f"importing {name} · {done:,}/{total:,} conversations")
        else:
            self.progress.label.setText(f"reading {name}")

    def _import_done(self, summary: ImportSummary, first_ids: list[str]) -> None:
        name = Path(summary.source).name
        message = (f"{name}: {summary.new_conversations:,} new conversations, "
                   f"{summary.new_turns:,} new turns ({summary.format_name})")
        if summary.notes:
            message += "; " + "; ".join(summary.notes[:3]) + (" …" if len(summary.notes) > 3 else "")
        if summary.skipped:
            message += f"; skipped {len(summary.skipped)}"
            box = QMessageBox(QMessageBox.Icon.Information, "Some conversations were skipped", f"{name}:\n" + "\n".join(
                f"{title}: {reason}" for title, reason in summary.skipped[:20]), parent=self._parent)
            box.setTextFormat(Qt.TextFormat.PlainText)  # titles and names come from the export
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.setObjectName("skippedBox")
            box.show()  # never blocks: the import has finished, this only reports
        self.notify(message, 8000)
        if first_ids:
            self._import_new = first_ids[0]
        # Each file's conversations show as soon as it is in, not when the last queued file is.
        self._publish_soon()

    def _file_failed(self, message: str) -> None:
        self._publish_soon()  # its batches may have shown before it was taken back
        plain.warning(self._parent, "Could not import", message)

    def _publish_soon(self) -> None:
        """The views hear of it within PUBLISH_MS, together with whatever else is done by then."""
        self._stale = True
        if not self._publish_timer.isActive():
            self._publish_timer.start()

    def _publish(self) -> None:
        """What the import thread committed reaches every view as Changes (the memories view's
        source list too), as any other change does."""
        from scallop_curator.store.changes import Changes

        self._publish_timer.stop()
        self._stale = False
        self.ops.publish(Changes(imported=True))

    def _ask_speaker(self, path: str, logs: list[SpeakerLog]) -> None:
        """Who is the user, log by log; cancelling imports nothing of that file."""
        from scallop_curator.importers import ImportOptions
        from scallop_curator.ui.speaker_dialog import SpeakerDialog

        dialog = SpeakerDialog(self._parent, Path(path).name, logs)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.import_files([Path(path)], ImportOptions(user_by_log=dialog.choices()))

    def _import_finished(self, status: str) -> None:
        self.progress.show(False)
        if status == "cancelled":
            self.notify("Import cancelled; nothing of the unfinished file was kept.", 5000)
        if self._stale or status == "cancelled":  # a cancelled file's batches may have shown
            self._publish()
        if self._import_new:
            self.review.select_conversation(self._import_new)
        else:
            self.review.select_first_if_none()
        self._status_changed()
