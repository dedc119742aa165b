"""``scallop-curator eval`` end to end (worker start, model load, extraction, scoring, saving the
run) on the 60 dev cases, against the sum of bare llama-cpp-python calls on the same prompts with
the same grammar and sampling, in the same run. Target: ratio <= 1.10.

Usage: python benchmarks/eval_overhead.py [MODEL.gguf] [--rounds N] [--cases N] [--cases-file F]
       [--n-gpu-layers N]
(``--cases`` takes the first N dev cases, for a machine too busy for all 60; ``--cases-file`` another
case file, default tests/fixtures/eval/dev.jsonl; ``--n-gpu-layers`` as the setting, -1 as many as
fit, for both sides: the bare calls get the number the engine resolves it to)
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

from _common import ROOT, bare_completions, model_path, quiet_home

DEV = ROOT / "tests" / "fixtures" / "eval" / "dev.jsonl"


def bare(model: str, cases, settings, answers: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    """Plain llama-cpp-python calls on the same prompts, grammar and sampling, with the GPU layers
    the engine would use."""
    import llama_cpp
    from llama_cpp import Llama

    from scallop_curator.hub.gpu_memory import resolve_gpu_layers

    layers = resolve_gpu_layers(model, settings.n_gpu_layers, settings.n_ctx, bool(llama_cpp.llama_supports_gpu_offload()))
    llm = Llama(model_path=model, n_ctx=settings.n_ctx, n_threads=settings.n_threads, n_batch=settings.n_batch,
                n_gpu_layers=layers, seed=settings.seed, verbose=False)
    times = bare_completions(llm, cases, answers)
    llm.close()
    return times


def run_eval(model: str, db: Path, limit: int, case_file: Path = DEV) -> tuple[float, dict]:  # type: ignore[type-arg]
    from scallop_curator.cli import _headless_parser
    from scallop_curator.evaluation.cli import eval_command

    args = _headless_parser().parse_args(["eval", str(case_file), "--model", model, "--json", "--db", str(db),
                                          "--limit", str(limit)])
    out = io.StringIO()
    started = time.perf_counter()
    with redirect_stdout(out):
        code = eval_command(args)
    wall = time.perf_counter() - started
    if code != 0:
        sys.exit(f"eval failed with exit code {code}")
    return wall, json.loads(out.getvalue())[0]


def main() -> None:
    quiet_home()
    from scallop_curator.evaluation.cases import read_case_file
    from scallop_curator.evaluation.runs import results
    from scallop_curator.settings import EngineSettings, Settings
    from scallop_curator.store import Store

    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--cases-file", type=Path, default=DEV)
    parser.add_argument("--n-gpu-layers", type=int, default=EngineSettings().n_gpu_layers)
    options = parser.parse_args()
    model = str(model_path([sys.argv[0]] + ([options.model] if options.model else [])))
    rounds = options.rounds
    cases = [c.extraction_case(i) for i, c in enumerate(read_case_file(options.cases_file))][: options.cases]
    settings = EngineSettings(n_gpu_layers=options.n_gpu_layers)
    Settings(engine=settings).save()  # the eval command reads the engine settings from the (benchmark's own) home
    print(f"model {model}\n{len(cases)} cases from {options.cases_file.name}, {settings.n_threads} threads, "
          f"GPU layers setting {settings.n_gpu_layers}")
    totals = []
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(rounds):  # alternate, so drift on a shared machine hits both sides alike
            bare_answers: list[str] = []
            bare_times = bare(model, cases, settings, bare_answers)
            db = Path(folder) / f"bench-{round_}.db"
            wall, row = run_eval(model, db, len(cases), options.cases_file)
            store = Store(db)
            stored = results(store, row["run"])
            engine_ms = sum(r.latency_ms for r in stored)
            store.close()
            # SmolLM2's answers run long and can part ways after a few tokens (the engine restores a
            # snapshot, the bare call reuses the KV cache in place): say how alike the two sides' work was.
            same = sum(a == r.raw_output for a, r in zip(bare_answers, stored))
            bare_chars, eval_chars = sum(map(len, bare_answers)), sum(len(r.raw_output) for r in stored)
            print(f"  answers identical in {same}/{len(stored)} cases; answer characters bare {bare_chars:,}, "
                  f"eval {eval_chars:,}; per answer character, eval / bare = "
                  f"{(wall / max(eval_chars, 1)) / (sum(bare_times) / max(bare_chars, 1)):.3f}")
            totals.append((sum(bare_times), wall))
            print(f"round {round_ + 1}: bare llama-cpp-python {sum(bare_times):6.1f} s "
                  f"(median {statistics.median(bare_times):.2f} s/case) | eval wall {wall:6.1f} s "
                  f"(engine's own per-case latencies sum to {engine_ms / 1000:.1f} s; wall / that "
                  f"{wall / (engine_ms / 1000):.3f}) | ratio {wall / sum(bare_times):.3f} | agreement {row['agreement']:.3f}, "
                  f"parse {100 * row['parse_rate']:.1f} %")
    bare_total = sum(t[0] for t in totals)
    eval_total = sum(t[1] for t in totals)
    print(f"overall ratio eval wall / bare calls = {eval_total / bare_total:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()
