"""The model's worker runs at a lower scheduling priority than the window, so inference threads
never take a core the UI thread needs."""

from __future__ import annotations

import os

import pytest

from scallop_curator.extraction.client import ModelSpec, WorkerClient
from scallop_curator.settings import EngineSettings


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no process priorities on this platform")
def test_the_worker_is_niced_below_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(os.path.dirname(__file__))
    worker = WorkerClient(engine_factory="fake_engine:make_engine")
    try:
        worker.load(ModelSpec("fake.gguf", None, EngineSettings()))
        assert worker.pid is not None
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) >= min(mine + 10, 19)
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) > mine or mine == 19
    finally:
        worker.shutdown()
