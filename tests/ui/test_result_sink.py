"""Each extraction result is committed on the extraction thread, through its own connection,
before the window hears of it: the commit's fsync never runs on the UI thread."""

from __future__ import annotations

import threading
from pathlib import Path

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.domain.results import RunInfo
from scallop_curator.extraction.client import ModelSpec, WorkerClient
from scallop_curator.settings import EngineSettings
from scallop_curator.store import Store
from scallop_curator.ui.extraction_controller import ExtractionController, ResultSink

from helpers import import_and_wait


def test_results_are_stored_off_the_ui_thread_before_the_window_hears_of_them(
        qtbot, open_window, sample_export: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    storing_threads: list[str] = []
    real_record = Store.record_result

    def record(store: Store, *args, **kwargs):  # type: ignore[no-untyped-def]
        storing_threads.append(threading.current_thread().name)
        return real_record(store, *args, **kwargs)

    monkeypatch.setattr(Store, "record_result", record)
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    conversation = next(s for s in window.store.conversations() if s.title == "Dutch B1 study plan")
    window.select_conversation(conversation.id)
    seen: list[tuple[int, bool]] = []
    # When the window hears of a result, the window's own connection already reads it.
    window.controller.resultReady.connect(lambda result: seen.append(
        (result.turn_index, result.turn_index in window.store.extracted_turn_indexes(result.conversation_id))))
    with qtbot.waitSignal(window.controller.finished, timeout=60_000) as finished:
        window.extraction.extract_current()
    assert finished.args == ["done"]
    assert len(seen) == 4 and all(stored for _turn, stored in seen), seen
    assert storing_threads == ["extraction"] * 4
    assert window.proposals.rowCount() == 3


def test_a_result_that_cannot_be_stored_is_reported_and_the_job_goes_on(qtbot, tmp_path: Path,
                                                                          demo_model: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "memories.db"
    store = Store(db)
    info = RunInfo(model="fake", prompt_version="test")
    run_id = store.start_run(info)
    controller = ExtractionController(WorkerClient(engine_factory="fake_engine:make_engine"))
    try:
        not_stored: list[tuple[int, str]] = []
        ready: list[int] = []
        controller.resultNotStored.connect(lambda result, message: not_stored.append((result.turn_index, message)))
        controller.resultReady.connect(lambda result: ready.append(result.turn_index))
        idle_when_finished: list[bool] = []  # "finished" means the next start is accepted
        controller.finished.connect(lambda _status: idle_when_finished.append(not controller.busy))
        cases = [ExtractionCase(conversation_id="nowhere", turn_index=i, context=None, message=f"I live in Rotterdam {i}")
                 for i in range(2)]
        with qtbot.waitSignal(controller.finished, timeout=60_000) as finished:
            controller.start(ModelSpec(str(demo_model), None, EngineSettings()), cases, ResultSink(db, run_id, info))
        assert finished.args == ["done"] and idle_when_finished == [True]
        assert ready == []
        assert [turn for turn, _ in not_stored] == [0, 1]
        assert all(message for _, message in not_stored)
    finally:
        controller.shutdown()
        store.close()


def test_the_import_and_extraction_threads_claim_no_undo_session(
        qtbot, open_window, sample_export: Path) -> None:  # type: ignore[no-untyped-def]
    """Their connections only import and store results: a session of their own would adopt an
    earlier window's undo history (the latest one no live connection holds)."""
    window = open_window()
    import_and_wait(qtbot, window, sample_export)
    conversation = next(s for s in window.store.conversations() if s.title == "Dutch B1 study plan")
    window.select_conversation(conversation.id)
    with qtbot.waitSignal(window.controller.finished, timeout=60_000):
        window.extraction.extract_current()
    origins = [row[0] for row in window.store.db.execute("SELECT origin FROM sessions").fetchall()]
    assert origins == [window.store.origin]
