"""ScallopBot's ``memories.db`` as a case source: its ``llm_traces`` rows of purpose ``fact_extract``
hold the teacher's prompt and answer, when full tracing was on (``LLM_TRACE_CONTENT_MODE=full``).

Shapes, from ScallopBot's ``src/routing/trace-tap.ts`` and ``src/memory/fact-extractor.ts``:

* ``prompt`` is ``{"system", "messages": [{"role": "user", "content": PROMPT}], "tools"}`` (content a
  string or text blocks). PROMPT is the instructions (with ``CURRENT DATE:`` / ``CURRENT TIME:``
  lines near the top), then optionally ``Context from previous messages:\\n<context>\\n\\n``, then
  ``User message:\\n<message>\\n\\nExtract facts ... (JSON only):``.
* ``response`` is ``{"content": TEXT or blocks, "stopReason"}``; TEXT holds
  ``{"facts": [...], "proactive_triggers": [...]}`` (triggers are ignored here).
* Without full tracing both fields are ``{"content_retained": false, "bytes", "sha256"}``.

The database belongs to ScallopBot: opened read-only. Rows that cannot become cases are counted
and reported by id, never dropped silently.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scallop_curator.evaluation.cases import CaseFact, CaseProblem, EvalCase, Reference
from scallop_curator.importers.base import open_sqlite_readonly
from scallop_curator.importers.scallopbot import content_text

PURPOSE = "fact_extract"
CONTEXT_MARK = "Context from previous messages:\n"
MESSAGE_MARK = "User message:\n"
CLOSING = re.compile(r"\n\nExtract facts[^\n]*\(JSON only\):\s*\Z")
DATE_LINE = re.compile(r"^CURRENT DATE:[ \t]*(.+?)[ \t]*$", re.MULTILINE)
THINK = re.compile(r"<think>.*?</think>", re.DOTALL)


class Malformed(ValueError):
    """One trace row that is not a usable case; the message says why."""


@dataclass
class TraceCases:
    cases: list[EvalCase] = field(default_factory=list)
    rows: int = 0
    without_content: list[int] = field(default_factory=list)
    malformed: list[tuple[int, str]] = field(default_factory=list)

    def report(self) -> str:
        parts = [f"{self.rows} fact_extract traces: {len(self.cases)} cases"]
        if self.without_content:
            parts.append(f"{len(self.without_content)} without content (tracing was not 'full')")
        if self.malformed:
            parts.append(f"{len(self.malformed)} malformed")
        return ", ".join(parts)


def is_trace_db(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                return False
        conn = open_sqlite_readonly(path)
        try:
            return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='llm_traces'").fetchone() is not None
        finally:
            conn.close()
    except (OSError, sqlite3.Error):
        return False


def _retained(field_text: str) -> Any:
    """The JSON of a prompt/response field, or None when only a hash was kept."""
    if field_text.endswith("…[truncated]"):
        raise Malformed("cut at ScallopBot's 256 KiB trace limit")
    try:
        value = json.loads(field_text)
    except ValueError:
        return field_text  # an older row with the text itself
    if isinstance(value, dict) and value.get("content_retained") is False:
        return None
    return value


def prompt_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        users = [m for m in value["messages"] if isinstance(m, dict) and m.get("role") == "user"]
        if users:
            content = users[-1].get("content")
            return content_text(content if isinstance(content, str) else json.dumps(content))
    raise Malformed("the prompt holds no user message")


def parse_prompt(text: str) -> tuple[str | None, str, str | None]:
    """(context, message, date) from a fact-extraction prompt."""
    closing = CLOSING.search(text)
    if closing is None:
        raise Malformed("the prompt does not end with the 'Extract facts ... (JSON only):' line")
    body = text[: closing.start()]
    start = body.find("\n\n" + CONTEXT_MARK)
    context = None
    if start >= 0:
        after = start + 2 + len(CONTEXT_MARK)
        end = body.find("\n\n" + MESSAGE_MARK, after)
        if end < 0:
            raise Malformed("the prompt has a context but no 'User message:'")
        context = body[after:end]
        message_at = end + 2 + len(MESSAGE_MARK)
    else:
        found = body.find("\n\n" + MESSAGE_MARK)
        if found < 0:
            raise Malformed("the prompt has no 'User message:'")
        message_at = found + 2 + len(MESSAGE_MARK)
    message = body[message_at:]
    if not message.strip():
        raise Malformed("the user message is empty")
    date_match = DATE_LINE.search(body[: start if start >= 0 else message_at])
    return context, message, _iso_date(date_match.group(1)) if date_match else None


def _iso_date(text: str) -> str:
    """ScallopBot writes ``Thursday, November 26, 2026`` (en-US); keep other forms as written."""
    for pattern in ("%A, %B %d, %Y", "%B %d, %Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return text


def response_facts(value: Any) -> list[CaseFact]:
    content = value.get("content") if isinstance(value, dict) and "content" in value else value
    text = content_text(json.dumps(content) if isinstance(content, list) else content)
    text = THINK.sub("", text)
    fenced = re.search(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.DOTALL)
    candidates = [fenced.group(1)] if fenced else []
    first, last = text.find("{"), text.rfind("}")
    if first >= 0 and last > first:
        candidates.append(text[first : last + 1])
    for candidate in candidates:
        try:
            answer = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(answer, dict) and isinstance(answer.get("facts", []), list):
            facts = []
            for raw in answer.get("facts", []):
                if isinstance(raw, dict):
                    raw = {**raw, "old_value": raw.get("old_value") or None, "replaces": raw.get("replaces") or None}
                try:
                    facts.append(CaseFact.model_validate(raw))
                except ValidationError as error:
                    raise Malformed(f"a teacher fact is not in the fact schema ({error.errors()[0]['msg']})") from None
            return facts
    raise Malformed("the teacher's answer holds no JSON object with 'facts'")


def row_case(row_id: int, prompt: str, response: str) -> EvalCase | None:
    """The case of one row; None when the row kept only hashes. Raises Malformed."""
    prompt_value, response_value = _retained(prompt), _retained(response)
    if prompt_value is None or response_value is None:
        return None
    context, message, date = parse_prompt(prompt_text(prompt_value))
    facts = response_facts(response_value)
    return EvalCase(case_id=f"trace-{row_id}", context=context, message=message, date=date,
                    reference=Reference(facts=facts), tags=["scallopbot-trace"])


def read_traces(path: str | Path) -> TraceCases:
    path = Path(path)
    out = TraceCases()
    try:
        conn = open_sqlite_readonly(path)
        try:
            rows = conn.execute("SELECT id, prompt, response, session_id FROM llm_traces WHERE purpose = ? ORDER BY ts, id",
                                (PURPOSE,)).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as error:
        raise CaseProblem(f"{path}: its llm_traces table cannot be read ({error})") from None
    for row_id, prompt, response, session in rows:
        out.rows += 1
        try:
            case = row_case(int(row_id), str(prompt or ""), str(response or ""))
        except Malformed as problem:
            out.malformed.append((int(row_id), str(problem)))
            continue
        if case is None:
            out.without_content.append(int(row_id))
        else:
            out.cases.append(case.model_copy(update={"session": session}) if session else case)
    return out
