"""How long a cancel takes to end an extraction, now that the tests only check what a cancel does:
the engine (first token refused), the worker process (a real model mid-run) and the server client
(requests in flight abandoned). Targets: engine < 3 s, worker < 2 s, server < 1.5 s.

Usage: python benchmarks/cancel_latency.py [MODEL.gguf]
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _common import model_path, quiet_home, sample_cases

ROUNDS = 5


def engine_cancel(model: str, cases) -> list[float]:  # type: ignore[no-untyped-def]
    from scallop_curator.extraction.engine import LocalEngine
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.settings import EngineSettings

    engine = LocalEngine(model, load_prompt(), EngineSettings(seed=0))
    times = []
    for case in cases[:ROUNDS]:
        started = time.perf_counter()
        engine.extract(case, lambda: True)
        times.append(time.perf_counter() - started)
    engine.llm.close()
    return times


def worker_cancel(model: str, cases) -> list[float]:  # type: ignore[no-untyped-def]
    from scallop_curator.extraction.client import Cancelled, ModelSpec, WorkerClient
    from scallop_curator.settings import EngineSettings

    spec = ModelSpec(model, None, EngineSettings(seed=0))
    client = WorkerClient()
    client.load(spec)
    times = []
    for _ in range(ROUNDS):
        first = threading.Event()
        ended: list[float] = []

        def work() -> None:
            try:
                client.extract(spec, cases, lambda _result: first.set())
            except Cancelled:
                pass
            finally:
                ended.append(time.perf_counter())
                first.set()

        thread = threading.Thread(target=work)
        thread.start()
        first.wait(300)
        cancelled = time.perf_counter()
        client.cancel()
        thread.join(300)
        times.append(ended[0] - cancelled)
    client.shutdown()
    return times


def server_cancel() -> list[float]:
    from scallop_curator.domain.conversation import ExtractionCase
    from scallop_curator.extraction.client import Cancelled, ModelSpec
    from scallop_curator.extraction.server_client import ServerClient
    from scallop_curator.settings import EngineSettings

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # /v1/models
            body = b'{"object": "list", "data": [{"id": "slow", "object": "model"}]}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            time.sleep(10)

        def log_message(self, *_args) -> None:  # type: ignore[no-untyped-def]
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    cases = [ExtractionCase(conversation_id="c", turn_index=i, context=None, message="I live in Porto.")
             for i in range(4)]
    times = []
    for _ in range(ROUNDS):
        client = ServerClient(url, concurrency=2)
        spec = ModelSpec("slow", None, EngineSettings())
        client.load(spec)
        threading.Timer(0.5, client.cancel).start()
        started = time.perf_counter()
        try:
            client.extract(spec, cases, lambda _result: None)
        except Cancelled:
            pass
        times.append(time.perf_counter() - started - 0.5)
        client.shutdown()
    server.shutdown()
    return times


def report(name: str, times: list[float], target: float) -> None:
    print(f"{name:<28} median {statistics.median(times):6.3f} s  max {max(times):6.3f} s  "
          f"(target < {target} s, {len(times)} rounds)")


def main() -> None:
    quiet_home()
    model = str(model_path(sys.argv))
    cases = sample_cases()
    report("engine: first token refused", engine_cancel(model, cases), 3.0)
    report("worker: cancel mid-run", worker_cancel(model, cases), 2.0)
    report("server: requests in flight", server_cancel(), 1.5)


if __name__ == "__main__":
    main()
