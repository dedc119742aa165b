"""OpenAI-style ``{"messages": [...]}`` files: one conversation per JSON object or JSONL line."""

from __future__ import annotations

import hashlib
from typing import Any

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ImportedFile, Source

ROLES = {"user": "user", "assistant": "assistant", "system": "system", "tool": "tool", "developer": "system"}


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            p if isinstance(p, str) else str(p.get("text", "")) for p in content if isinstance(p, (str, dict))
        )
    return ""


def _is_message(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("role"), str) and "content" in value


def _is_conversation(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("messages"), list)


def parse_messages(messages: list[Any], key: str, title: str | None) -> Conversation:
    turns: list[Turn] = []
    for index, message in enumerate(messages):
        if not _is_message(message):
            raise ValueError(f"message {index + 1} has no role and content")
        role = ROLES.get(message["role"])
        text = _content_text(message["content"]).strip()
        if role is None or not text:
            continue
        turns.append(Turn(role=role, text=text, source_id=str(index)))
    first_user = next((t.text for t in turns if t.role == "user"), "")
    if title is None:
        title = (first_user.splitlines() or ["Untitled"])[0][:60] or "Untitled"
    return Conversation(id=f"openai:{key}", title=title, turns=turns)


class OpenAIMessagesImporter:
    name = "OpenAI messages file"

    def detect(self, source: Source) -> bool:
        # Only the first items: a streamed list is never read whole just to be recognised.
        if source.kind == "json" and source.top == "dict":
            return _is_conversation(source.head)
        if source.kind in ("json", "jsonl"):
            first = source.first_items()
            return bool(first) and (all(_is_conversation(c) for c in first) or all(_is_message(m) for m in first))
        return False

    def parse(self, source: Source) -> ImportedFile:
        first = source.first_items()
        records: Any = source.items()
        if source.top == "dict":
            records = [source.head]
        elif first and _is_message(first[0]):  # one conversation given as a bare list of messages
            records = [{"messages": list(records)}]
        result = ImportedFile(format_name=self.name, conversations=[])
        for position, record in enumerate(records, start=1):
            try:
                if not _is_conversation(record):
                    raise ValueError("it has no messages list")
                key_source = f"{source.path.name}:{position}:{str(record['messages'][:2])}"
                key = str(record.get("id") or hashlib.sha256(key_source.encode()).hexdigest()[:16])
                result.conversations.append(parse_messages(record["messages"], key, record.get("title")))
            except ValueError as error:
                result.skipped.append((f"conversation {position}", f"was skipped: {error}."))
        return result
