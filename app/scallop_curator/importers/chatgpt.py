"""ChatGPT's data export (``conversations.json``): the visible thread is the path to ``current_node``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ImportedFile, Source

ROLES = {"user": "user", "assistant": "assistant", "system": "system", "tool": "tool"}


def _time(value: Any) -> datetime | None:
    if isinstance(value, (int, float)) and value > 0:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return None


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, dict):
        if isinstance(part.get("text"), str):
            return part["text"]
        if part.get("content_type") == "image_asset_pointer":
            return "[image]"
    return ""


def message_text(content: dict[str, Any]) -> str:
    """Readable text of one message's content, whatever its content type."""
    kind = content.get("content_type", "text")
    if isinstance(content.get("parts"), list):
        return "\n".join(t for t in (_part_text(p) for p in content["parts"]) if t)
    if kind in ("code", "execution_output", "tether_quote") and isinstance(content.get("text"), str):
        return content["text"]
    if kind == "tether_browsing_display" and isinstance(content.get("result"), str):
        return content["result"]
    if isinstance(content.get("text"), str):
        return content["text"]
    return ""


def _is_hidden(message: dict[str, Any]) -> bool:
    metadata = message.get("metadata") or {}
    return message.get("weight", 1) == 0 or bool(metadata.get("is_visually_hidden_from_conversation"))


def visible_thread(mapping: dict[str, Any], current_node: str | None) -> list[dict[str, Any]]:
    """Messages from the root to ``current_node``; following all children would mix regenerations."""
    if current_node is None or current_node not in mapping:
        # Older exports lack current_node: take the newest leaf.
        leaves = [k for k, v in mapping.items() if not any(c in mapping for c in v.get("children") or [])]
        if not leaves:
            return []
        current_node = max(leaves, key=lambda k: ((mapping[k].get("message") or {}).get("create_time") or 0))
    path: list[dict[str, Any]] = []
    seen: set[str] = set()
    node_id: str | None = current_node
    while node_id is not None and node_id in mapping and node_id not in seen:
        seen.add(node_id)
        node = mapping[node_id]
        if node.get("message"):
            path.append(node["message"])
        node_id = node.get("parent")
    path.reverse()
    return path


def parse_conversation(raw: dict[str, Any]) -> Conversation:
    mapping = raw.get("mapping")
    if not isinstance(mapping, dict):
        raise ValueError("it has no message mapping")
    conv_id = str(raw.get("conversation_id") or raw.get("id") or "")
    if not conv_id:
        raise ValueError("it has no id")
    turns: list[Turn] = []
    for message in visible_thread(mapping, raw.get("current_node")):
        role = ROLES.get(((message.get("author") or {}).get("role")) or "")
        if role is None or _is_hidden(message):
            continue
        text = message_text(message.get("content") or {}).strip()
        if not text:
            continue
        turns.append(
            Turn(role=role, text=text, time=_time(message.get("create_time")), source_id=str(message.get("id")))
        )
    return Conversation(
        id=f"chatgpt:{conv_id}",
        title=str(raw.get("title") or "Untitled"),
        created_at=_time(raw.get("create_time")),
        updated_at=_time(raw.get("update_time")),
        turns=turns,
    )


class ChatGPTImporter:
    name = "ChatGPT export"

    def detect(self, source: Source) -> bool:
        data = source.data
        if isinstance(data, dict):
            return isinstance(data.get("mapping"), dict)
        return (
            isinstance(data, list)
            and bool(data)
            and isinstance(data[0], dict)
            and "mapping" in data[0]
        )

    def parse(self, source: Source) -> ImportedFile:
        items = source.data if isinstance(source.data, list) else [source.data]
        result = ImportedFile(format_name=self.name, conversations=[])
        for position, raw in enumerate(items, start=1):
            label = str(raw.get("title") or f"conversation {position}") if isinstance(raw, dict) else f"item {position}"
            try:
                if not isinstance(raw, dict):
                    raise ValueError("it is not an object")
                result.conversations.append(parse_conversation(raw))
            except (ValueError, TypeError, AttributeError) as error:
                result.skipped.append((label, f"was skipped: {error}."))
        return result
