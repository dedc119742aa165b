"""LM Studio conversation files (``~/.lmstudio/conversations/*.conversation.json``).

Each message has ``versions`` (regenerations and edits) and ``currentlySelected`` picks the one shown.
User versions hold ``content`` blocks; assistant versions are ``multiStep`` with ``steps`` of
``contentBlock``s. Reasoning blocks and ``<think>`` text are left out.
"""

from __future__ import annotations

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



def _is_conversation(value: Any) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("messages"), list):
        return False
    first = next((m for m in value["messages"] if m is not None), None)
    return isinstance(first, dict) and isinstance(first.get("versions"), list)


def _blocks_text(blocks: Any) -> str:
    if isinstance(blocks, str):
        return blocks
    if not isinstance(blocks, list):
        return ""
    return "\n".join(b["text"] for b in blocks
                     if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str))


def _is_reasoning(step: dict[str, Any]) -> bool:
    style = step.get("style")
    return isinstance(style, dict) and style.get("type") == "thinking"


def version_text(version: dict[str, Any]) -> str:
    if isinstance(version.get("steps"), list):
        parts = [_blocks_text(step.get("content")) for step in version["steps"]
                 if isinstance(step, dict) and step.get("type") == "contentBlock" and not _is_reasoning(step)]
        text = "\n".join(p for p in parts if p.strip())
    else:
        text = _blocks_text(version.get("content"))
    return strip_think(text).strip()


def parse_conversation(raw: Any) -> Conversation:
    if not _is_conversation(raw):
        raise ValueError("it has no messages with versions")
    turns: list[Turn] = []
    for index, message in enumerate(raw["messages"]):
        if not isinstance(message, dict) or not isinstance(message.get("versions"), list) or not message["versions"]:
            continue
        selected = message.get("currentlySelected", 0)
        if not isinstance(selected, int) or isinstance(selected, bool) or not 0 <= selected < len(message["versions"]):
            selected = 0
        version = message["versions"][selected]
        if not isinstance(version, dict):
            raise ValueError(f"message {index + 1} has a broken version")
        role = ROLES.get(version.get("role")) if isinstance(version.get("role"), str) else None
        text = version_text(version)
        if role is None or not text:
            continue
        turns.append(Turn(role=role, text=text, source_id=f"{index}:{selected}"))
    created = raw.get("createdAt")
    key = str(int(created)) if isinstance(created, (int, float)) and not isinstance(created, bool) and created > 0 \
        else stable_key([t.text for t in turns[:2]])
    name = raw.get("name")
    title = name if isinstance(name, str) and name.strip() else first_line_title(
        next((t.text for t in turns if t.role == "user"), ""))
    return Conversation(id=f"lmstudio:{key}", title=title, created_at=epoch_time(created), turns=turns)


class LMStudioImporter:
    name = "LM Studio conversation"

    def detect(self, source: Source) -> bool:
        items = source.first_items()
        return source.kind == "json" and bool(items) and _is_conversation(items[0])

    def parse(self, source: Source) -> ImportedFile:
        return collect(self.name, source.items(), parse_conversation, lambda r, i: title_of(r, i, "name"))
