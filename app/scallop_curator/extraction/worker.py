"""The worker process: owns the model, runs one job at a time, reports by message.

Messages in: ``load`` (model path, prompt path, engine settings), ``extract`` (cases),
``shutdown``. Messages out: ``loaded``, ``load_failed``, ``result``, ``finished``,
``cancelled``, ``error``. Cancel is a shared event, checked between and within turns.

The worker never outlives the app: see :mod:`scallop_curator.extraction.parent_watch`.
"""

from __future__ import annotations

import logging
import os
import traceback
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger("engine")


def serve(conn: Connection, cancel: Any, engine_factory: str | None = None, parent_pid: int | None = None) -> None:
    """Entry point of the spawned process. ``engine_factory`` ("module:function") lets UI tests
    plug in a deterministic engine through the same process machinery. ``parent_pid`` is the
    app's pid: when that process is gone, this one ends at once, even in the middle of a turn."""
    from scallop_curator import paths
    from scallop_curator.extraction.parent_watch import die_with_parent

    paths.make_process_private()  # the prefix-state cache and anything llama.cpp writes
    die_with_parent(parent_pid)
    _lower_priority()
    engine = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        kind = message["kind"]
        if kind == "shutdown":
            return
        if kind == "load":
            engine = None
            try:
                engine = _make_engine(message, engine_factory)
                conn.send({"kind": "loaded"})
            except Exception as error:  # any failure to load becomes a message, not a dead worker
                conn.send({"kind": "load_failed", "message": _describe_load_error(message["model_path"], error)})
        elif kind == "extract":
            if engine is None:
                conn.send({"kind": "error", "message": "No model is loaded."})
                continue
            _run_extract(conn, cancel, engine, message["cases"])


def _lower_priority() -> None:
    """Inference yields the CPU to the window: llama.cpp's threads (created later, inheriting
    this) would otherwise take every core from the UI thread while a turn is evaluated. A headless
    run, with no window to keep fluid, sets SCALLOP_WORKER_NICE=0."""
    try:
        os.nice(int(os.environ.get("SCALLOP_WORKER_NICE", "10")))
    except (AttributeError, OSError, ValueError):  # no nice() on Windows; a refusal costs only fluidity
        pass


def _make_engine(message: dict[str, Any], engine_factory: str | None) -> Any:
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.settings import EngineSettings

    prompt = load_prompt(message.get("prompt_path"))
    settings = EngineSettings.model_validate(message["settings"])
    if engine_factory:
        module_name, _, function = engine_factory.partition(":")
        module = __import__(module_name, fromlist=[function])
        return getattr(module, function)(message["model_path"], prompt, settings)
    from scallop_curator.extraction.engine import LocalEngine

    return LocalEngine(message["model_path"], prompt, settings, reuse_prefix=message.get("reuse_prefix", True))


def _describe_load_error(model_path: str, error: Exception) -> str:
    text = str(error)
    if "Failed to load model" in text or "failed to load" in text.lower():
        return f"llama.cpp could not load {model_path}: the file may be damaged, or of an architecture this build does not know."
    return f"The model {model_path} could not be loaded: {text}"


def _run_extract(conn: Connection, cancel: Any, engine: Any, cases: list[dict[str, Any]]) -> None:
    from scallop_curator.domain.conversation import ExtractionCase
    from scallop_curator.domain.results import TurnResult

    for raw in cases:
        if cancel.is_set():
            conn.send({"kind": "cancelled"})
            return
        case = ExtractionCase.model_validate(raw)
        try:
            result = engine.extract(case, cancel.is_set)
        except Exception as error:  # a failure on one turn is recorded on that turn
            log.exception("extraction failed on turn %s", case.turn_index)
            result = TurnResult(conversation_id=case.conversation_id, turn_index=case.turn_index, parse_ok=False,
                                error=f"the engine failed on this turn: {error}",
                                raw_output=traceback.format_exc(limit=3))
        if cancel.is_set():
            conn.send({"kind": "cancelled"})
            return
        conn.send({"kind": "result", "result": result.model_dump(mode="json")})
    conn.send({"kind": "finished"})
