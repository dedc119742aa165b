"""An export on a background thread with its own store connection, so the window stays responsive
while Open WebUI answers a request per memory (or does not answer at all).

Signals:
    progress(int, int): memories done, memories in all.
    done(str): one line saying what was exported.
    failed(str): a plain message (unreachable server, refused key, locked store, unwritable file).
    cancelled(str): the user stopped it; what was sent stays sent.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from scallop_curator.exporters import ExportCancelled, ExportError
from scallop_curator.exporters.run import ExportRequest, export
from scallop_curator.store import Store, StoreError
from scallop_curator.ui.relay import UiRelay

log = logging.getLogger("ui")


class ExportJob(UiRelay):
    progress = Signal(int, int)
    done = Signal(str)
    failed = Signal(str)
    cancelled = Signal(str)
    crashed = Signal(object)

    def __init__(self, db_path: Path, request: ExportRequest, parent: QObject | None = None) -> None:
        """``parent``: a Qt owner, so that the thread dropping its last reference never destroys it there."""
        super().__init__(parent)
        self._db_path = db_path
        self._request = request
        self._stop = threading.Event()
        self._ended = threading.Event()  # set just before the end is posted: from then on not ``running``
        self._thread = threading.Thread(target=self._run, name="export", daemon=True)
        self.crashed.connect(self._reraise)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        """Stop before the next memory; the request in flight finishes (or times out) first."""
        self._stop.set()

    @property
    def running(self) -> bool:
        """Started and its end not yet posted. (Not the thread's life: the dialog hears the end
        while the thread is still returning, and Export pressed then must start a new job.)"""
        return self._thread.is_alive() and not self._ended.is_set()

    def wait(self, seconds: float) -> bool:
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def _end(self, signal_name: str, value: object) -> None:
        self._ended.set()
        self.post(signal_name, value)

    def _run(self) -> None:
        try:
            store = Store(self._db_path, session=False)
        except StoreError as error:
            self._end("failed", str(error))
            return
        except Exception as error:  # noqa: BLE001 - a bug: raised again on the UI thread, for the crash dialog
            self._end("crashed", error)
            return
        try:
            message = export(store, self._request, progress=lambda done, total: self.post("progress", done, total),
                             should_stop=self._stop.is_set)
            ending: tuple[str, object] = ("done", message)
        except ExportCancelled as stopped:
            ending = ("cancelled", str(stopped))
        except (ExportError, StoreError) as error:
            log.warning("export failed: %s", error)
            ending = ("failed", str(error))
        except Exception as error:  # noqa: BLE001 - a bug: raised again on the UI thread, for the crash dialog
            ending = ("crashed", error)
        finally:
            store.close()
        # Said last, once the store is closed: Export pressed when the dialog hears it starts a new job
        # (it used to be refused, silently, while this thread was still closing the store).
        self._end(*ending)

    @staticmethod
    def _reraise(error: BaseException) -> None:
        raise error
