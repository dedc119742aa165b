"""The worker process with the real demo model: results, cancel, surviving a crash,
and plain errors for files that are not models."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.domain.results import TurnResult
from scallop_curator.extraction.client import Cancelled, EngineError, ModelSpec, WorkerClient, WorkerCrashed
from scallop_curator.extraction.model_file import ModelFileProblem, check_gguf
from scallop_curator.settings import EngineSettings

pytestmark = pytest.mark.model

MESSAGES = [
    "I moved to Porto last month and I work as a nurse at the city hospital.",
    "My sister Ana lives in Lisbon with her two kids.",
    "I'm allergic to peanuts, so please never suggest recipes with them.",
    "I prefer tea over coffee these days.",
    "We are building a garden shed this summer, my brother and I.",
    "My cat Miso is three years old.",
]


def cases(n: int) -> list[ExtractionCase]:
    return [ExtractionCase(conversation_id="worker-test", turn_index=2 * i, context="Tell me more." if i else None,
                           message=MESSAGES[i % len(MESSAGES)]) for i in range(n)]


@pytest.fixture(scope="module")
def spec(demo_model: Path) -> ModelSpec:
    return ModelSpec(str(demo_model), None, EngineSettings(seed=0, n_threads=1))  # robust on a loaded machine


@pytest.fixture(scope="module")
def client(spec: ModelSpec):  # type: ignore[no-untyped-def]
    worker = WorkerClient()
    worker.load(spec)
    yield worker
    worker.shutdown()


class Background:
    """Runs client.extract on a thread, as the window does, and records what happened when."""

    def __init__(self, client: WorkerClient, spec: ModelSpec, work: list[ExtractionCase]) -> None:
        self.results: list[TurnResult] = []
        self.first = threading.Event()
        self.error: BaseException | None = None
        self.ended_at: float | None = None
        self.thread = threading.Thread(target=self._run, args=(client, spec, work), daemon=True)
        self.thread.start()

    def _run(self, client: WorkerClient, spec: ModelSpec, work: list[ExtractionCase]) -> None:
        def on_result(result: TurnResult) -> None:
            self.results.append(result)
            self.first.set()

        try:
            client.extract(spec, work, on_result)
        except BaseException as error:  # noqa: BLE001 - the test inspects it
            self.error = error
        finally:
            self.ended_at = time.monotonic()
            self.first.set()

    def join(self, timeout: float) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "extract did not return"


def test_extracts_a_conversation_in_order(client: WorkerClient, spec: ModelSpec) -> None:
    work = cases(2)
    results: list[TurnResult] = []
    client.extract(spec, work, results.append)
    assert [(r.conversation_id, r.turn_index) for r in results] == [("worker-test", 0), ("worker-test", 2)]
    assert all(r.parse_ok and r.error is None for r in results)
    assert client.alive and client.loaded == spec


def test_cancel_raises_cancelled(client: WorkerClient, spec: ModelSpec) -> None:
    job = Background(client, spec, cases(6))
    assert job.first.wait(120), "no first result"
    assert job.error is None
    client.cancel()
    job.join(300)
    assert isinstance(job.error, Cancelled), job.error
    assert len(job.results) < 6  # the cancel ended the job, not the end of the work (latency: benchmarks)
    # the next job runs normally (on the same worker or a restarted one)
    results: list[TurnResult] = []
    client.extract(spec, cases(1), results.append)
    assert len(results) == 1 and results[0].parse_ok


def test_killed_worker_raises_worker_crashed_then_restarts(client: WorkerClient, spec: ModelSpec) -> None:
    client.load(spec)
    old_pid = client.pid
    assert old_pid is not None
    job = Background(client, spec, cases(6))
    assert job.first.wait(120), "no first result"
    os.kill(old_pid, signal.SIGKILL)
    job.join(10)
    assert isinstance(job.error, WorkerCrashed), job.error
    message = str(job.error)
    assert "SIGKILL" in message and "decisions are saved" in message
    assert "\n" not in message and "Traceback" not in message
    assert not client.alive and client.loaded is None

    results: list[TurnResult] = []
    client.extract(spec, cases(1), results.append)
    assert len(results) == 1 and results[0].parse_ok
    assert client.alive and client.pid != old_pid


def test_file_that_is_not_a_model_gives_plain_errors(tmp_path: Path) -> None:
    readme = Path(__file__).resolve().parents[1] / "README.md"
    if not readme.exists():
        readme = tmp_path / "README.md"
        readme.write_text("# not a model\n", encoding="utf-8")
    missing = tmp_path / "nowhere.gguf"

    with pytest.raises(ModelFileProblem, match="is not a GGUF model file"):
        check_gguf(readme)
    with pytest.raises(ModelFileProblem, match="does not exist"):
        check_gguf(missing)

    worker = WorkerClient()
    try:
        with pytest.raises(EngineError) as not_gguf:
            worker.load(ModelSpec(str(readme), None, EngineSettings()))
        assert str(readme) in str(not_gguf.value) and "Traceback" not in str(not_gguf.value)
        with pytest.raises(EngineError) as absent:
            worker.load(ModelSpec(str(missing), None, EngineSettings()))
        assert str(missing) in str(absent.value) and "Traceback" not in str(absent.value)
        assert worker.alive and worker.loaded is None  # a failed load does not kill the worker
    finally:
        worker.shutdown()
