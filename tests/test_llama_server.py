"""``extract --server`` against llama.cpp's own llama-server with ``--parallel 4``, 4 turns in
flight: the path the throughput benchmark measures. The binary is built by
``benchmarks/build_llama_server.sh`` (minutes of compiling; CI does not build it), so this test is
skipped, saying how to build it, where it has not been built."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from server_throughput import (  # noqa: E402
    busy_slots_per_decode,
    llama_server_binary,
    server_metrics,
    start_llama_server,
)

pytestmark = pytest.mark.model
BINARY = llama_server_binary()
NOT_BUILT = ("llama.cpp's llama-server is not built here (CI does not build it: it takes minutes of "
             "compiling). Build it with `JOBS=2 benchmarks/build_llama_server.sh` (it caches the binary "
             "under ~/.cache/scallop-curator/llama-server/), then run this test again.")


@pytest.mark.skipif(BINARY is None, reason=NOT_BUILT)
def test_four_turns_in_flight_on_llama_server_match_one_at_a_time(demo_model: Path, sample_export: Path,
                                                                   tmp_path: Path) -> None:
    from scallop_curator.extraction.client import ModelSpec
    from scallop_curator.extraction.server_client import ServerClient
    from scallop_curator.importers import load_export
    from scallop_curator.settings import EngineSettings

    assert BINARY is not None
    cases = [case for c in load_export(sample_export).conversations for case in c.extraction_cases()][:8]
    # One thread: on a small shared machine two threads' spin-waits stall each other for seconds.
    settings = EngineSettings(seed=0, n_ctx=4096, n_threads=1)
    process, url = start_llama_server(BINARY, demo_model, 1, settings.n_ctx, 4, tmp_path / "llama-server.log")
    try:
        spec = ModelSpec("", None, settings)
        answers, busy = {}, {}
        for concurrency in (1, 4):
            client = ServerClient(url, concurrency=concurrency)
            client.load(spec)
            results = []
            before = server_metrics(url)
            client.extract(spec, cases, results.append)
            busy[concurrency] = busy_slots_per_decode(before, server_metrics(url))
            assert [(r.conversation_id, r.turn_index) for r in results] == [(c.conversation_id, c.turn_index) for c in cases]
            assert all(r.parse_ok for r in results), [r.error for r in results]
            assert all(r.prompt_tokens > 0 for r in results)
            answers[concurrency] = [r.facts for r in results]
        assert client.model_id == demo_model.stem
        # One at a time, one slot works per decode; with 4 in flight the server really batches
        # several slots in one decode (each answer takes dozens of decodes, all 4 sent at once).
        assert busy[1] == pytest.approx(1.0, abs=0.05)
        assert busy[4] > 1.5, busy
        # Greedy decoding: a batch of 4 slots gives each turn what it got alone, up to float
        # summation order; the bulk of turns must agree exactly.
        same = sum(a == b for a, b in zip(answers[1], answers[4]))
        assert same >= len(cases) - 2, (answers[1], answers[4])
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
