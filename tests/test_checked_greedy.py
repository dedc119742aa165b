"""The checked greedy sampler writes exactly what llama-cpp-python's own grammar sampler writes,
on real GGUFs (SmolLM2 and the tiny hybrid qwen35), through every path: the first choice allowed,
a refusal settled by the shortlist, and a refusal that needs the whole vocabulary."""

from __future__ import annotations

from pathlib import Path

import pytest

from scallop_curator.extraction import checked_greedy
from scallop_curator.extraction.checked_greedy import CheckedGreedySampler
from scallop_curator.extraction.grammar import fact_grammar

TINY_QWEN35 = Path(__file__).resolve().parent / "fixtures" / "models" / "tiny-qwen35.gguf"
MESSAGES = (
    "I live in Berlin and my sister Ana is a nurse. I like running.",
    "I moved from Porto to Lisbon last year, and I'm vegetarian now.",
    "hi",
)


def _library_and_checked(model: Path, answer: str, shortlist: int, monkeypatch: pytest.MonkeyPatch,
                         max_tokens: int = 160) -> list[tuple[str, str, CheckedGreedySampler]]:
    from llama_cpp import Llama, LlamaGrammar

    monkeypatch.setattr(checked_greedy, "SHORTLIST", shortlist)
    llm = Llama(model_path=str(model), n_ctx=2048, n_threads=2, verbose=False, seed=0)
    grammar_text = fact_grammar(answer)
    library = LlamaGrammar.from_string(grammar_text, verbose=False)
    own = Llama._init_sampler.__get__(llm)
    out = []
    try:
        for message in MESSAGES:
            tokens = llm.tokenize(f"Extract durable facts about the user as JSON.\nMessage: {message}\nJSON:".encode())
            llm.reset()
            llm._init_sampler = own
            theirs = llm.create_completion(tokens, max_tokens=max_tokens, temperature=0.0, grammar=library)
            sampler = CheckedGreedySampler(llm, grammar_text)
            llm._init_sampler = lambda **_: sampler
            llm.reset()
            ours = llm.create_completion(tokens, max_tokens=max_tokens, temperature=0.0)
            out.append((theirs["choices"][0]["text"], ours["choices"][0]["text"], sampler))
    finally:
        llm.close()
    return out


@pytest.mark.parametrize("shortlist", [256, 1])
def test_same_answers_as_the_library_grammar_on_smollm2(demo_model: Path, shortlist: int,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    runs = _library_and_checked(demo_model, "facts", shortlist, monkeypatch)
    for theirs, ours, _ in runs:
        assert ours == theirs
    assert any(theirs for theirs, _, _ in runs)
    refused = sum(s.refused for _, _, s in runs)
    taken = sum(s.taken for _, _, s in runs)
    full = sum(s.full for _, _, s in runs)
    assert 0 < refused < taken, "the grammar refused none or all of the model's first choices"
    if shortlist == 1:  # a one-token shortlist settles nothing: every refusal goes to the whole vocabulary
        assert full == refused
    else:
        assert full < refused, "the shortlist settled no refusal"


def test_same_answers_as_the_library_grammar_on_the_hybrid_model(monkeypatch: pytest.MonkeyPatch) -> None:
    # random weights: the grammar refuses nearly every first choice, so the fallbacks carry it
    runs = _library_and_checked(TINY_QWEN35, "facts+triggers", 256, monkeypatch, max_tokens=48)
    for theirs, ours, _ in runs:
        assert ours == theirs
    assert sum(s.refused for _, _, s in runs) > 0


def test_a_grammar_llama_cpp_cannot_parse_is_refused(demo_model: Path) -> None:
    from llama_cpp import Llama

    llm = Llama(model_path=str(demo_model), n_ctx=256, n_threads=1, verbose=False)
    try:
        with pytest.raises(ValueError, match="grammar"):
            CheckedGreedySampler(llm, "root ::= (")
    finally:
        llm.close()
