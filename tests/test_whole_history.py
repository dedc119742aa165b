"""The headless parts of issue 11's "A whole history" that the window builds on: skip rules as the
window applies them, the orders a person may choose, the measured speed kept between runs, skipped
turns recorded in the store, and the extraction settings (timezone, grain, rules) persisted."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from scallop_curator import paths
from scallop_curator.domain.conversation import Conversation, ExtractionCase
from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.extraction.plan import Plan, is_large, order_cases
from scallop_curator.extraction.skip_rules import SkipRules
from scallop_curator.extraction.speed import SpeedMeter, load_speed, local_key
from scallop_curator.importers.base import ImportedFile
from scallop_curator.settings import SCHEMA_VERSION, ExtractionSettings, Settings
from scallop_curator.store import Store
from scallop_curator.store.skips import record_skips, skipped_counts, skipped_total, skipped_turns


def _case(cid: str, index: int, message: str, hour: int | None) -> ExtractionCase:
    when = datetime(2025, 5, 14, hour, tzinfo=timezone.utc) if hour is not None else None
    return ExtractionCase(conversation_id=cid, turn_index=index, context=None, message=message, sort_time=when)


def test_skip_rules_split_keeps_order_and_says_why() -> None:
    rules = SkipRules.from_settings(ExtractionSettings(skip_min_chars=10, skip_code=True))
    paste = "Traceback (most recent call last):\n  File \"a.py\", line 3, in <module>\nValueError: bad"
    cases = [_case("a", 0, "ok", 1), _case("a", 2, "I moved to Utrecht last spring.", 2), _case("a", 4, paste, 3)]
    kept, skipped = rules.split(cases)
    assert [c.turn_index for c in kept] == [2]
    assert [(c.turn_index, why) for c, why in skipped] == [(0, "short"), (4, "code")]
    assert rules.label("short") == "short (under 10 characters)"
    assert rules.label("code") == "code or log paste"
    assert rules.describe() == "skipping messages under 10 characters and pure code or log pastes"
    off = SkipRules.from_settings(ExtractionSettings())
    assert off.split(cases) == (cases, [])
    assert off.describe() == "no turns skipped"


def test_orders_newest_oldest_and_selected_first() -> None:
    cases = [_case("a", 0, "m", 1), _case("b", 0, "m", 3), _case("a", 2, "m", None), _case("c", 0, "m", 2)]
    key = [(c.conversation_id, c.turn_index) for c in order_cases(cases, "newest")]
    assert key == [("b", 0), ("c", 0), ("a", 0), ("a", 2)]  # untimed last
    assert [(c.conversation_id, c.turn_index) for c in order_cases(cases, "oldest")] == [
        ("a", 0), ("c", 0), ("b", 0), ("a", 2)]
    # The selected conversation first (in its own order), then the rest newest first.
    assert [(c.conversation_id, c.turn_index) for c in order_cases(cases, "selected", ["a"])] == [
        ("a", 0), ("a", 2), ("b", 0), ("c", 0)]


def test_a_plan_is_large_by_turns_or_by_time() -> None:
    assert not is_large(Plan(turns=50))
    assert is_large(Plan(turns=51))
    assert is_large(Plan(turns=3, seconds=121))
    assert not is_large(Plan(turns=3, seconds=None))
    assert is_large(Plan(turns=3), max_turns=2)


def test_the_measured_speed_is_kept_for_the_next_estimate() -> None:
    key = local_key("abc123", "compact-2")
    meter = SpeedMeter(key)
    for tokens, ms in ((100, 1100.0), (200, 2100.0), (400, 4100.0)):
        meter.add(tokens, ms)
    meter.add(999, 50.0, parse_ok=False)  # an unreadable answer is not a measurement
    saved = meter.save()
    assert saved is not None and load_speed(key) == saved
    assert abs(saved.seconds_per_token - 0.01) < 1e-9 and abs(saved.seconds_per_turn - 0.1) < 1e-6
    assert saved.turns_measured == 3
    parallel = SpeedMeter("server:http://127.0.0.1:1/v1:", parallel=4)
    for tokens, ms in ((100, 1000.0), (200, 2000.0), (300, 3000.0)):
        parallel.add(tokens, ms)
    assert parallel.save() is None and load_speed("server:http://127.0.0.1:1/v1:") is None


def _store_with_conversation(tmp_path: Path) -> tuple[Store, str]:
    store = Store(tmp_path / "memories.db")
    conversation = Conversation.from_dict({
        "id": "c1", "title": "Dutch", "created_at": "2025-03-02T10:00:00+00:00",
        "turns": [
            {"role": "user", "text": "ok", "time": "2025-03-02T10:00:00+00:00", "source_id": "m1"},
            {"role": "assistant", "text": "Hello!", "time": "2025-03-02T10:01:00+00:00", "source_id": "m2"},
            {"role": "user", "text": "I passed the A2 exam.", "source_id": "m3"},  # no time of its own
        ]})
    store.import_file(ImportedFile(format_name="test", conversations=[conversation]), "test.json")
    return store, "c1"


def test_skipped_turns_are_recorded_counted_and_cleared_by_a_result(tmp_path: Path) -> None:
    store, cid = _store_with_conversation(tmp_path)
    try:
        assert skipped_total(store) == 0
        assert record_skips(store, [(cid, 0, "short", "short (under 5 characters)")]) == 1
        turn_id = store.turn_id(cid, 0)
        assert skipped_turns(store, cid) == {turn_id: "short (under 5 characters)"}
        assert skipped_counts(store, [cid, "other"]) == {cid: 1}
        assert skipped_total(store) == 1 and skipped_total(store, [cid]) == 1 and skipped_total(store, []) == 0
        # Extracted on demand: no longer skipped, whatever the mark said.
        info = RunInfo(model="m", prompt_version="p")
        run = store.start_run(info)
        store.record_result(run, info, TurnResult(conversation_id=cid, turn_index=0, parse_ok=True))
        assert skipped_turns(store, cid) == {} and skipped_total(store) == 0
    finally:
        store.close()


def test_a_turn_without_time_gets_the_conversations_date_from_the_store(tmp_path: Path) -> None:
    store, cid = _store_with_conversation(tmp_path)
    try:
        cases = store.conversation(cid).extraction_cases("Asia/Tokyo", "hour")
    finally:
        store.close()
    first, second = cases
    assert (first.time_source, first.timezone) == ("turn", "Asia/Tokyo")
    assert (first.time.hour, first.time.minute) == (19, 0)  # 10:00 UTC is 19:00 in Tokyo, cut to the hour
    assert second.time_source == "conversation"
    assert second.time is not None and second.time.date().isoformat() == "2025-03-02"


def test_extraction_settings_persist_and_an_older_file_loads_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings()
    settings.extraction = ExtractionSettings(timezone="Europe/Lisbon", time_grain="minute", skip_min_chars=12,
                                             skip_code=True, order="oldest", confirm_turns=10)
    settings.save(path)
    again = Settings.load(path)
    assert again.extraction == settings.extraction and again.take_problems() == []
    # A version-2 file written before these settings existed: loads as is, with the defaults.
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "model_path": "/m.gguf"}), encoding="utf-8")
    old = Settings.load(path)
    assert old.take_problems() == [] and old.model_path == "/m.gguf"
    assert old.extraction == ExtractionSettings()
    assert old.extraction.timezone is None and old.extraction.time_grain == "day"
    assert paths.settings_path() != path  # the test wrote only its own file


def test_the_exact_count_equals_rendering_every_turn_in_full_and_can_be_stopped(demo_model: Path,
                                                                               sample_export: Path) -> None:
    """plan_local renders each day's prefix once and tokenizes the template's fixed text once: the
    figures must be those of rendering and tokenizing every turn on its own."""
    import pytest
    from llama_cpp import Llama

    from scallop_curator.extraction.plan import Stopped, plan_local
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.extraction.rendering import PromptRenderer
    from scallop_curator.importers import load_export

    profile = load_prompt("scallopbot")
    cases = [case for c in load_export(sample_export).conversations for case in c.extraction_cases("Europe/Lisbon", "hour")]
    llm = Llama(model_path=str(demo_model), vocab_only=True, verbose=False)
    try:
        renderer = PromptRenderer(llm, profile)
        each = [renderer.case_tokens(case) for case in cases]
    finally:
        llm.close()
    prefixes = {tuple(prefix) for _total, prefix in each}
    plan = plan_local(demo_model, profile, cases, None)
    assert plan.turns == len(cases) and len(prefixes) > 1
    assert plan.prompt_tokens == sum(total for total, _prefix in each)
    assert plan.own_tokens == sum(total - len(prefix) for total, prefix in each)
    assert plan.distinct_prefixes == len(prefixes)
    assert plan.evaluated_tokens == plan.own_tokens + sum(len(p) for p in prefixes)

    asked: list[int] = []
    with pytest.raises(Stopped):
        plan_local(demo_model, profile, cases, None, should_stop=lambda: asked.append(1) or len(asked) > 3)
    assert len(asked) == 4  # stopped at the fourth turn, not at the end
