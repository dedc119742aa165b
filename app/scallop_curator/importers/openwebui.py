"""Open WebUI chat exports: a list of ``{id, title, chat: {history: {messages, currentId}}}``.

``history.messages`` is a tree keyed by id (``parentId``/``childrenIds``); the thread shown is the
path from the root to ``currentId``. Reasoning is inlined as ``<details type="reasoning">``.
"""

from __future__ import annotations

import re
from typing import Any

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import (
    ROLES,
    ImportedFile,
    Source,
    collect,
    epoch_time,
    first_line_title,
    stable_key,
    strip_think,
    title_of,
)

REASONING = re.compile(r"<details\b[^>]*\btype=[\"']?(?:reasoning|tool_calls|code_interpreter)[\"']?[^>]*>.*?(?:</details>|\Z)",
                       re.DOTALL | re.IGNORECASE)


def clean(text: str) -> str:
    return strip_think(REASONING.sub("", text)).strip()


def _chat(record: Any) -> dict[str, Any] | None:
    if isinstance(record, dict):
        chat = record.get("chat") if isinstance(record.get("chat"), dict) else record
        history = chat.get("history")
        if isinstance(history, dict) and isinstance(history.get("messages"), dict):
            return chat
    return None


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        content = "\n".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return clean(content) if isinstance(content, str) else ""


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def thread(history: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    messages = history["messages"]
    current = history.get("currentId")
    if not isinstance(current, str) or current not in messages:
        # No pointer: the newest leaf.
        leaves = [k for k, m in messages.items() if isinstance(m, dict) and not m.get("childrenIds")]
        if not leaves:
            return []
        current = max(leaves, key=lambda k: _number(messages[k].get("timestamp")))
    path: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    node_id: Any = current
    while isinstance(node_id, str) and node_id in messages and node_id not in seen:
        seen.add(node_id)
        message = messages[node_id]
        if not isinstance(message, dict):
            raise ValueError(f"message {node_id[:40]!r} is not an object")
        path.append((node_id, message))
        node_id = message.get("parentId")
    path.reverse()
    return path


def parse_record(record: Any) -> Conversation:
    chat = _chat(record)
    if chat is None:
        raise ValueError("it has no chat history")
    turns = []
    for node_id, message in thread(chat["history"]):
        role = ROLES.get(message.get("role")) if isinstance(message.get("role"), str) else None
        text = _content(message)
        if role is None or not text:
            continue
        turns.append(Turn(role=role, text=text, time=epoch_time(message.get("timestamp")), source_id=node_id))
    conv_id = record.get("id") if isinstance(record.get("id"), str) and record.get("id") else chat.get("id")
    if not isinstance(conv_id, str) or not conv_id:
        conv_id = stable_key([t.text for t in turns[:2]])
    title = record.get("title") or chat.get("title")
    if not isinstance(title, str) or not title.strip():
        title = first_line_title(next((t.text for t in turns if t.role == "user"), ""))
    return Conversation(
        id=f"openwebui:{conv_id}",
        title=title,
        created_at=epoch_time(record.get("created_at") or chat.get("timestamp")),
        updated_at=epoch_time(record.get("updated_at")),
        turns=turns,
    )


class OpenWebUIImporter:
    name = "Open WebUI export"

    def detect(self, source: Source) -> bool:
        items = source.first_items()
        return source.kind == "json" and bool(items) and _chat(items[0]) is not None

    def parse(self, source: Source) -> ImportedFile:
        return collect(self.name, source.items(), parse_record, lambda r, i: title_of(r, i, "title", "id"))
