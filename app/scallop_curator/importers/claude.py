"""Claude.ai exports: the bulk ``conversations.json`` (in the zip) and single-conversation files.

Messages carry ``content[]`` blocks (read first) and a ``text`` fallback. Newer exports are trees
(``parent_message_uuid``; an edit or a retry adds a sibling): the visible thread ends at
``current_leaf_message_uuid`` when given, otherwise we follow the latest child from the root.
"""

from __future__ import annotations

import re
from typing import Any

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ImportedFile, Source, collect, iso_time, title_of

SENDERS = {"human": "user", "user": "user", "assistant": "assistant"}
# Private reasoning and tool plumbing: kept out of the text the user reviews.
HIDDEN_BLOCKS = {"thinking", "redacted_thinking", "tool_use", "tool_result", "server_tool_use",
                 "web_search_tool_result", "token_budget"}
ANT_THINKING = re.compile(r"<antThinking>.*?(?:</antThinking>|\Z)", re.DOTALL)


def _is_conversation(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("chat_messages"), list) and "uuid" in value


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    parts: list[str] = []
    if isinstance(content, list):
        for block in content:
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if isinstance(kind, str) and kind in HIDDEN_BLOCKS:
                continue
            if isinstance(block.get("text"), str):
                parts.append(block["text"])
    text = "\n".join(p for p in parts if p.strip())
    if not text.strip() and isinstance(message.get("text"), str):
        text = message["text"]
    return ANT_THINKING.sub("", text).strip()


def _parent(message: dict[str, Any]) -> str | None:
    parent = message.get("parent_message_uuid")
    return parent if isinstance(parent, str) and parent.strip("0-") else None


def _order_key(message: dict[str, Any], position: int) -> tuple[str, int, int]:
    created = message.get("created_at") if isinstance(message.get("created_at"), str) else ""
    index = message.get("index") if isinstance(message.get("index"), int) else position
    return (created, index, position)


def visible_thread(raw: dict[str, Any]) -> list[dict[str, Any]]:
    messages = [m for m in raw["chat_messages"] if isinstance(m, dict)]
    by_uuid = {m["uuid"]: m for m in messages if isinstance(m.get("uuid"), str)}
    if not any(_parent(m) for m in messages):
        return messages  # flat (older) export: the list is the thread
    position = {id(m): i for i, m in enumerate(messages)}
    leaf_id = raw.get("current_leaf_message_uuid")
    if isinstance(leaf_id, str) and leaf_id in by_uuid:
        path: list[dict[str, Any]] = []
        seen: set[str] = set()
        node: dict[str, Any] | None = by_uuid[leaf_id]
        while node is not None and node["uuid"] not in seen:
            seen.add(node["uuid"])
            path.append(node)
            parent = _parent(node)
            node = by_uuid.get(parent) if parent else None
        path.reverse()
        return path
    children: dict[str | None, list[dict[str, Any]]] = {}
    for message in messages:
        parent = _parent(message)
        children.setdefault(parent if parent in by_uuid else None, []).append(message)
    path = []
    seen = set()
    current = None
    while True:
        options = [m for m in children.get(current, []) if id(m) not in seen]
        if not options:
            return path
        chosen = max(options, key=lambda m: _order_key(m, position[id(m)]))
        seen.add(id(chosen))
        path.append(chosen)
        current = chosen.get("uuid") if isinstance(chosen.get("uuid"), str) else object()  # type: ignore[assignment]


def parse_conversation(raw: Any) -> Conversation:
    if not _is_conversation(raw):
        raise ValueError("it has no chat_messages list")
    conv_id = raw["uuid"]
    if not isinstance(conv_id, str) or not conv_id:
        raise ValueError("it has no uuid")
    turns: list[Turn] = []
    for position, message in enumerate(visible_thread(raw)):
        role = SENDERS.get(message.get("sender")) if isinstance(message.get("sender"), str) else None
        if role is None:
            continue
        text = message_text(message)
        if not text:
            continue
        source_id = message.get("uuid") if isinstance(message.get("uuid"), str) else f"{conv_id}:{position}"
        turns.append(Turn(role=role, text=text, time=iso_time(message.get("created_at")), source_id=source_id))
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        first_user = next((t.text for t in turns if t.role == "user"), "")
        name = first_user.splitlines()[0][:60] if first_user else "Untitled"
    return Conversation(
        id=f"claude:{conv_id}",
        title=name,
        created_at=iso_time(raw.get("created_at")),
        updated_at=iso_time(raw.get("updated_at")),
        turns=turns,
    )


class ClaudeImporter:
    name = "Claude export"

    def detect(self, source: Source) -> bool:
        if source.kind != "json":
            return False
        items = [i for i in source.first_items() if i is not None]
        return bool(items) and _is_conversation(items[0])

    def parse(self, source: Source) -> ImportedFile:
        records = (r for r in source.items() if r is not None)
        return collect(self.name, records, parse_conversation, lambda r, i: title_of(r, i, "name", "uuid"))
