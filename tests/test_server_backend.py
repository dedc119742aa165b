"""The server backend. Fast tests run against a small fake OpenAI-compatible server in a thread;
the ``model`` tests start a real one (llama-cpp-python's server with the SmolLM2 demo model)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.domain.results import TurnResult
from scallop_curator.extraction.client import Cancelled, EngineError, ModelSpec
from scallop_curator.extraction.server_client import (
    FORMAT_LEVELS,
    ServerClient,
    ServerError,
    ServerStopped,
    remaining_cases,
)
from scallop_curator.importers import load_export
from scallop_curator.settings import EngineSettings

SPEC = ModelSpec("", None, EngineSettings())
ANSWER = '{"facts": [{"content": "Lives in Porto", "subject": "user", "category": "location", "confidence": 0.9, ' \
         '"action": "fact", "old_value": null, "replaces": null}]}'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cases_of(n: int) -> list[ExtractionCase]:
    return [ExtractionCase(conversation_id="c", turn_index=i, context=None, message=f"turn {i}") for i in range(n)]


# ---------------------------------------------------------------- a fake server
class Fake:
    """Answers /v1/models and /v1/chat/completions; ``reply(body)`` -> (status, json or text)."""

    def __init__(self, reply: Callable[[dict[str, Any]], tuple[int, Any]], models: Any = None,
                 key: str | None = None) -> None:
        self.reply = reply
        self.models = {"object": "list", "data": [{"id": "fake-model"}]} if models is None else models
        self.key = key
        self.bodies: list[dict[str, Any]] = []
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: Any) -> None:
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool:
                if fake.key and self.headers.get("Authorization") != f"Bearer {fake.key}":
                    self._send(401, {"error": {"message": "Invalid API key"}})
                    return False
                return True

            def do_GET(self) -> None:
                if not self._authorized():
                    return
                if self.path == "/v1/models" and fake.models != 404:
                    self._send(200, fake.models)
                else:
                    self._send(404, "<html>not found</html>")

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not self._authorized():
                    return
                with fake.lock:
                    fake.bodies.append(body)
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    status, payload = fake.reply(body)
                finally:
                    with fake.lock:
                        fake.in_flight -= 1
                try:
                    self._send(status, payload)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def completion(content: str, finish: str = "stop") -> dict[str, Any]:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 300, "completion_tokens": 40}}


@pytest.fixture
def fake_server() -> Iterator[Callable[..., Fake]]:
    made: list[Fake] = []

    def make(*args: Any, **kwargs: Any) -> Fake:
        made.append(Fake(*args, **kwargs))
        return made[-1]

    yield make
    for fake in made:
        fake.close()


def run(client: ServerClient, cases: list[ExtractionCase]) -> list[TurnResult]:
    results: list[TurnResult] = []
    client.extract(SPEC, cases, results.append)
    return results


def test_results_arrive_in_case_order_though_requests_run_concurrently(fake_server: Callable[..., Fake]) -> None:
    def reply(body: dict[str, Any]) -> tuple[int, Any]:
        turn = int(body["messages"][-1]["content"].rsplit("turn ", 1)[1].split()[0])
        time.sleep(0.4 if turn == 0 else 0.05)  # the first turn finishes last
        return 200, completion(ANSWER)

    fake = fake_server(reply)
    results = run(ServerClient(fake.url, concurrency=3), cases_of(6))
    assert [r.turn_index for r in results] == list(range(6))
    assert all(r.parse_ok and r.facts[0].content == "Lives in Porto" and r.latency_ms > 0 for r in results)
    assert fake.max_in_flight == 3
    body = fake.bodies[0]
    assert body["model"] == "fake-model" and body["temperature"] == 0
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["properties"]["facts"]["maxItems"] == 4
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


def test_a_rejected_response_format_falls_back_and_is_remembered(fake_server: Callable[..., Fake]) -> None:
    def reply(body: dict[str, Any]) -> tuple[int, Any]:
        if "response_format" in body:
            return 400, {"error": {"message": "response_format is not supported"}}
        return 200, completion(ANSWER)

    fake = fake_server(reply)
    client = ServerClient(fake.url)
    assert all(r.parse_ok for r in run(client, cases_of(2)))
    assert FORMAT_LEVELS[client.format_level] == "none"
    sent = len(fake.bodies)
    run(client, cases_of(1))
    assert len(fake.bodies) == sent + 1 and "response_format" not in fake.bodies[-1]


def test_a_bad_answer_is_recorded_on_the_turn_and_think_text_is_stripped(fake_server: Callable[..., Fake]) -> None:
    answers = iter(["<think>the user lives in Porto</think>\n" + ANSWER, "Sure! Here are the facts.", '{"facts": [{'])
    fake = fake_server(lambda body: (200, completion(next(answers))))
    first, second, third = run(ServerClient(fake.url), cases_of(3))
    assert first.parse_ok and first.facts[0].content == "Lives in Porto"
    assert not second.parse_ok and second.error == "the model wrote no JSON"
    assert not third.parse_ok and "incomplete or broken" in (third.error or "")


def test_a_wrong_address_fails_plainly() -> None:
    with pytest.raises(EngineError, match="Nothing answers at http://127.0.0.1:"):
        ServerClient(f"127.0.0.1:{free_port()}").load(SPEC)


def test_a_wrong_key_and_a_server_that_is_not_openai_compatible(fake_server: Callable[..., Fake]) -> None:
    locked = fake_server(lambda body: (200, completion(ANSWER)), key="sesame")
    with pytest.raises(ServerError, match=r"refused the request \(401\): it needs an API key"):
        ServerClient(locked.url).load(SPEC)
    with pytest.raises(ServerError, match="the API key is wrong"):
        ServerClient(locked.url, api_key="guess").load(SPEC)
    assert len(run(ServerClient(locked.url + "/v1/", api_key="sesame"), cases_of(1))) == 1
    web_page = fake_server(lambda body: (404, "no"), models=404)
    with pytest.raises(ServerError, match="does not look like an OpenAI-compatible server"):
        ServerClient(web_page.url).load(SPEC)
    other = fake_server(lambda body: (404, "no"), models={"hello": "world"})
    with pytest.raises(ServerError, match="not a model list"):
        ServerClient(other.url).load(SPEC)
    with pytest.raises(ServerError, match="has no model 'llama3'; it serves: fake-model"):
        ServerClient(locked.url, api_key="sesame").load(
            ModelSpec("llama3", None, EngineSettings()))


def test_cancel_abandons_requests_in_flight(fake_server: Callable[..., Fake]) -> None:
    answered: list[int] = []

    def slow(body):  # type: ignore[no-untyped-def]
        time.sleep(20)
        answered.append(1)
        return 200, completion(ANSWER)

    fake = fake_server(slow)
    client = ServerClient(fake.url, concurrency=2)
    threading.Timer(0.5, client.cancel).start()
    with pytest.raises(Cancelled):
        run(client, cases_of(4))
    assert answered == []  # it did not wait for the answers in flight (latency: benchmarks)


def test_remaining_cases_skips_turns_already_done() -> None:
    cases = cases_of(5)
    done = [TurnResult(conversation_id="c", turn_index=i, parse_ok=True) for i in (0, 1)]
    assert [c.turn_index for c in remaining_cases(cases, done)] == [2, 3, 4]
    assert [c.turn_index for c in remaining_cases(cases, [("c", 3)])] == [0, 1, 2, 4]


# ---------------------------------------------------------------- a real server
def start_server(model: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", "8192", "--n_threads", "2", "--model_alias", "smollm2", "--verbose", "False"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    pytest.fail("llama_cpp.server did not answer within 90 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="module")
def real_server(demo_model: Path) -> Iterator[str]:
    port = free_port()
    process = start_server(demo_model, port)
    yield f"http://127.0.0.1:{port}"
    stop(process)


@pytest.fixture(scope="module")
def sample_cases() -> list[ExtractionCase]:
    imported = load_export(Path(__file__).resolve().parents[1] / "resources" / "sample" / "conversations.json")
    return [case for conversation in imported.conversations for case in conversation.extraction_cases()]


@pytest.mark.model
def test_a_real_server_gives_results_like_the_local_engine(real_server: str,
                                                           sample_cases: list[ExtractionCase]) -> None:
    client = ServerClient(real_server, concurrency=2)
    cases = sample_cases[:3]
    results = run(client, cases)
    assert client.model_id == "smollm2" and client.alive
    assert [(r.conversation_id, r.turn_index) for r in results] == [(c.conversation_id, c.turn_index) for c in cases]
    for result in results:
        assert isinstance(result, TurnResult)
        assert result.parse_ok, result
        assert result.latency_ms > 0 and result.prompt_tokens > 0 and result.raw_output.lstrip().startswith("{")
    # llama-cpp-python's server does not know json_schema; it takes json_object with a schema.
    assert FORMAT_LEVELS[client.format_level] == "json_object_schema"


@pytest.mark.model
def test_a_server_killed_mid_run_says_so_and_the_run_resumes(demo_model: Path,
                                                             sample_cases: list[ExtractionCase]) -> None:
    port = free_port()
    process = start_server(demo_model, port)
    try:
        client = ServerClient(f"127.0.0.1:{port}", backoff=0.2)
        cases = sample_cases[3:6]
        done: list[TurnResult] = []

        def kill_after_first(result: TurnResult) -> None:
            done.append(result)
            if len(done) == 1:
                process.kill()

        with pytest.raises(ServerStopped, match=rf"The server at http://127.0.0.1:{port} stopped answering "
                                                r"after 1 of 3 turns") as stopped:
            client.extract(SPEC, cases, kill_after_first)
        assert stopped.value.done == 1 and isinstance(stopped.value, EngineError)
        assert not client.alive and len(done) == 1
        process.wait(5)

        process = start_server(demo_model, port)
        client.extract(SPEC, remaining_cases(cases, done), done.append)
        assert [r.turn_index for r in done] == [c.turn_index for c in cases]
        assert all(r.parse_ok for r in done)
    finally:
        stop(process)


@pytest.mark.model
def test_cli_extract_with_server_writes_json_lines(real_server: str, sample_export: Path, tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps(json.loads(sample_export.read_text(encoding="utf-8"))[:1]), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = subprocess.run([sys.executable, "-m", "scallop_curator", "extract", str(one), "--server", real_server,
                           "--concurrency", "2", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, env=os.environ.copy(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = load_export(one).conversations[0].extraction_cases()
    assert [line["turn_index"] for line in lines] == [c.turn_index for c in expected]
    for line in lines:
        assert {"conversation_id", "turn_index", "parse_ok", "facts", "raw_output", "latency_ms"} <= line.keys()
        assert line["parse_ok"] is True and line["latency_ms"] > 0
        assert line["model"] == "smollm2" and line["prompt_version"] == "compact-2"


def test_cli_server_problems_are_one_line(tmp_path: Path, sample_export: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "scallop_curator", "extract", str(sample_export), *args,
                               "--out", str(tmp_path / "out.jsonl")], capture_output=True, text=True, timeout=60,
                              env=os.environ.copy(), cwd=tmp_path)

    refused = cli("--server", f"127.0.0.1:{free_port()}")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines()[-1].startswith("scallop-curator: Nothing answers at http://127.0.0.1:")
    both = cli("--server", "http://localhost:1", "--model", "x.gguf")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
