"""The llama.cpp engine with the real SmolLM2 demo model: grammar-guaranteed parsing, prefix reuse,
cutting a huge message to fit, and stopping on request."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.extraction.prompt import load_prompt
from scallop_curator.importers import load_export
from scallop_curator.settings import EngineSettings

pytestmark = pytest.mark.model


def _engine(model: Path, reuse_prefix: bool):  # type: ignore[no-untyped-def]
    from scallop_curator.extraction.engine import LocalEngine

    # One thread: on a loaded machine, llama.cpp's threads spin waiting for a peer that is not running.
    return LocalEngine(model, load_prompt(), EngineSettings(seed=0, n_threads=1), reuse_prefix=reuse_prefix)


@pytest.fixture(scope="module")
def engine(demo_model: Path):  # type: ignore[no-untyped-def]
    loaded = _engine(demo_model, reuse_prefix=True)
    yield loaded
    loaded.llm.close()


@pytest.fixture(scope="module")
def engine_without_reuse(demo_model: Path):  # type: ignore[no-untyped-def]
    loaded = _engine(demo_model, reuse_prefix=False)
    yield loaded
    loaded.llm.close()


@pytest.fixture(scope="module")
def sample_cases() -> list[ExtractionCase]:
    from tests.conftest import SAMPLE

    imported = load_export(SAMPLE)
    return [case for conversation in imported.conversations for case in conversation.extraction_cases()]


def test_every_sample_turn_parses(engine, sample_cases: list[ExtractionCase]) -> None:  # type: ignore[no-untyped-def]
    assert len(sample_cases) == 15
    results = [engine.extract(case) for case in sample_cases]
    failures = [(r.turn_index, r.error, r.raw_output[:200]) for r in results if not r.parse_ok]
    assert failures == []
    for case, result in zip(sample_cases, results):
        assert (result.conversation_id, result.turn_index) == (case.conversation_id, case.turn_index)
        assert result.error is None and not result.truncated
        assert result.latency_ms > 0 and result.prompt_tokens > 0
        assert len(result.facts) <= 4


def test_prefix_reuse_evaluates_at_least_three_times_fewer_tokens(
    engine, engine_without_reuse, sample_cases: list[ExtractionCase]  # type: ignore[no-untyped-def]
) -> None:
    # Only prompt evaluation matters here: stop right after the first generated token.
    reused = [engine.extract(case, lambda: True) for case in sample_cases]
    full = [engine_without_reuse.extract(case, lambda: True) for case in sample_cases]
    assert [r.prompt_tokens for r in reused] == [r.prompt_tokens for r in full]
    for result in full:
        assert result.prompt_tokens - 1 <= result.evaluated_tokens <= result.prompt_tokens
    mean_reused = sum(r.evaluated_tokens for r in reused) / len(reused)
    mean_full = sum(r.evaluated_tokens for r in full) / len(full)
    assert mean_reused > 0
    assert mean_full >= 3 * mean_reused, (mean_full, mean_reused)


def _pasted_log() -> str:
    rng = random.Random(7)
    lines = ["FIRST LINE: here is the server log from last night"]
    lines += [
        f"2025-05-0{i % 9 + 1} 03:{i % 60:02d}:{(i * 7) % 60:02d} WARN worker-{i % 7} request "
        f"id={rng.randint(10000, 99999)} path=/api/v2/items/{rng.randint(1, 999)} took {rng.randint(1, 900)} ms"
        for i in range(700)
    ]
    lines.append("LAST LINE: can you tell me why it keeps timing out?")
    return "\n".join(lines)


def test_huge_message_is_cut_keeping_start_and_end(engine) -> None:  # type: ignore[no-untyped-def]
    message = _pasted_log()
    assert 55_000 <= len(message) <= 70_000
    case = ExtractionCase(conversation_id="c", turn_index=0, context="Sure, paste the log.", message=message)
    context, fitted, truncated = engine.fit(case)
    assert truncated
    assert context == "Sure, paste the log."
    assert len(fitted) < len(message) // 3
    assert fitted.startswith("FIRST LINE: here is the server log from last night\n")
    assert fitted.endswith("\nLAST LINE: can you tell me why it keeps timing out?")
    assert "characters cut" in fitted
    prompt = engine._render(context, fitted)
    assert "FIRST LINE: here is the server log" in prompt and "LAST LINE: can you tell me why" in prompt

    result = engine.extract(case)
    assert result.truncated
    assert result.error is None and result.parse_ok, result.raw_output[:300]
    assert result.prompt_tokens + engine.max_tokens <= engine.settings.n_ctx


def test_huge_assistant_reply_is_cut_too(engine) -> None:  # type: ignore[no-untyped-def]
    case = ExtractionCase(conversation_id="c", turn_index=1, context=_pasted_log(), message="I live in Porto.")
    context, message, truncated = engine.fit(case)
    assert truncated and message == "I live in Porto."
    assert context.startswith("FIRST LINE") and context.endswith("timing out?")


def test_should_stop_ends_generation_with_cancelled(engine) -> None:  # type: ignore[no-untyped-def]
    """What a cancel does, counted in tokens rather than seconds (its latency is a benchmark's)."""
    case = ExtractionCase(conversation_id="c", turn_index=0, context=None,
                          message="I moved to Porto last month and I work as a nurse at the city hospital.")

    def generated(result) -> int:  # type: ignore[no-untyped-def]
        return len(engine.llm.tokenize(result.raw_output.encode(), add_bos=False, special=True))

    asked = 0

    def stop_after(checks: int):  # type: ignore[no-untyped-def]
        def should_stop() -> bool:
            nonlocal asked
            asked += 1
            return asked > checks
        return should_stop

    result = engine.extract(case, stop_after(0))
    assert result.error == "cancelled"
    assert not result.parse_ok and result.facts == []
    assert generated(result) <= 1  # stopped at the first token

    asked = 0
    midway = engine.extract(case, stop_after(5))
    assert midway.error == "cancelled" and midway.facts == []
    assert generated(midway) <= 6  # at most one token per check that said "go on": none after "stop"

    # the engine is still usable afterwards, and the whole answer is longer than what a cancel lets through
    after = engine.extract(case)
    assert after.parse_ok and after.error is None
    assert generated(after) > generated(midway)


@pytest.mark.model
def test_special_tokens_pasted_in_a_message_stay_text(engine) -> None:  # type: ignore[no-untyped-def]
    """A pasted chat-template marker must not close the user turn early."""
    marker = "<|im_end|>"
    special = engine.llm.tokenize(marker.encode(), add_bos=False, special=True)
    assert len(special) == 1  # the model knows it as one control token
    tokens = engine.prompt_tokens(None, f"my notes say {marker} and then more")
    template_only = engine.prompt_tokens(None, "my notes say and then more")
    assert tokens.count(special[0]) == template_only.count(special[0])


def test_too_small_context_is_refused_in_plain_words(demo_model) -> None:  # type: ignore[no-untyped-def]
    from scallop_curator.extraction.engine import LocalEngine
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.settings import EngineSettings

    with pytest.raises(ValueError, match="context size .* too small"):
        LocalEngine(demo_model, load_prompt(), EngineSettings(n_ctx=2048))
