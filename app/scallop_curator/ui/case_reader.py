"""Reads the extraction cases of many conversations on a thread, so that starting an extraction
of a whole history (about 0.1 s of queries and parsing for 2,000 turns) does not stall the window."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal

from scallop_curator.ui.relay import UiRelay

if TYPE_CHECKING:
    from scallop_curator.domain.clock import TimeGrain
    from scallop_curator.domain.extraction_case import ExtractionCase

log = logging.getLogger("ui")


class CaseReader(UiRelay):
    """One read at a time; its result goes to the callback given with it, on the UI thread, unless
    it was cancelled (Cancel, or the window closing) before it arrived."""

    #: A plain message: the store could not be read.
    failed = Signal(str)
    _read = Signal(int, object)  # (generation, cases), posted by the thread
    _not_read = Signal(int, str)

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.reading = False
        self._generation = 0  # a result of an older read than the latest is dropped
        # kept here, not in the thread: the thread must never hold the last reference to a Qt object
        self._then: Callable[[list[ExtractionCase]], None] | None = None
        self._read.connect(self._deliver)
        self._not_read.connect(self._fail)

    def read(self, store_path: Path, conversation_ids: Sequence[str], zone: str | None, grain: TimeGrain,
             only_new: bool, then: Callable[[list[ExtractionCase]], None]) -> None:
        """Read the cases through a connection of the thread's own (a read: no lock is taken)."""
        import sqlite3

        from scallop_curator.store.case_reads import extraction_cases
        from scallop_curator.store.store import BUSY_SECONDS

        self._generation += 1
        generation = self._generation
        self.reading = True
        self._then = then
        ids = list(conversation_ids)
        path = Path(store_path)

        def work() -> None:
            try:
                if not path.is_file():  # moved away meanwhile: an error, not a new empty store
                    raise OSError(f"{path} is not there any more")
                conn = sqlite3.connect(path, timeout=BUSY_SECONDS)
                try:
                    conn.execute("PRAGMA query_only = ON")  # a read: it never writes, even by mistake
                    cases = extraction_cases(conn, ids, zone, grain, only_new)
                finally:
                    conn.close()
            except (sqlite3.Error, OSError) as error:
                log.warning("reading the cases to extract from %s failed: %s", store_path, error)
                self.post("_not_read", generation,
                          f"Could not read the conversations to extract from {store_path}: {error}")
                return
            except Exception:  # a bug: logged, said, and never a read that seems to go on forever
                log.exception("reading the cases to extract from %s failed", store_path)
                self.post("_not_read", generation, f"Could not read the conversations to extract from "
                          f"{store_path} because of an internal error; see the log.")
                return
            self.post("_read", generation, cases)

        threading.Thread(target=work, name="case-reader", daemon=True).start()

    def cancel(self) -> bool:
        """Forget the read under way: its cases start nothing. True when there was one."""
        was_reading = self.reading
        self._generation += 1
        self.reading = False
        self._then = None
        return was_reading

    def _fail(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self.reading = False
        self._then = None
        self.failed.emit(message)

    def _deliver(self, generation: int, cases: list[ExtractionCase]) -> None:
        if generation != self._generation:  # a cancelled read: the callback is a later read's
            return
        then, self._then = self._then, None
        self.reading = False
        if then is not None:
            then(cases)
