"""Shared set-up for the benchmarks: the sample export's cases and the demo model."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "conversations.json"


def sample_cases():  # type: ignore[no-untyped-def]
    from scallop_curator.importers import load_export

    return [case for c in load_export(SAMPLE).conversations for case in c.extraction_cases()]


def model_path(argv: list[str]) -> Path:
    from scallop_curator.extraction.demo_model import demo_model_path

    if len(argv) > 1:
        return Path(argv[1])
    path = demo_model_path()
    if path is None:
        sys.exit("no model: pass a GGUF path, or run packaging/setup.sh to get the demo model")
    return path


def quiet_home() -> None:
    os.environ.setdefault("SCALLOP_CURATOR_HOME", str(Path("/tmp") / f"scallop-bench-{os.getpid()}"))


def bare_completions(llm, cases, answers: list[str] | None = None,  # type: ignore[no-untyped-def]
                     library_grammar: bool = False) -> list[float]:
    """Seconds per case for the bare model call on the app's prompt and grammar (no worker, no
    store, no parsing): the baseline the overhead benchmarks compare the app against. It samples
    as the app does (``CheckedGreedySampler``), so the two sides do the same work;
    ``library_grammar`` uses llama-cpp-python's own grammar sampler instead (the same answers,
    slower). ``answers`` collects the texts, to check both sides generated the same."""
    import time

    from llama_cpp import Llama, LlamaGrammar

    from scallop_curator.extraction import chat_template
    from scallop_curator.extraction import checked_greedy
    from scallop_curator.extraction.grammar import fact_grammar, max_answer_tokens
    from scallop_curator.extraction.prompt import load_prompt

    grammar: LlamaGrammar | None = None
    if library_grammar:
        llm._init_sampler = Llama._init_sampler.__get__(llm)
        grammar = LlamaGrammar.from_string(fact_grammar(), verbose=False)
    else:
        checked_greedy.install(llm, fact_grammar())
    template = llm.metadata.get("tokenizer.chat_template")
    prompt = load_prompt()
    times = []
    for case in cases:
        started = time.perf_counter()
        text = chat_template.render(template, prompt.messages(case.context, case.message))
        tokens = llm.tokenize(text.encode(), add_bos=False, special=True)
        response = llm.create_completion(tokens, max_tokens=max_answer_tokens(), temperature=0.0, grammar=grammar)
        times.append(time.perf_counter() - started)
        if answers is not None:
            answers.append(response["choices"][0]["text"])
    return times
