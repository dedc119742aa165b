"""ScallopBot ``llm_traces`` as cases: full, hash-only, cut and malformed rows, in a database built
here in ScallopBot's own schema (``src/memory/db.ts``) with rows shaped as ``src/routing/trace-tap.ts``
writes them."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from scallop_curator.evaluation.cases import CaseProblem
from scallop_curator.evaluation.sources import load_sources
from scallop_curator.evaluation.traces import is_trace_db, parse_prompt, read_traces

SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_traces (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  purpose TEXT NOT NULL,
  model TEXT NOT NULL,
  provider TEXT NOT NULL,
  prompt TEXT NOT NULL,
  response TEXT NOT NULL,
  parsed_ok INTEGER NOT NULL,
  session_id TEXT,
  latency_ms INTEGER,
  stop_reason TEXT,
  request_max_tokens INTEGER,
  model_context_window_tokens INTEGER,
  model_max_output_tokens INTEGER
);
CREATE INDEX IF NOT EXISTS idx_llm_traces_ts ON llm_traces(ts DESC);
CREATE INDEX IF NOT EXISTS idx_llm_traces_purpose ON llm_traces(purpose, ts DESC);
"""

INSTRUCTIONS = """You are a fact extraction system. Extract factual information, detect memory actions, AND identify proactive triggers from the user's message.

CURRENT DATE: Thursday, November 26, 2026
CURRENT TIME: 08:15 PM

Rules:
1. Extract CONCRETE facts

Respond with JSON only:
{
  "facts": [
    { "content": "fact text", "subject": "user|agent|name", "category": "category" }
  ]
}

Authoritative user timezone: Europe/Lisbon. Treat clocks without an explicit timezone as local wall-clock times in Europe/Lisbon.

"""


def prompt_text(message: str, context: str | None = None) -> str:
    text = INSTRUCTIONS
    if context:
        text += f"Context from previous messages:\n{context}\n\n"
    return text + f"User message:\n{message}\n\nExtract facts and triggers (JSON only):"


def full_prompt(text: str) -> str:
    return json.dumps({"system": None, "messages": [{"role": "user", "content": text}], "tools": None})


def full_response(content: object) -> str:
    return json.dumps({"content": content, "stopReason": "end_turn"})


def hashed(serialized: str) -> str:
    return json.dumps({"content_retained": False, "bytes": len(serialized.encode()),
                       "sha256": hashlib.sha256(serialized.encode()).hexdigest()})


ANSWER = {"facts": [
    {"content": "Lives in Porto", "subject": "user", "category": "location", "confidence": 0.9, "action": "fact"},
    {"content": "Sister is Ana", "subject": "user", "category": "relationship", "confidence": 0.8,
     "action": "fact", "old_value": "", "replaces": ""},
], "proactive_triggers": [{"type": "follow_up", "kind": "nudge", "description": "How was the move?"}]}


def make_traces_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    rows = [
        # 1: full, with context, a fenced answer with two facts and a trigger
        ("fact_extract", full_prompt(prompt_text("moved there last spring, my sister Ana too",
                                                 "Where did you end up living?\n\nPorto or Lisbon?")),
         full_response("```json\n" + json.dumps(ANSWER) + "\n```"), 1, "tg-42"),
        # 2: full, no context, the answer as text blocks, nothing to keep
        ("fact_extract", full_prompt(prompt_text("thanks, that's all")),
         full_response([{"type": "text", "text": '{"facts": [], "proactive_triggers": []}'}]), 1, None),
        # 3: metadata-only tracing (ScallopBot's default): hashes and sizes
        ("fact_extract", hashed("a prompt"), hashed("an answer"), 1, "tg-42"),
        # 4: malformed: a prompt without the user message
        ("fact_extract", full_prompt(INSTRUCTIONS + "Extract facts and triggers (JSON only):"),
         full_response('{"facts": []}'), 1, None),
        # 5: malformed: the teacher answered prose
        ("fact_extract", full_prompt(prompt_text("I work at Acme")), full_response("Sorry, I cannot help."), 0, None),
        # 6: cut at the 256 KiB limit
        ("fact_extract", full_prompt(prompt_text("x" * 20))[:100] + "…[truncated]", full_response("{}"), 1, None),
        # 7: another purpose: not a fact extraction, not counted
        ("memory_manage", full_prompt("decide"), full_response("{}"), 1, None),
    ]
    for ts, (purpose, prompt, response, parsed_ok, session) in enumerate(rows, start=1_764_000_000_000):
        conn.execute("INSERT INTO llm_traces (ts, purpose, model, provider, prompt, response, parsed_ok, session_id, "
                     "latency_ms, stop_reason) VALUES (?, ?, 'gpt-x', 'openai', ?, ?, ?, ?, 900, 'end_turn')",
                     (ts, purpose, prompt, response, parsed_ok, session))
    conn.commit()
    conn.close()
    return path


@pytest.fixture
def traces_db(tmp_path: Path) -> Path:
    return make_traces_db(tmp_path / "memories.db")


def test_rows_become_cases_and_the_rest_is_counted(traces_db: Path) -> None:
    before = traces_db.read_bytes()
    found = read_traces(traces_db)
    assert found.rows == 6
    assert [c.case_id for c in found.cases] == ["trace-1", "trace-2"]
    assert found.without_content == [3]
    assert [row for row, _why in found.malformed] == [4, 5, 6]
    assert "User message" in found.malformed[0][1]
    assert "JSON" in found.malformed[1][1]
    assert "256 KiB" in found.malformed[2][1]
    assert found.report() == "6 fact_extract traces: 2 cases, 1 without content (tracing was not 'full'), 3 malformed"
    assert traces_db.read_bytes() == before  # opened read-only


def test_a_full_row_keeps_message_context_date_and_facts(traces_db: Path) -> None:
    first, second = read_traces(traces_db).cases
    assert first.message == "moved there last spring, my sister Ana too"
    assert first.context == "Where did you end up living?\n\nPorto or Lisbon?"
    assert first.date == "2026-11-26"
    assert first.session == "tg-42"
    assert [(f.content, f.category, f.old_value, f.replaces) for f in first.reference.facts] == [
        ("Lives in Porto", "location", None, None), ("Sister is Ana", "relationship", None, None)]
    assert second.context is None and second.message == "thanks, that's all" and second.reference.facts == []


def test_load_sources_recognises_the_database_and_reports(traces_db: Path) -> None:
    assert is_trace_db(traces_db)
    loaded = load_sources([traces_db])
    assert len(loaded.cases) == 2
    assert loaded.notes[0].startswith(f"{traces_db}: 6 fact_extract traces: 2 cases")
    assert "row 4:" in loaded.notes[0]


def test_a_message_may_contain_the_markers_of_the_prompt() -> None:
    context, message, date = parse_prompt(prompt_text("User message:\nquoted", "Context from previous messages: none"))
    assert context == "Context from previous messages: none"
    assert message == "User message:\nquoted"
    assert date == "2026-11-26"


def test_a_database_without_traces_is_not_a_case_source(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert not is_trace_db(other)
    with pytest.raises(CaseProblem, match="other.db"):
        load_sources([other])
