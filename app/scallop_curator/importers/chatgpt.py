"""ChatGPT's data export: the visible thread is the path to ``current_node``.

The same conversations arrive as ``conversations.json``, the downloaded zip, sharded
``conversations-000.json`` files (zip or folder, with ``export_manifest.json``), or ``chat.html``
with the list embedded as ``var jsonData = [...]``; :mod:`base` hands all of them over as items.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ROLES, ImportedFile, Source, collect, title_of


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


def _short(node_id: str) -> str:
    return repr(node_id[:40])


def thread_and_problem(mapping: dict[str, Any], current_node: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Messages from the root to ``current_node``, and what was wrong with the tree, if anything.

    Following all children would mix regenerations, so only the parent links up from one node are
    read. A damaged tree (a loop, a message that is its own parent) is read as far as it goes, and
    the problem is said rather than silently leaving turns out.
    """
    problem: str | None = None
    if not isinstance(current_node, str) or current_node not in mapping:
        # Older exports lack current_node: take the newest leaf.
        leaves = [
            k for k, v in mapping.items()
            if isinstance(v, dict) and not any(isinstance(c, str) and c in mapping for c in _children(v))
        ]
        if not leaves:
            nodes = [k for k, v in mapping.items() if isinstance(v, dict)]
            if not nodes:
                return [], None
            # Every node has a child: the children links loop. Read back from the newest message.
            current_node = max(nodes, key=lambda k: _sort_time(mapping[k]))
            problem = ("its messages' links form a loop with no last message, and it names no current message, "
                       f"so the thread was read back from its newest message ({_short(current_node)})")
        else:
            current_node = max(leaves, key=lambda k: _sort_time(mapping[k]))
    adopted: dict[str, str] | None = None  # child -> parent, from the children lists: built only when needed
    path: list[dict[str, Any]] = []
    seen: set[str] = set()
    node_id: Any = current_node
    while isinstance(node_id, str) and node_id in mapping and node_id not in seen:
        seen.add(node_id)
        node = mapping[node_id]
        if not isinstance(node, dict):
            raise ValueError(f"node {node_id[:40]!r} is not an object")
        if isinstance(node.get("message"), dict):
            path.append(node["message"])
        parent = node.get("parent")
        if isinstance(parent, str) and (parent == node_id or parent in seen):
            # A message that is its own parent, or a loop: the parent that lists it as a child may remain.
            if adopted is None:
                adopted = {}
                for key, value in mapping.items():
                    if isinstance(value, dict):
                        for child in _children(value):
                            if isinstance(child, str) and child != key:
                                adopted.setdefault(child, key)
            found = adopted.get(node_id)
            what = ("names itself as its parent" if parent == node_id
                    else f"has a parent link that loops back to {_short(parent)}")
            if found is not None and found not in seen:
                problem = problem or (f"message {_short(node_id)} {what}; the messages before it were "
                                      "found from the children lists instead")
                parent = found
            else:
                problem = problem or (f"message {_short(node_id)} {what}, so the messages before it "
                                      "cannot be placed and are left out")
        node_id = parent
    path.reverse()
    return path, problem


def visible_thread(mapping: dict[str, Any], current_node: str | None) -> list[dict[str, Any]]:
    """Messages from the root to ``current_node`` (see :func:`thread_and_problem`)."""
    return thread_and_problem(mapping, current_node)[0]


def parse_conversation_checked(raw: dict[str, Any]) -> tuple[Conversation, str | None]:
    """One conversation, and what was wrong with its message tree (None when nothing was)."""
    mapping = raw.get("mapping")
    if not isinstance(mapping, dict):
        raise ValueError("it has no message mapping")
    conv_id = raw.get("conversation_id") or raw.get("id") or ""
    if not isinstance(conv_id, (str, int)) or isinstance(conv_id, bool) or not str(conv_id):
        raise ValueError("it has no id")
    messages, problem = thread_and_problem(mapping, raw.get("current_node"))
    turns: list[Turn] = []
    for message in messages:
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
    conversation = Conversation(
        id=f"chatgpt:{conv_id}",
        title=raw["title"] if isinstance(raw.get("title"), str) and raw["title"] else "Untitled",
        created_at=_time(raw.get("create_time")),
        updated_at=_time(raw.get("update_time")),
        turns=turns,
    )
    return conversation, problem


def parse_conversation(raw: dict[str, Any]) -> Conversation:
    return parse_conversation_checked(raw)[0]


def _is_conversation(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("mapping"), dict)


class ChatGPTImporter:
    name = "ChatGPT export"

    def detect(self, source: Source) -> bool:
        items = source.first_items()
        return source.kind == "json" and bool(items) and _is_conversation(items[0])

    def parse(self, source: Source) -> ImportedFile:
        damaged: list[tuple[str, str]] = []
        position = 0

        def parse_one(raw: Any) -> Conversation:
            nonlocal position
            position += 1
            if not isinstance(raw, dict):
                raise ValueError("it is not an object")
            conversation, problem = parse_conversation_checked(raw)
            if problem:
                damaged.append((title_of(raw, position, "title"),
                                f"was imported in part ({len(conversation.turns)} turns): {problem}."))
            return conversation

        result = collect(self.name, source.items(), parse_one, lambda r, i: title_of(r, i, "title"))
        result.skipped.extend(damaged)
        return result
