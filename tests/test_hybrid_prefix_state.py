"""The prefix-state snapshot on a hybrid (recurrent + attention) model.

llama.cpp cannot cut a recurrent state back to a shared prefix, so llama-cpp-python re-evaluates
the whole prompt on every turn ("partial kv removal not supported"). LocalEngine evaluates the
fixed prefix once, saves the state, and restores it before each turn. These tests run the real
``qwen35`` code paths on a tiny random-weight model (tests/fixtures/make_tiny_qwen35.py) and check
that restoring the snapshot gives exactly what a full evaluation gives, for far fewer tokens.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import pytest

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.extraction import chat_template
from scallop_curator.extraction.prompt import load_prompt
from scallop_curator.settings import EngineSettings

pytestmark = pytest.mark.model

TINY_QWEN35 = Path(__file__).resolve().parent / "fixtures" / "models" / "tiny-qwen35.gguf"

CASES = [
    ExtractionCase(conversation_id="c1", turn_index=1, context=None,
                   message="I moved to Oslo last year with my wife Anna."),
    ExtractionCase(conversation_id="c1", turn_index=3,
                   context="Oslo is lovely in spring. Do you two like hiking?",
                   message="Anna does, I prefer sailing. We keep a small boat at Aker Brygge."),
    ExtractionCase(conversation_id="c2", turn_index=1, context="Here is the recipe you asked for.",
                   message="Thanks! I'm vegetarian, so I'll swap the chicken for tofu. 🥢 Ça marche?"),
    ExtractionCase(conversation_id="c3", turn_index=5, context="",
                   message="Remind me: my daughter's birthday is on 14 March and she turns nine. " * 6),
]


def settings() -> EngineSettings:
    return EngineSettings(n_ctx=8192, n_threads=2, n_batch=512, seed=0)


@pytest.fixture(scope="module")
def engines():
    from scallop_curator.extraction.engine import LocalEngine

    prompt = load_prompt()
    reuse = LocalEngine(TINY_QWEN35, prompt, settings(), reuse_prefix=True)
    full = LocalEngine(TINY_QWEN35, prompt, settings(), reuse_prefix=False)
    yield reuse, full
    reuse.llm.close()
    full.llm.close()


def prompt_tokens(engine, case: ExtractionCase) -> list[int]:
    context, message, _ = engine.fit(case)
    return engine._tokens(engine._render(context, message))


def last_logits(llm) -> np.ndarray:
    import llama_cpp

    pointer = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
    return np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), shape=(llm.n_vocab(),)).copy()


def test_fixture_is_a_hybrid_qwen35_model(engines):
    reuse, _ = engines
    assert reuse.llm.metadata["general.architecture"] == "qwen35"
    assert reuse.llm._is_hybrid
    assert reuse._prefix_state is not None
    assert len(reuse._prefix_tokens) > 100


def test_without_snapshot_llama_cpp_reevaluates_the_whole_prompt(engines, capsys):
    """The problem itself: two prompts sharing a prefix, and no partial reuse on a hybrid model."""
    _, full = engines
    llm = full.llm
    first, second = prompt_tokens(full, CASES[0]), prompt_tokens(full, CASES[1])
    llm.reset()
    llm.verbose = True
    try:
        llm.create_completion(first, max_tokens=1, temperature=0.0)
        capsys.readouterr()
        llm.create_completion(second, max_tokens=1, temperature=0.0)
    finally:
        llm.verbose = False
    assert "partial kv removal not supported, re-evaluating full prompt" in capsys.readouterr().err


def test_prompt_ends_with_the_template_s_own_empty_think_block(engines):
    reuse, _ = engines
    assert "enable_thinking" in reuse.template
    rendered = reuse._render("some context", "some message")
    assert rendered.endswith("<|im_start|>assistant\n" + chat_template.EMPTY_THINK)
    assert rendered.endswith("<think>\n\n</think>\n\n")
    # The template wrote the block itself; the renderer's fallback did not add a second one.
    assert rendered.count("<think>") == 1
    assert rendered.startswith("<|im_start|>system\n")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.conversation_id}-{c.turn_index}")
def test_snapshot_turns_match_full_evaluation(engines, case, capsys):
    reuse, full = engines
    reuse.llm.verbose = True
    try:
        with_snapshot = reuse.extract(case)
    finally:
        reuse.llm.verbose = False
    log = capsys.readouterr().err
    without = full.extract(case)

    assert with_snapshot.raw_output == without.raw_output
    assert with_snapshot.parse_ok == without.parse_ok
    assert with_snapshot.facts == without.facts
    assert with_snapshot.prompt_tokens == without.prompt_tokens
    assert without.evaluated_tokens == without.prompt_tokens
    assert with_snapshot.evaluated_tokens == with_snapshot.prompt_tokens - len(reuse._prefix_tokens)
    assert with_snapshot.evaluated_tokens * 3 <= without.evaluated_tokens
    assert "re-evaluating full prompt" not in log
    assert f"{len(reuse._prefix_tokens)} prefix-match hit" in log


@pytest.mark.parametrize("case", CASES[:3], ids=lambda c: f"{c.conversation_id}-{c.turn_index}")
def test_restored_state_gives_the_logits_of_a_full_evaluation(engines, case):
    reuse, _ = engines
    llm = reuse.llm
    tokens = prompt_tokens(reuse, case)
    n_prefix = len(reuse._prefix_tokens)
    assert tokens[:n_prefix] == reuse._prefix_tokens
    tail = tokens[n_prefix:]

    # Full evaluation from an empty state, in one pass.
    llm.reset()
    llm.eval(tokens)
    full = last_logits(llm)
    # The same split as with the snapshot, but evaluated live.
    llm.reset()
    llm.eval(tokens[:n_prefix])
    llm.eval(tail)
    live_split = last_logits(llm)
    # Leave an unrelated state behind, so a restore that left the recurrent state alone would show.
    llm.reset()
    llm.eval(prompt_tokens(reuse, CASES[-1]))
    unrelated = last_logits(llm)
    llm.load_state(reuse._prefix_state)
    assert llm.n_tokens == n_prefix
    llm.eval(tail)
    restored = last_logits(llm)

    # Bit-identical on AVX2 builds; AVX-512 kernels sum in another order after a restore, which
    # moves logits in the third decimal. A wrong state moves them by orders of magnitude more.
    tolerance = 2e-3
    assert np.abs(restored - live_split).max() < tolerance
    assert np.abs(restored - full).max() < tolerance
    assert np.abs(unrelated - full).max() > 50 * tolerance
    assert int(np.argmax(restored)) == int(np.argmax(full))
    assert float(np.std(full)) > 0.1  # the weights are not degenerate: the comparison means something


def test_free_greedy_generation_after_restore_matches_a_cold_run(engines):
    """Without the grammar the random model writes varied text: a sharper check than the JSON."""
    reuse, _ = engines
    llm = reuse.llm
    tokens = prompt_tokens(reuse, CASES[1])

    llm.reset()
    cold = llm.create_completion(tokens, max_tokens=24, temperature=0.0)["choices"][0]["text"]
    llm.load_state(reuse._prefix_state)
    restored = llm.create_completion(tokens, max_tokens=24, temperature=0.0)["choices"][0]["text"]

    assert len(cold) > 0
    assert restored == cold


# ---------------------------------------------------------------- the snapshot on disk
def state_files() -> list[Path]:
    from scallop_curator import paths

    return sorted((paths.cache_dir() / "prefix-state").glob("*.state"))


def test_snapshot_is_saved_and_loaded_at_the_next_start():
    from scallop_curator.extraction.engine import LocalEngine
    from scallop_curator.extraction.model_file import fingerprint

    prompt = load_prompt()
    first = LocalEngine(TINY_QWEN35, prompt, settings())
    assert first.prefix_source == "evaluated"
    files = state_files()
    assert len(files) == 1
    assert files[0].name.startswith(f"{fingerprint(TINY_QWEN35)}-{prompt.version}-")

    second = LocalEngine(TINY_QWEN35, prompt, settings())
    try:
        assert second.prefix_source == "disk"
        assert second._last_eval == 0  # nothing evaluated at start
        assert second._prefix_tokens == first._prefix_tokens
        for case in CASES[:2]:
            a, b = first.extract(case), second.extract(case)
            assert a.raw_output == b.raw_output
            assert a.evaluated_tokens == b.evaluated_tokens == a.prompt_tokens - len(first._prefix_tokens)

        tokens = prompt_tokens(first, CASES[2])
        tail = tokens[len(first._prefix_tokens):]
        logits = []
        for engine in (first, second):
            engine.llm.load_state(engine._prefix_state)
            engine.llm.eval(tail)
            logits.append(last_logits(engine.llm))
        assert np.array_equal(logits[0], logits[1])
    finally:
        first.llm.close()
        second.llm.close()


def test_an_unusable_snapshot_file_is_replaced():
    from scallop_curator.extraction.engine import LocalEngine

    prompt = load_prompt()
    LocalEngine(TINY_QWEN35, prompt, settings()).llm.close()
    (file,) = state_files()
    file.write_bytes(file.read_bytes()[:-10])  # truncated: the size in the header no longer matches

    engine = LocalEngine(TINY_QWEN35, prompt, settings())
    try:
        assert engine.prefix_source == "evaluated"
        result = engine.extract(CASES[0])
        assert result.parse_ok
        assert result.evaluated_tokens == result.prompt_tokens - len(engine._prefix_tokens)
    finally:
        engine.llm.close()
    again = LocalEngine(TINY_QWEN35, prompt, settings())
    assert again.prefix_source == "disk"
    again.llm.close()


def test_persistence_can_be_switched_off():
    from scallop_curator.extraction.engine import LocalEngine

    engine = LocalEngine(TINY_QWEN35, load_prompt(), settings(), persist_prefix=False)
    engine.llm.close()
    assert engine.prefix_source == "evaluated"
    assert state_files() == []
