"""Imports run on one background thread with their own store connection, so the window stays
responsive while a 200 MB export is read; each file is one transaction, cancel rolls it back.

Signals:
    progress(str, int, int): file name, conversations stored, conversations in the file.
    fileDone(object): an ImportSummary, with the ids of the file's conversations in ``ids``.
    fileFailed(str): a plain message naming the file and what is wrong.
    needsSpeaker(str, list): a multi-speaker file and its logs (``SpeakerLog``); the UI asks who the
        user is in each and imports it again with that choice.
    finished(str): "done" or "cancelled", once the queue is empty.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from scallop_curator.importers import ImportOptions, ImportProblem, load_export
from scallop_curator.importers.speakers import speaker_logs
from scallop_curator.store import ImportCancelled, Store, StoreError
from scallop_curator.ui.relay import UiRelay

log = logging.getLogger("import")

_MULTI_SPEAKER_MARK = b'"dia_id"'


class ImportController(UiRelay):
    progress = Signal(str, int, int)
    fileDone = Signal(object, list)
    fileFailed = Signal(str)
    needsSpeaker = Signal(str, list)
    finished = Signal(str)

    def __init__(self, db_path: Path, writer: str | None = None, parent: QObject | None = None) -> None:
        """``writer``: the window store's writer tag (see ``write_marks``): the import's batches are
        the window's own commits, which it publishes itself, not another program's. ``parent``: a Qt
        owner, so that the thread dropping its last reference never destroys it there."""
        super().__init__(parent)
        self._db_path = db_path
        self._writer = writer
        self._jobs: queue.Queue[tuple[Path, ImportOptions | None] | None] = queue.Queue()
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._pending = 0  # files queued or being imported
        self._cancelled_any = False
        self._thread = threading.Thread(target=self._loop, name="import", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._pending > 0

    def start(self, files: list[Path], options: ImportOptions | None = None) -> None:
        with self._lock:
            self._pending += len(files)
        for file in files:
            self._jobs.put((Path(file), options))

    def cancel(self) -> None:
        """Stop the file being imported (rolled back) and drop the queued ones."""
        if self.busy:
            self._cancel.set()

    def shutdown(self) -> None:
        self.cancel()
        self._jobs.put(None)
        self._thread.join(10)

    def _loop(self) -> None:
        store: Store | None = None
        while True:
            job = self._jobs.get()
            if job is None:
                if store is not None:
                    store.close()
                return
            path, options = job
            try:
                if store is None:
                    # A helper connection: no undo session of its own, the window's writer tag.
                    store = Store(self._db_path, session=False, writer=self._writer)
                self._import_one(store, path, options)
            except Exception:  # a bug must not kill the thread; the user still gets a message
                log.exception("import of %s failed", path)
                self.post("fileFailed", f"{path.name}: importing it failed because of an internal error; see the log.")
            with self._lock:
                self._pending -= 1
                last = self._pending == 0
                cancelled = self._cancel.is_set()
                if last:
                    self._cancel.clear()
            if last:
                self.post("finished", "cancelled" if cancelled else "done")

    def _import_one(self, store: Store, path: Path, options: ImportOptions | None) -> None:
        if self._cancel.is_set():
            return
        try:
            if options is None and _may_be_multi_speaker(path):
                logs = speaker_logs(path)
                if any(len(log.speakers) > 1 for log in logs):
                    self.post("needsSpeaker", str(path), logs)
                    return
            self.post("progress", path.name, 0, 0)
            imported = load_export(path, options)
            summary = store.import_file(
                imported, str(path.resolve()),
                progress=lambda done, total: self.post("progress", path.name, done, total),
                should_stop=self._cancel.is_set,
            )
        except ImportCancelled:
            return
        except (ImportProblem, StoreError) as problem:
            self.post("fileFailed", str(problem))
            return
        self.post("fileDone", summary, [c.id for c in imported.conversations[:1]])


def _may_be_multi_speaker(path: Path) -> bool:
    """Cheap first look, so a 200 MB chat export is not read twice: a LoCoMo log, or a text file
    (a transcript may have named speakers). JSON, zips and databases of other kinds are not."""
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError:  # a folder, or unreadable: the import itself says what is wrong
        return False
    if _MULTI_SPEAKER_MARK in head:
        return True
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return bool(start) and start not in (b"{", b"[", b"<") and not head.startswith((b"PK", b"SQLite format 3"))
