"""The app's grammar sampling (``CheckedGreedySampler``: check only the token taken) against
llama-cpp-python's own grammar sampler (the grammar over the whole vocabulary at every token), on
the same dev cases, prompts and model, side by side in one run, alternating case by case so that
the machine's load falls on both. Prints seconds per case, answer tokens per second, and whether
the answers are identical (they must be: greedy decoding either way).

Usage: python benchmarks/grammar_sampling.py [MODEL.gguf] [--cases N]
"""

from __future__ import annotations

import argparse
import statistics
import sys

from _common import ROOT, bare_completions, model_path, quiet_home

DEV = ROOT / "tests" / "fixtures" / "eval" / "dev.jsonl"


def main() -> None:
    quiet_home()
    from llama_cpp import Llama

    from scallop_curator.evaluation.cases import read_case_file
    from scallop_curator.settings import EngineSettings

    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?")
    parser.add_argument("--cases", type=int, default=20)
    options = parser.parse_args()
    model = str(model_path([sys.argv[0]] + ([options.model] if options.model else [])))
    cases = [c.extraction_case(i) for i, c in enumerate(read_case_file(DEV))][: options.cases]
    settings = EngineSettings(n_gpu_layers=0)
    llm = Llama(model_path=model, n_ctx=settings.n_ctx, n_threads=settings.n_threads, n_batch=settings.n_batch,
                n_gpu_layers=0, seed=settings.seed, verbose=False)
    print(f"model {model}\n{len(cases)} dev cases, {settings.n_threads} threads, vocabulary {llm.n_vocab():,}")
    times: dict[bool, list[float]] = {True: [], False: []}
    answers: dict[bool, list[str]] = {True: [], False: []}
    for case in cases:
        for library in (True, False):
            llm.reset()  # each call starts cold: neither side reuses the other's cache
            times[library] += bare_completions(llm, [case], answers[library], library_grammar=library)
    tokens = sum(len(llm.tokenize(a.encode(), add_bos=False)) for a in answers[False])
    llm.close()
    for library, label in ((True, "llama-cpp-python grammar"), (False, "checked greedy (the app)")):
        total = sum(times[library])
        print(f"{label:26s} {total:7.1f} s, median {statistics.median(times[library]):.2f} s a case, "
              f"{tokens / total:6.1f} answer tokens/s")
    same = sum(a == b for a, b in zip(answers[True], answers[False]))
    print(f"answers identical {same}/{len(cases)}; speed-up {sum(times[True]) / sum(times[False]):.2f}x")


if __name__ == "__main__":
    main()
