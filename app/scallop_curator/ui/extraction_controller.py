"""Runs extraction jobs on one long-lived background thread that drives the worker process,
and re-emits what happens as Qt signals on the UI thread.

Signals:
    modelState(str): "not loaded", "loading", "ready", "extracting", "restarting".
    progress(int, int, float): turns done, turns in the job, seconds left (-1 unknown).
    resultReady(object): a TurnResult, delivered on the UI thread (already stored, for a job
        started with a ``ResultSink``).
    resultNotStored(object, str): a TurnResult the sink could not store, and why.
    finished(str): "done", "cancelled" or "failed".
    failed(str): a plain message for an expected failure (crash, unloadable model).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.extraction.client import (
    Cancelled,
    EngineError,
    ModelSpec,
    WorkerClient,
    WorkerCrashed,
)
from scallop_curator.store import Store, StoreError
from scallop_curator.ui.relay import UiRelay

log = logging.getLogger("ui")


@dataclass(frozen=True)
class ResultSink:
    """Where a job's results are stored: on the extraction thread, through its own connection, so
    that the commit (an fsync: tens of ms on a busy disk) never runs on the UI thread."""

    db_path: Path
    run_id: int
    info: RunInfo
    #: The window store's writer tag: its commits are the window's own, not another program's.
    writer: str | None = None


@dataclass
class _Job:
    spec: ModelSpec
    cases: list[ExtractionCase]
    number: int
    sink: ResultSink | None = None


class ExtractionController(UiRelay):
    modelState = Signal(str)
    progress = Signal(int, int, float)
    resultReady = Signal(object)
    resultNotStored = Signal(object, str)
    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, client: Any = None, parent: QObject | None = None) -> None:
        """``parent``: a Qt owner, so that the thread dropping its last reference never destroys it there."""
        super().__init__(parent)
        self.client = client or WorkerClient()
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._pending = 0  # jobs queued or running
        self._last_job = 0
        self._cancelled_upto = 0  # every job numbered up to this was cancelled
        self._store: Store | None = None  # the sinks' connection, used on the extraction thread only
        self._thread = threading.Thread(target=self._loop, name="extraction", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._pending > 0

    def start(self, spec: ModelSpec, cases: list[ExtractionCase], sink: ResultSink | None = None) -> None:
        with self._lock:
            self._pending += 1
            self._last_job += 1
            job = _Job(spec, cases, self._last_job, sink)
        self._jobs.put(job)

    def use_client(self, client: Any) -> None:
        """Switch backend (local worker or server); only between jobs."""
        if self.busy:
            raise RuntimeError("cannot switch the model backend during an extraction")
        self.client.shutdown()
        self.client = client

    def cancel(self) -> None:
        """Cancel the running job and any queued ones; a job not yet started never starts."""
        with self._lock:
            if self._pending == 0:
                return
            self._cancelled_upto = self._last_job
        self.client.cancel()

    def shutdown(self) -> None:
        """Cancel, stop the thread and the worker process; called on quit."""
        self.cancel()
        self._jobs.put(None)
        self._thread.join(5)
        self.client.shutdown()

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                if self._store is not None:
                    self._store.close()
                return
            try:
                status = self._run(job)
            except Exception:  # a bug here must not kill the thread silently
                log.exception("extraction job failed")
                self.post("failed", "Extraction stopped because of an internal error; see the log.")
                status = "failed"
            with self._lock:
                self._pending -= 1
            # after the count: whoever hears "finished" finds the controller idle (and may start again)
            self.post("finished", status)

    def _run(self, job: _Job) -> str:
        """Run one job; how it ended: "done", "cancelled" or "failed"."""
        total = len(job.cases)
        done = 0
        started = time.monotonic()

        def on_result(result: TurnResult) -> None:
            nonlocal done
            done += 1
            problem = self._record(job.sink, result) if job.sink is not None else None
            if problem is None:
                self.post("resultReady", result)
            else:
                self.post("resultNotStored", result, problem)
            elapsed = time.monotonic() - started
            self.post("progress", done, total, elapsed / done * (total - done))

        self.client.reset_cancel()  # a stale cancel from an earlier job must not stop this one
        try:
            with self._lock:
                if job.number <= self._cancelled_upto:  # cancelled while it waited in the queue
                    raise Cancelled()
            if self.client.loaded != job.spec or not self.client.alive:
                self.post("modelState", "loading")
            self.client.load(job.spec)
            self.post("modelState", "extracting")
            self.post("progress", 0, total, -1.0)
            self.client.extract(job.spec, job.cases, on_result)
        except Cancelled:
            self.post("modelState", "ready" if self.client.alive else "not loaded")
            return "cancelled"
        except WorkerCrashed as crash:
            self.post("modelState", "not loaded")
            self.post("failed", str(crash))
            return "failed"
        except EngineError as error:
            self.post("modelState", "not loaded")
            self.post("failed", str(error))
            return "failed"
        self.post("modelState", "ready")
        return "done"

    def _record(self, sink: ResultSink, result: TurnResult) -> str | None:
        """Store one result through this thread's connection; the reason when it could not be."""
        try:
            if self._store is None or self._store.path != sink.db_path or (
                    sink.writer is not None and self._store.writer != sink.writer):
                if self._store is not None:
                    self._store.close()
                    self._store = None
                # A helper connection: no undo session of its own, the window's writer tag.
                self._store = Store(sink.db_path, session=False, writer=sink.writer)
            self._store.record_result(sink.run_id, sink.info, result)
        except (StoreError, KeyError) as error:
            log.warning("could not store result for turn %s: %s", result.turn_index, error)
            return str(error)
        return None
