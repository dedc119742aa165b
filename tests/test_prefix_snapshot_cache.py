"""Prefix snapshots keyed by the rendered prefix, for a prompt that shows the turn's date.

The ScallopBot-layout profile puts the date and time near the top, so the evaluated prefix differs
between days. The engine keeps one snapshot per distinct prefix (in memory and on disk, least
recently used dropped): turns of one day share one, a new day evaluates a new one. Run on the
tiny hybrid ``qwen35`` fixture, where llama.cpp cannot reuse a prefix by itself.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from scallop_curator.domain.conversation import Conversation, ExtractionCase, Turn
from scallop_curator.extraction.prompt import load_prompt
from scallop_curator.settings import EngineSettings

pytestmark = pytest.mark.model

TINY_QWEN35 = Path(__file__).resolve().parent / "fixtures" / "models" / "tiny-qwen35.gguf"


def settings() -> EngineSettings:
    return EngineSettings(n_ctx=8192, n_threads=2, n_batch=512, seed=0)


def at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2025, 5, day, hour, minute, tzinfo=timezone.utc)


def cases(grain: str = "day") -> list[ExtractionCase]:
    """Three turns on 14 May (morning, noon, evening) and one on 15 May, in Lisbon."""
    turns = [
        Turn(role="user", text="I moved to Oslo last year with my wife Anna.", time=at(14, 8, 5), source_id="1"),
        Turn(role="assistant", text="Oslo is lovely in spring. Do you two like hiking?", time=at(14, 8, 6), source_id="2"),
        Turn(role="user", text="Anna does, I prefer sailing.", time=at(14, 12, 40), source_id="3"),
        Turn(role="assistant", text="Sailing on the fjord sounds wonderful.", time=at(14, 12, 41), source_id="4"),
        Turn(role="user", text="We keep a small boat at Aker Brygge.", time=at(14, 19, 2), source_id="5"),
        Turn(role="user", text="Remind me: my daughter's birthday is on 14 March.", time=at(15, 9, 30), source_id="6"),
    ]
    return Conversation(id="c", turns=turns).extraction_cases("Europe/Lisbon", grain)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def engines():
    from scallop_curator.extraction.engine import LocalEngine

    prompt = load_prompt("scallopbot")
    reuse = LocalEngine(TINY_QWEN35, prompt, settings(), reuse_prefix=True, persist_prefix=False)
    full = LocalEngine(TINY_QWEN35, prompt, settings(), reuse_prefix=False)
    # A short answer is enough to compare (the random weights write long, varied text).
    reuse.max_tokens = full.max_tokens = 12
    yield reuse, full
    reuse.llm.close()
    full.llm.close()


def last_logits(llm) -> np.ndarray:
    import ctypes

    import llama_cpp

    pointer = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
    return np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), shape=(llm.n_vocab(),)).copy()


def test_turns_of_one_day_share_a_snapshot_and_a_new_day_misses(engines):
    reuse, full = engines
    day_one = cases()[:3]
    day_two = cases()[3]
    assert {case.time for case in day_one} == {datetime(2025, 5, 14, 12, 0, tzinfo=day_one[0].time.tzinfo)}
    reuse.prefix_stats.clear()

    results = [reuse.extract(case) for case in day_one]
    assert reuse.prefix_stats == {"evaluated": 1, "memory": 2}
    first_day_prefix = reuse._prefix_tokens
    assert results[0].evaluated_tokens == results[0].prompt_tokens  # the day's first turn pays for the prefix
    for result in results[1:]:
        assert result.evaluated_tokens == result.prompt_tokens - len(first_day_prefix)

    other = reuse.extract(day_two)
    assert reuse.prefix_stats == {"evaluated": 2, "memory": 2}
    assert reuse._prefix_tokens != first_day_prefix
    assert other.evaluated_tokens == other.prompt_tokens
    assert reuse.prefix_tokens_evaluated == len(first_day_prefix) + len(reuse._prefix_tokens)

    again = reuse.extract(day_one[1])  # back to the first day: still in memory
    assert reuse.prefix_stats == {"evaluated": 2, "memory": 3}
    assert again.raw_output == results[1].raw_output

    for case, result in zip([*day_one, day_two], [*results, other]):
        cold = full.extract(case)
        assert cold.evaluated_tokens == cold.prompt_tokens == result.prompt_tokens
        assert cold.raw_output == result.raw_output and cold.facts == result.facts


def test_a_restored_day_snapshot_gives_the_logits_of_a_full_evaluation(engines):
    reuse, _ = engines
    llm = reuse.llm
    for case in (cases()[0], cases()[3]):
        when, zone = reuse._clock(case)
        tokens = reuse.prompt_tokens(case.context, case.message, when, zone)
        state = reuse._use_prefix(reuse._prefix_for(when, zone))
        n_prefix = len(reuse._prefix_tokens)
        assert tokens[:n_prefix] == reuse._prefix_tokens

        llm.reset()
        llm.eval(tokens)
        expected = last_logits(llm)
        llm.reset()
        llm.eval(reuse.prompt_tokens("unrelated", "state left behind", when, zone))
        llm.load_state(state)
        llm.eval(tokens[n_prefix:])
        restored = last_logits(llm)
        # Bit-identical on AVX2; AVX-512 kernels may sum in another order after a restore.
        assert np.abs(restored - expected).max() < 2e-3
        assert float(np.std(expected)) > 0.1


def test_minute_grain_misses_between_turns_of_one_day(engines):
    reuse, _ = engines
    first, second = cases("minute")[:2]
    assert first.time != second.time
    reuse.prefix_stats.clear()
    reuse.extract(first)
    reuse.extract(second)
    assert reuse.prefix_stats == {"evaluated": 2}


def engine(prompt):
    from scallop_curator.extraction.engine import LocalEngine

    made = LocalEngine(TINY_QWEN35, prompt, settings())
    made.max_tokens = 1  # only the prompt matters here
    return made


def test_day_snapshots_are_kept_on_disk_and_the_least_recently_used_dropped(monkeypatch):
    from scallop_curator import paths
    from scallop_curator.extraction import engine as engine_module

    prompt = load_prompt("scallopbot")
    first = engine(prompt)
    for case in cases():
        first.extract(case)
    files = sorted((paths.cache_dir() / "prefix-state").glob("*.state"))
    assert len(files) == 2 and first.prefix_stats["evaluated"] == 2
    first.llm.close()

    second = engine(prompt)
    try:
        second.extract(cases()[3])
        second.extract(cases()[0])
        assert second.prefix_stats == {"disk": 2}
        monkeypatch.setattr(engine_module, "DISK_SNAPSHOTS", 2)
        late = cases()[0].model_copy(update={"time": datetime(2025, 6, 1, 12, 0, tzinfo=cases()[0].time.tzinfo)})
        second.extract(late)
        kept = sorted((paths.cache_dir() / "prefix-state").glob("*.state"))
        # The 15 May snapshot was used least recently: it went; 14 May (just used) and 1 June stay.
        assert len(kept) == 2
        assert second.prefix_stats == {"disk": 2, "evaluated": 1}
        third = engine(prompt)
        third.extract(cases()[0])
        third.extract(cases()[3])
        assert third.prefix_stats == {"disk": 1, "evaluated": 1}
        third.llm.close()
    finally:
        second.llm.close()


def test_memory_keeps_only_the_most_recent_snapshots(engines, monkeypatch):
    from scallop_curator.extraction import engine as engine_module

    reuse, _ = engines
    monkeypatch.setattr(engine_module, "MEMORY_SNAPSHOTS", 2)
    base = cases()[0]
    days = [base.model_copy(update={"time": base.time.replace(day=d)}) for d in (20, 21, 22)]
    for case in days:
        reuse._use_prefix(reuse._prefix_for(*reuse._clock(case)))
    assert len(reuse._snapshots) == 2
    reuse.prefix_stats.clear()
    reuse._use_prefix(reuse._prefix_for(*reuse._clock(days[0])))
    assert reuse.prefix_stats == {"evaluated": 1}
