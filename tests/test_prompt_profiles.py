"""Prompt profiles: the bundled ones render exactly, profiles made from a ScallopBot-shaped source
file and from an ``llm_traces`` row reproduce the prompts they came from, answers in both shapes
parse, and turn times come from the export in the user's timezone."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.extraction.output import parse_facts
from scallop_curator.extraction.profile_make import make_profile
from scallop_curator.extraction.profiles import PromptError, load_profile

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "prompts"
LISBON = ZoneInfo("Europe/Lisbon")
WHEN = datetime(2025, 5, 14, 21, 12, tzinfo=LISBON)
REPLY = "Porto is lovely in May.\n\nWant a {message} placeholder? No."


def scallopbot_instructions() -> str:
    """The fixed instructions between the clock lines and the timezone line, from the profile file."""
    user = load_profile("scallopbot").user
    return user[user.index("\n\nACTIONS:"):user.index("\n\nUser timezone:")]


def test_scallopbot_profile_renders_exact_bytes_with_context():
    messages = load_profile("scallopbot").messages(REPLY, "I moved here last week.", WHEN, "Europe/Lisbon")
    expected = (
        "You read one message that a user sent to an AI assistant. Pick out what is worth remembering about "
        "the user, and notice when they ask for stored memories to change.\n\n"
        "CURRENT DATE: Wednesday, May 14, 2025\n"
        "CURRENT TIME: 09:12 PM"
        + scallopbot_instructions()
        + "\n\nUser timezone: Europe/Lisbon. Clock times in the message are local times in Europe/Lisbon.\n\n"
        "Context from previous messages:\n"
        "Porto is lovely in May.\n\nWant a {message} placeholder? No.\n\n"
        "User message:\n"
        "I moved here last week.\n\n"
        "Answer with the JSON object only:"
    )
    assert messages == [{"role": "user", "content": expected}]
    assert (FIXTURES / "scallopbot-with-context.txt").read_text(encoding="utf-8") == expected


def test_scallopbot_profile_renders_exact_bytes_without_context():
    morning = datetime(2024, 12, 1, 9, 5, tzinfo=ZoneInfo("America/New_York"))
    (message,) = load_profile("scallopbot").messages(None, "hi", morning, "America/New_York")
    content = message["content"]
    assert message["role"] == "user"
    assert "CURRENT DATE: Sunday, December 1, 2024\nCURRENT TIME: 09:05 AM\n\nACTIONS:" in content
    assert content.endswith(
        "\n\nUser timezone: America/New_York. Clock times in the message are local times in America/New_York.\n\n"
        "User message:\nhi\n\nAnswer with the JSON object only:"
    )
    assert "Context from previous messages" not in content
    assert (FIXTURES / "scallopbot-without-context.txt").read_text(encoding="utf-8") == content


def test_scallopbot_asks_for_facts_then_triggers_with_all_seven_fields_in_order():
    profile = load_profile("scallopbot")
    assert profile.answer == "facts+triggers" and profile.system is None and profile.uses_clock
    line = next(line for line in profile.user.splitlines() if '"content"' in line)
    fields = ["content", "subject", "category", "confidence", "action", "old_value", "replaces"]
    assert [line.index(f'"{name}"') for name in fields] == sorted(line.index(f'"{name}"') for name in fields)
    assert profile.user.index('"facts"') < profile.user.index('"proactive_triggers"')


def test_compact_profile_keeps_a_fixed_system_message_and_no_clock():
    profile = load_profile()
    assert profile.name == "compact" and not profile.uses_clock
    system, user = profile.messages(None, "hello", WHEN)
    assert system["role"] == "system" and user["role"] == "user"
    assert user["content"] == "Assistant's previous reply:\n(none)\n\nUser message:\nhello"
    assert profile.messages("the reply", "hi", WHEN)[1]["content"].startswith("Assistant's previous reply:\nthe reply\n\n")


def test_an_old_two_part_prompt_file_still_loads(tmp_path: Path):
    file = tmp_path / "mine.txt"
    file.write_text("# comment\nBe brief.\n=== user ===\nReply: {context}\nMessage: {message}\n", encoding="utf-8")
    profile = load_profile(file)
    assert profile.version.startswith("custom-") and profile.answer == "facts"
    assert profile.messages(None, "x") == [{"role": "system", "content": "Be brief."},
                                           {"role": "user", "content": "Reply: (none)\nMessage: x"}]


@pytest.mark.parametrize("text, problem", [
    ('name = "x"\nuser = "no message slot {context}"\n', "never uses {message}"),
    ('user = "{context}{message}"\nanswer = "triggers"\n', "answer 'triggers'"),
    ('user = "{context}{message}"\ncolour = "red"\n', "colour"),
    ('user = "{context}{message}\n', "not valid TOML"),
])
def test_a_broken_profile_file_is_refused_with_the_reason(tmp_path: Path, text: str, problem: str):
    file = tmp_path / "p.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(PromptError, match=problem.replace("{", r"\{").replace("}", r"\}").replace("(", r"\(")):
        load_profile(file)


def test_a_profile_file_round_trips(tmp_path: Path):
    profile = load_profile("scallopbot")
    file = tmp_path / "copy.toml"
    file.write_text(profile.to_toml(), encoding="utf-8")
    again = load_profile(file)
    assert again.messages(REPLY, "m\x7f😀", WHEN, "Europe/Lisbon") == profile.messages(REPLY, "m\x7f😀", WHEN, "Europe/Lisbon")


# ---------------------------------------------------------------- made from the user's ScallopBot
# A file shaped like ScallopBot's fact-extractor.ts (its layout; the wording here is made up).
SOURCE = r"""
export const OTHER = `not this one`;
export const FACT_AND_TRIGGER_EXTRACTION_PROMPT = `Pull facts out of a message.

CURRENT DATE: {{CURRENT_DATE}}
CURRENT TIME: {{CURRENT_TIME}}

Answer as { "facts": [], "proactive_triggers": [] } with \`backticks\` and a \\ backslash.`;

class Extractor {
  async run(message: string, context?: string) {
      const tz = this.getTimezone(userId);
      let prompt = FACT_AND_TRIGGER_EXTRACTION_PROMPT.replace('{{CURRENT_DATE}}', currentDate).replace('{{CURRENT_TIME}}', currentTime) + '\n\n';
      prompt += `Zone: ${tz}. Times are local to ${tz}.\n\n`;
      if (context) {
        prompt += `Context from previous messages:\n${context}\n\n`;
      }
      prompt += `User message:\n${message}\n\nFacts and triggers, JSON only:`;
  }
}
"""


def rendered_like_scallopbot(date: str, time: str, tz: str, context: str | None, message: str) -> str:
    """What that TypeScript builds, written out by hand."""
    prompt = ("Pull facts out of a message.\n\nCURRENT DATE: " + date + "\nCURRENT TIME: " + time
              + '\n\nAnswer as { "facts": [], "proactive_triggers": [] } with `backticks` and a \\ backslash.\n\n')
    prompt += f"Zone: {tz}. Times are local to {tz}.\n\n"
    if context:
        prompt += f"Context from previous messages:\n{context}\n\n"
    return prompt + f"User message:\n{message}\n\nFacts and triggers, JSON only:"


def test_a_profile_made_from_a_scallopbot_source_file_renders_what_scallopbot_would(tmp_path: Path):
    checkout = tmp_path / "scallopbot"
    (checkout / "src" / "memory").mkdir(parents=True)
    (checkout / "src" / "memory" / "fact-extractor.ts").write_text(SOURCE, encoding="utf-8")
    profile = make_profile(checkout)
    assert profile.answer == "facts+triggers" and profile.system is None
    for context in (REPLY, None):
        (message,) = profile.messages(context, "I'm in {date} Lisbon", WHEN, "Europe/Lisbon")
        assert message["content"] == rendered_like_scallopbot(
            "Wednesday, May 14, 2025", "09:12 PM", "Europe/Lisbon", context, "I'm in {date} Lisbon")


def test_a_source_file_without_the_template_is_refused(tmp_path: Path):
    file = tmp_path / "fact-extractor.ts"
    file.write_text("export const X = `nothing`;", encoding="utf-8")
    with pytest.raises(PromptError, match="holds no FACT_AND_TRIGGER_EXTRACTION_PROMPT"):
        make_profile(file)


def traces_db(path: Path, rows: list[tuple[int, str]]) -> Path:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE llm_traces (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, purpose TEXT NOT NULL,"
               " model TEXT NOT NULL, provider TEXT NOT NULL, prompt TEXT NOT NULL, response TEXT NOT NULL,"
               " parsed_ok INTEGER NOT NULL, session_id TEXT)")
    for ts, prompt in rows:
        db.execute("INSERT INTO llm_traces (ts, purpose, model, provider, prompt, response, parsed_ok) "
                   "VALUES (?, 'fact_extract', 'm', 'p', ?, '{}', 1)", [ts, prompt])
    db.commit()
    db.close()
    return path


def serialized(prompt: str) -> str:
    """The way ScallopBot's trace tap stores a request."""
    return json.dumps({"system": None, "messages": [{"role": "user", "content": prompt}], "tools": None})


def test_a_profile_made_from_llm_traces_rows_reproduces_the_traced_prompts(tmp_path: Path):
    with_context = rendered_like_scallopbot("Monday, March 3, 2025", "08:30 AM", "Europe/Dublin",
                                            "Sure, Dublin it is.", "We moved to Dublin.")
    without = rendered_like_scallopbot("Tuesday, March 4, 2025", "11:02 PM", "Europe/Dublin", None, "hello")
    metadata_only = json.dumps({"content_retained": False, "bytes": 10, "sha256": "ab"})
    db = traces_db(tmp_path / "memories.db", [(1, serialized(with_context)), (2, serialized(without)), (3, metadata_only)])

    profile = make_profile(db)
    tz = ZoneInfo("Europe/Dublin")
    (a,) = profile.messages("Sure, Dublin it is.", "We moved to Dublin.", datetime(2025, 3, 3, 8, 30, tzinfo=tz), "Europe/Dublin")
    (b,) = profile.messages(None, "hello", datetime(2025, 3, 4, 23, 2, tzinfo=tz), "Europe/Dublin")
    assert a["content"] == with_context
    assert b["content"] == without
    assert profile.answer == "facts+triggers"


def test_traces_that_kept_no_text_say_how_to_get_it(tmp_path: Path):
    db = traces_db(tmp_path / "memories.db", [(1, json.dumps({"content_retained": False, "bytes": 1, "sha256": "x"}))])
    with pytest.raises(PromptError, match="LLM_TRACE_CONTENT_MODE=full"):
        make_profile(db)


# ---------------------------------------------------------------- answers in both shapes
FACT = {"content": "Moved to Dublin", "subject": "user", "category": "location", "confidence": 0.9,
        "action": "fact", "old_value": None, "replaces": None}


@pytest.mark.parametrize("answer", [{"facts": [FACT]}, {"facts": [FACT], "proactive_triggers": []}])
def test_answers_in_both_shapes_parse(answer: dict):
    (fact,) = parse_facts(json.dumps(answer))
    assert fact.content == "Moved to Dublin" and fact.category == "location"


def test_the_triggers_shape_allows_only_an_empty_trigger_list():
    from scallop_curator.extraction.grammar import answer_json_schema, max_answer_tokens

    schema = answer_json_schema("facts+triggers")
    assert list(schema["properties"]) == ["facts", "proactive_triggers"]
    assert schema["properties"]["proactive_triggers"] == {"type": "array", "maxItems": 0}
    assert list(answer_json_schema("facts")["properties"]) == ["facts"]
    assert max_answer_tokens("facts+triggers") > max_answer_tokens("facts")


# ---------------------------------------------------------------- turn times
def conversation() -> Conversation:
    return Conversation(id="c", created_at=datetime(2025, 1, 2, 23, 40, tzinfo=timezone.utc), turns=[
        Turn(role="user", text="first", time=datetime(2025, 5, 14, 20, 12, 30, tzinfo=timezone.utc), source_id="1"),
        Turn(role="assistant", text="reply", source_id="2"),
        Turn(role="user", text="second, no timestamp", source_id="3"),
    ])


def test_cases_show_the_turn_s_time_in_the_user_s_zone_else_the_conversation_s_and_say_which():
    first, second = conversation().extraction_cases("Europe/Lisbon", "minute")
    assert first.time == datetime(2025, 5, 14, 21, 12, tzinfo=LISBON) and first.time_source == "turn"
    assert second.time == datetime(2025, 1, 2, 23, 40, tzinfo=LISBON) and second.time_source == "conversation"
    assert first.timezone == second.timezone == "Europe/Lisbon"
    assert second.context == "reply"
    bare = Conversation(id="b", turns=[Turn(role="user", text="x", source_id="1")])
    (case,) = bare.extraction_cases("UTC")
    assert case.time is None and case.time_source == "none"


def test_the_time_grain_cuts_the_shown_time():
    hour, _ = conversation().extraction_cases("Asia/Tokyo", "hour")
    day, _ = conversation().extraction_cases("Asia/Tokyo", "day")
    assert hour.time == datetime(2025, 5, 15, 5, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert day.time == datetime(2025, 5, 15, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_an_unknown_timezone_is_a_plain_error():
    from scallop_curator.domain.clock import UnknownZone

    with pytest.raises(UnknownZone, match="Mars/Olympus"):
        conversation().extraction_cases("Mars/Olympus")


def test_the_default_timezone_is_the_machine_s():
    from scallop_curator.domain.clock import system_zone_name

    first, _ = conversation().extraction_cases()
    assert first.timezone == system_zone_name()
    assert first.time is not None and first.time.utcoffset() is not None


def test_the_triggers_grammar_admits_only_an_empty_list():
    from llama_cpp import LlamaGrammar

    from scallop_curator.extraction.grammar import fact_grammar

    gbnf = fact_grammar("facts+triggers")
    (rule,) = [line for line in gbnf.splitlines() if line.startswith("proactive-triggers-kv ::=")]
    assert rule.endswith('":" space "[" space "]" space')
    assert 'root ::= "{" space facts-kv "," space proactive-triggers-kv "}" space' in gbnf
    LlamaGrammar.from_string(gbnf, verbose=False)


def test_the_system_zone_is_read_once_a_minute_not_once_a_conversation(monkeypatch: pytest.MonkeyPatch) -> None:
    import tzlocal

    from scallop_curator.domain import clock

    reads: list[int] = []
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: reads.append(1) or "Asia/Tokyo")
    monkeypatch.setattr(clock, "_system_zone", None)
    now = [1000.0]
    monkeypatch.setattr(clock, "_now", lambda: now[0])
    assert [clock.system_zone_name() for _ in range(500)] == ["Asia/Tokyo"] * 500
    assert len(reads) == 1
    now[0] += clock.ZONE_SECONDS + 1  # a laptop that moved: seen within the minute
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: reads.append(1) or "Europe/Lisbon")
    assert clock.system_zone_name() == "Europe/Lisbon"
    assert len(reads) == 2
