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
    # One thread: llama.cpp's threads spin-wait on each other, which on a shared machine with more
    # busy processes than cores makes a turn ten times slower.
    return ModelSpec(str(demo_model), None, EngineSettings(seed=0, n_threads=1))


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


# -- the worker never outlives the app ----------------------------------------------------------

SCRIPTED = "scripted-engine.gguf"  # the scripted engine (tests/fake_engine.py) reads no model file

PARENT_SCRIPT = """
import sys
from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.extraction.client import ModelSpec, WorkerClient
from scallop_curator.settings import EngineSettings


def main():
    model, engine_factory, report = sys.argv[1:4]
    client = WorkerClient(engine_factory=engine_factory or None)
    spec = ModelSpec(model, None, EngineSettings(seed=0, n_threads=1))
    client.load(spec)
    if report == "loaded":  # the job below takes minutes: the worker is inside it when the parent is killed
        print(client.pid, flush=True)
    cases = [ExtractionCase(conversation_id="orphan", turn_index=2 * i, context=None,
                            message="I moved to Porto last month and I work as a nurse at the city hospital. " * 8)
             for i in range(200)]
    reported = [report == "loaded"]

    def on_result(result):
        if not reported[0]:  # the worker is now in the middle of a long job
            print(client.pid, flush=True)
            reported[0] = True

    client.extract(spec, cases, on_result)
    print("finished", flush=True)


if __name__ == "__main__":  # the worker is spawned: it imports this file again
    main()
"""


def _gone(pid: int) -> bool:
    """Ended: no such process, or a zombie nobody has reaped yet (its parent was killed)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat_file:
            return stat_file.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False


def _kill_parent_during_extraction(tmp_path: Path, model: str, engine_factory: str = "", report: str = "first-result") -> int:
    """Start an app stand-in that runs an extraction through a WorkerClient, kill -9 it once the
    worker has produced a result, and return the worker's pid."""
    import subprocess
    import sys

    script = tmp_path / "parent.py"
    script.write_text(PARENT_SCRIPT, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    parent = subprocess.Popen([sys.executable, str(script), model, engine_factory, report], stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        line = parent.stdout.readline() if parent.stdout else ""
        assert line.strip().isdigit(), f"the parent printed {line!r} instead of the worker's pid"
        worker_pid = int(line)
        assert not _gone(worker_pid)
        if report == "loaded":
            time.sleep(1.0)  # let the parent send the job (killing it earlier would test the idle worker)
        parent.kill()
        parent.wait(30)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(30)
    return worker_pid


def _wait_gone(pid: int, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.1)
    if not _gone(pid):
        os.kill(pid, signal.SIGKILL)  # do not leave it spinning on the test machine
    return False


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kill -9 is POSIX")
def test_worker_ends_when_the_app_is_killed_during_an_extraction(tmp_path: Path, demo_model: Path) -> None:
    worker_pid = _kill_parent_during_extraction(tmp_path, str(demo_model))
    assert _wait_gone(worker_pid), "the worker outlived the killed app"


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kill -9 is POSIX")
def test_worker_busy_in_a_long_turn_ends_with_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scripted engine ignores cancel and sleeps in each turn, like llama.cpp inside a long
    prompt evaluation: the worker's main thread never gets back to its pipe."""
    monkeypatch.setenv("FAKE_ENGINE_DELAY", "600")
    monkeypatch.setenv("FAKE_ENGINE_STUCK", "1")
    worker_pid = _kill_parent_during_extraction(tmp_path, SCRIPTED, "fake_engine:make_engine", "loaded")
    assert _wait_gone(worker_pid), "the worker outlived the killed app"


def test_worker_started_from_a_thread_outlives_that_thread() -> None:
    """The kernel's parent-death signal fires when the *thread* that started the worker ends; the
    worker must tell that apart from the app ending."""
    worker = WorkerClient(engine_factory="fake_engine:make_engine")
    spec = ModelSpec(SCRIPTED, None, EngineSettings())
    try:
        starter = threading.Thread(target=worker.load, args=(spec,))
        starter.start()
        starter.join(60)
        assert worker.alive
        time.sleep(0.5)  # time for a wrongly handled signal to end it
        results: list[TurnResult] = []
        worker.extract(spec, cases(1), results.append)
        assert worker.alive and len(results) == 1
    finally:
        worker.shutdown()


def refuse_new_processes(monkeypatch: pytest.MonkeyPatch, client: WorkerClient) -> None:
    """The system refuses the new process (fork fails with EAGAIN: too many processes)."""
    import errno

    class Refused(client._ctx.Process):  # type: ignore[name-defined,misc]
        def start(self) -> None:
            raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))

    monkeypatch.setattr(client._ctx, "Process", Refused)


def test_closing_after_the_worker_failed_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    worker = WorkerClient(engine_factory="fake_engine:make_engine")
    spec = ModelSpec(SCRIPTED, None, EngineSettings())
    with monkeypatch.context() as patched, pytest.raises(EngineError, match="could not be started") as refused:
        refuse_new_processes(patched, worker)
        worker.load(spec)
    assert "Resource temporarily unavailable" in str(refused.value)
    assert not worker.alive and worker.pid is None
    worker.shutdown()  # was: 'NoneType' object has no attribute 'send'
    worker.shutdown()
    results: list[TurnResult] = []
    try:  # and the next try starts it for real
        worker.extract(spec, cases(1), results.append)
        assert len(results) == 1
    finally:
        worker.shutdown()
