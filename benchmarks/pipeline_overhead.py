"""The app's extraction (worker process, IPC, parsing) against bare llama-cpp-python running the
same prompts, grammar and sampling on the same model, in the same run. Target: ratio <= 1.10.

Usage: python benchmarks/pipeline_overhead.py [MODEL.gguf]
"""

from __future__ import annotations

import statistics
import sys
import time

from _common import bare_completions, model_path, quiet_home, sample_cases


def bare(model: str, cases, settings) -> list[float]:  # type: ignore[no-untyped-def]
    from llama_cpp import Llama

    llm = Llama(model_path=model, n_ctx=settings.n_ctx, n_threads=settings.n_threads, n_batch=settings.n_batch,
                seed=settings.seed, verbose=False)
    return bare_completions(llm, cases)


def app(model: str, cases, settings) -> list[float]:  # type: ignore[no-untyped-def]
    from scallop_curator.extraction.client import ModelSpec, WorkerClient

    client = WorkerClient()
    spec = ModelSpec(model, None, settings)
    client.load(spec)
    stamps = [time.perf_counter()]
    client.extract(spec, cases, lambda _result: stamps.append(time.perf_counter()))
    client.shutdown()
    return [b - a for a, b in zip(stamps, stamps[1:])]


def main() -> None:
    quiet_home()
    from scallop_curator.settings import EngineSettings

    model = str(model_path(sys.argv))
    cases = sample_cases()
    settings = EngineSettings()
    print(f"model {model}\n{len(cases)} user turns from the sample export, {settings.n_threads} threads")
    rounds = []
    for round_ in range(2):  # alternate, so drift on a shared machine hits both sides alike
        bare_times = bare(model, cases, settings)
        app_times = app(model, cases, settings)
        rounds.append((sum(bare_times), sum(app_times)))
        print(f"round {round_ + 1}: bare llama-cpp-python {sum(bare_times):6.1f} s "
              f"(median {statistics.median(bare_times):.2f} s/turn) | app {sum(app_times):6.1f} s "
              f"(median {statistics.median(app_times):.2f} s/turn) | ratio {sum(app_times) / sum(bare_times):.3f}")
    bare_total = sum(r[0] for r in rounds)
    app_total = sum(r[1] for r in rounds)
    print(f"overall ratio app / bare = {app_total / bare_total:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()
