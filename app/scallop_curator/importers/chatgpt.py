"""ChatGPT's data export: the visible thread is the path to ``current_node``.

The same conversations arrive as ``conversations.json``, the downloaded zip, sharded
``conversations-000.json`` files (zip or folder, with ``export_manifest.json``), or ``chat.html``
with the list embedded as ``var jsonData = [...]``; :mod:`base` hands all of them over as items.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ImportedFile, Source, collect, title_of

ROLES = {"user": "user", "assistant": "assistant", "system": "system", "tool": "tool"}

# The model's private reasoning and the user's saved instructions/memories: never review text.
NOT_REVIEW_TEXT = {"thoughts", "reasoning_recap", "user_editable_context", "model_editable_context"}


def _time(value: Any) -> datetime | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1e11:
        try:
            return datetime.fromtimestamp(value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, dict):
        if isinstance(part.get("text"), str):
            return part["text"]
        kind = part.get("content_type")
        if kind == "image_asset_pointer":
            return "[image]"
        if kind == "audio_transcription" and isinstance(part.get("text"), str):
            return part["text"]
    return ""


def message_text(content: dict[str, Any]) -> str:
    """Readable text of one message's content, whatever its content type."""
    kind = content.get("content_type", "text")
    if kind in NOT_REVIEW_TEXT:
        return ""
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
    metadata = message.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    return message.get("weight", 1) == 0 or bool(metadata.get("is_visually_hidden_from_conversation"))


def _children(node: dict[str, Any]) -> list[Any]:
    children = node.get("children")
    return children if isinstance(children, list) else []


def _sort_time(node: Any) -> float:
    message = node.get("message") if isinstance(node, dict) else None
    value = message.get("create_time") if isinstance(message, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def visible_thread(mapping: dict[str, Any], current_node: str | None) -> list[dict[str, Any]]:
    """Messages from the root to ``current_node``; following all children would mix regenerations."""
    if current_node is None or current_node not in mapping:
        # Older exports lack current_node: take the newest leaf.
        leaves = [
            k for k, v in mapping.items()
            if isinstance(v, dict) and not any(isinstance(c, str) and c in mapping for c in _children(v))
        ]
        if not leaves:
            return []
        current_node = max(leaves, key=lambda k: _sort_time(mapping[k]))
    path: list[dict[str, Any]] = []
    seen: set[str] = set()
    node_id: str | None = current_node
    while isinstance(node_id, str) and node_id in mapping and node_id not in seen:
        seen.add(node_id)
        node = mapping[node_id]
        if not isinstance(node, dict):
            raise ValueError(f"node {node_id[:40]!r} is not an object")
        if isinstance(node.get("message"), dict):
            path.append(node["message"])
        node_id = node.get("parent")
    path.reverse()
    return path


def parse_conversation(raw: dict[str, Any]) -> Conversation:
    mapping = raw.get("mapping")
    if not isinstance(mapping, dict):
        raise ValueError("it has no message mapping")
    conv_id = raw.get("conversation_id") or raw.get("id") or ""
    if not isinstance(conv_id, (str, int)) or isinstance(conv_id, bool) or not str(conv_id):
        raise ValueError("it has no id")
    turns: list[Turn] = []
    for message in visible_thread(mapping, raw.get("current_node")):
        author = message.get("author")
        role = ROLES.get(author.get("role")) if isinstance(author, dict) and isinstance(author.get("role"), str) else None
        if role is None or _is_hidden(message):
            continue
        content = message.get("content")
        text = message_text(content).strip() if isinstance(content, dict) else ""
        if not text:
            continue
        turns.append(
            Turn(role=role, text=text, time=_time(message.get("create_time")), source_id=str(message.get("id")))
        )
    return Conversation(
        id=f"chatgpt:{conv_id}",
        title=raw["title"] if isinstance(raw.get("title"), str) and raw["title"] else "Untitled",
        created_at=_time(raw.get("create_time")),
        updated_at=_time(raw.get("update_time")),
        turns=turns,
    )


def _is_conversation(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("mapping"), dict)


class ChatGPTImporter:
    name = "ChatGPT export"

    def detect(self, source: Source) -> bool:
        items = source.first_items()
        return source.kind == "json" and bool(items) and _is_conversation(items[0])

    def parse(self, source: Source) -> ImportedFile:
        def parse_one(raw: Any) -> Conversation:
            if not isinstance(raw, dict):
                raise ValueError("it is not an object")
            return parse_conversation(raw)

        return collect(self.name, source.items(), parse_one, lambda r, i: title_of(r, i, "title"))
