"""Drives the worker process from the app: start it with ``spawn``, load, extract, cancel,
and survive it dying. Blocking calls; the UI runs them on a background thread."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.domain.results import TurnResult
from scallop_curator.settings import EngineSettings

log = logging.getLogger("engine")

CANCEL_GRACE_S = 0.8


class WorkerCrashed(Exception):
    """The model process died. Decisions are safe; the next job restarts it."""


class Cancelled(Exception):
    """The user cancelled. Never shown as an error."""


class EngineError(Exception):
    """An expected failure (the model cannot load, no model), phrased for the user."""


@dataclass(frozen=True)
class ModelSpec:
    model_path: str
    prompt_path: str | None
    settings: EngineSettings
    reuse_prefix: bool = True


def _signal_name(exitcode: int | None) -> str:
    if exitcode is None or exitcode >= 0:
        return f"exit code {exitcode}"
    try:
        return signal.Signals(-exitcode).name
    except ValueError:
        return f"signal {-exitcode}"


class WorkerClient:
    def __init__(self, engine_factory: str | None = None) -> None:
        self._ctx = mp.get_context("spawn")  # forking a process that has Qt loaded is unsafe
        self._engine_factory = engine_factory
        self._process: Any = None
        self._conn: Any = None
        self._cancel = self._ctx.Event()
        self._cancel_requested_at: float | None = None
        self.loaded: ModelSpec | None = None

    # ------------------------------------------------------------ lifecycle
    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _start(self) -> None:
        from scallop_curator.extraction import worker

        self._forget_process()  # a worker that died while idle: release its handles first
        parent = child = None
        try:
            parent, child = self._ctx.Pipe()
            # The same cancel event serves every worker: a cancel pressed during a restart still counts.
            process = self._ctx.Process(
                target=worker.serve, args=(child, self._cancel, self._engine_factory, os.getpid()), daemon=True,
                name="scallop-model",
            )
            process.start()
        except OSError as error:  # no memory, too many processes or open files: say so, leave nothing half-made
            if parent is not None:
                parent.close()
            log.error("could not start the model process: %s", error)
            raise EngineError(f"The model process could not be started: {error.strerror or error}.") from error
        finally:
            if child is not None:
                child.close()
        self._process = process
        self._conn = parent
        self.loaded = None

    def shutdown(self, timeout: float = 3.0) -> None:
        """Stop the worker, politely then by force; safe to call at any time, also when the
        worker never started or already died."""
        process, conn = self._process, self._conn
        if process is None:
            self._forget_process()
            return
        if conn is not None:
            try:
                conn.send({"kind": "shutdown"})
            except (OSError, ValueError):
                pass
        try:
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join(1)
        except (OSError, ValueError, AssertionError):  # a handle that never started or is closed
            pass
        self._forget_process()

    def _forget_process(self) -> None:
        """Release the dead or killed worker's pipe and process handles (no descriptor leaks)."""
        for handle in (self._conn, self._process):
            try:
                if handle is not None:
                    handle.close()
            except (OSError, ValueError):
                pass
        self._conn = None
        self._process = None
        self.loaded = None

    def kill(self) -> None:
        """Used by cancel when the worker is stuck inside native code."""
        if self._process is not None and self._process.is_alive():
            self._process.kill()
            self._process.join(2)

    # ------------------------------------------------------------ jobs
    def cancel(self) -> None:
        """Thread-safe. The running job ends within a second, by choice or by force.

        A cancel stays pending until a job consumes it (by ending as cancelled) or the owner
        calls :meth:`reset_cancel` before starting a new job; load and extract never drop it.
        """
        self._cancel_requested_at = time.monotonic()
        self._cancel.set()

    def reset_cancel(self) -> None:
        self._cancel.clear()
        self._cancel_requested_at = None

    def _cancelled(self) -> Cancelled:
        self.reset_cancel()
        return Cancelled()

    def load(self, spec: ModelSpec) -> None:
        if self.loaded == spec and self.alive:
            return
        if not self.alive:
            self._start()
        self._conn.send({"kind": "load", "model_path": spec.model_path, "prompt_path": spec.prompt_path,
                         "settings": spec.settings.model_dump(), "reuse_prefix": spec.reuse_prefix})
        reply = self._receive()
        if reply["kind"] == "load_failed":
            self.loaded = None
            raise EngineError(reply["message"])
        self.loaded = spec

    def extract(self, spec: ModelSpec, cases: list[ExtractionCase],
                on_result: Callable[[TurnResult], None]) -> None:
        """Run cases in order, calling ``on_result`` for each. Raises Cancelled or WorkerCrashed."""
        self.load(spec)
        self._conn.send({"kind": "extract", "cases": [c.model_dump() for c in cases]})
        while True:
            reply = self._receive()
            if reply["kind"] == "result":
                on_result(TurnResult.model_validate(reply["result"]))
            elif reply["kind"] == "finished":
                return
            elif reply["kind"] == "cancelled":
                raise self._cancelled()
            elif reply["kind"] == "error":
                raise EngineError(reply["message"])

    def _receive(self) -> dict[str, Any]:
        while True:
            if self._conn.poll(0.05):
                try:
                    return self._conn.recv()
                except (EOFError, OSError):
                    pass
            if self._cancel_requested_at is not None and time.monotonic() - self._cancel_requested_at > CANCEL_GRACE_S:
                # Stuck in a long native call (prompt evaluation): stop it the hard way.
                log.info("worker did not stop within %.1f s of cancel; restarting it", CANCEL_GRACE_S)
                self.kill()
                self._forget_process()
                raise self._cancelled()
            if not self._process.is_alive():
                code = self._process.exitcode
                self._forget_process()
                raise WorkerCrashed(
                    f"The model process stopped unexpectedly ({_signal_name(code)}). "
                    "Your decisions are saved; the model will be loaded again for the next extraction."
                )
