"""ShareGPT-style datasets: ``{"conversations": [{"from": "human"|"gpt"|"system", "value": ...}]}``.

One conversation per object; a JSON list or JSON Lines of them, or a single object.
"""

from __future__ import annotations

from typing import Any

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ImportedFile, Source, collect, first_line_title, stable_key

ROLES = {
    "human": "user", "user": "user",
    "gpt": "assistant", "chatgpt": "assistant", "assistant": "assistant", "bing": "assistant",
    "bard": "assistant", "model": "assistant", "claude": "assistant",
    "system": "system",
    "tool": "tool", "function": "tool", "function_call": "tool", "observation": "tool",
}


def _is_conversation(value: Any) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("conversations"), list):
        return False
    first = next((m for m in value["conversations"] if m is not None), None)
    return first is None or (isinstance(first, dict) and "from" in first and "value" in first)


def parse_record(record: Any, position: int) -> Conversation:
    if not _is_conversation(record):
        raise ValueError("it has no conversations list of from/value messages")
    turns: list[Turn] = []
    for index, message in enumerate(record["conversations"]):
        if not isinstance(message, dict):
            raise ValueError(f"message {index + 1} is not an object")
        speaker = message.get("from")
        role = ROLES.get(speaker.lower()) if isinstance(speaker, str) else None
        value = message.get("value")
        if role is None or not isinstance(value, str) or not value.strip():
            continue
        turns.append(Turn(role=role, text=value.strip(), source_id=str(index)))
    raw_id = record.get("id")
    key = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and str(raw_id) \
        else stable_key(position, [t.text for t in turns[:2]])
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        title = first_line_title(next((t.text for t in turns if t.role == "user"), ""))
    return Conversation(id=f"sharegpt:{key}", title=title, turns=turns)


class ShareGPTImporter:
    name = "ShareGPT file"

    def detect(self, source: Source) -> bool:
        if source.kind not in ("json", "jsonl"):
            return False
        items = [i for i in source.first_items() if i is not None]
        return bool(items) and _is_conversation(items[0])

    def parse(self, source: Source) -> ImportedFile:
        counter = iter(range(1, 1 << 62))
        return collect(self.name, source.items(), lambda r: parse_record(r, next(counter)),
                       lambda r, i: f"conversation {i}")
