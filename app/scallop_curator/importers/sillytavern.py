"""SillyTavern chats (``.jsonl``): a header line, then one message per line.

``is_user`` marks the user; ``swipes`` with ``swipe_id`` say which alternative reply was kept;
``is_system`` lines (narration, hidden notes) are left out.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ImportedFile, Source, epoch_time, iso_time, stable_key, strip_think

HEADER_KEYS = ("user_name", "character_name", "create_date", "chat_metadata")


def _is_message(value: Any) -> bool:
    return isinstance(value, dict) and "mes" in value and "is_user" in value


def _is_header(value: Any) -> bool:
    return isinstance(value, dict) and not _is_message(value) and any(k in value for k in HEADER_KEYS)


def send_time(value: Any) -> datetime | None:
    """ISO, epoch ms, "2023-5-8@17h36m25s" (file names/headers) or "May 8, 2023 5:36pm"."""
    if isinstance(value, (int, float)):
        return epoch_time(value)
    if not isinstance(value, str):
        return None
    parsed = iso_time(value)
    if parsed:
        return parsed
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})\s*@\s*(\d{1,2})h\s*(\d{1,2})m\s*(\d{1,2})s", value.strip())
    if match:
        try:
            return datetime(*(int(g) for g in match.groups()), tzinfo=timezone.utc)
        except ValueError:
            return None
    for pattern in ("%B %d, %Y %I:%M%p", "%B %d, %Y %I:%M %p", "%b %d, %Y %I:%M%p", "%B %d, %Y %H:%M"):
        try:
            return datetime.strptime(value.strip(), pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def message_text(message: dict[str, Any]) -> str:
    swipes = message.get("swipes")
    swipe_id = message.get("swipe_id")
    text: Any = message.get("mes")
    if isinstance(swipes, list) and isinstance(swipe_id, int) and not isinstance(swipe_id, bool) \
            and 0 <= swipe_id < len(swipes) and isinstance(swipes[swipe_id], str):
        text = swipes[swipe_id]
    return strip_think(text).strip() if isinstance(text, str) else ""


class SillyTavernImporter:
    name = "SillyTavern chat"

    def detect(self, source: Source) -> bool:
        if source.kind != "jsonl" or not source.lines:
            return False
        head = source.lines[:6]
        return any(_is_message(r) for r in head) and all(_is_message(r) or _is_header(r) for r in head[:2])

    def parse(self, source: Source) -> ImportedFile:
        records = source.lines or []
        header = records[0] if records and _is_header(records[0]) else {}
        turns: list[Turn] = []
        skipped: list[tuple[str, str]] = []
        for line_number, record in enumerate(records, start=1):
            if record is header:
                continue
            if not _is_message(record):
                skipped.append((f"line {line_number}", "was skipped: it is not a chat message."))
                continue
            if record.get("is_system") is True:
                continue
            text = message_text(record)
            if not text:
                continue
            role = "user" if record.get("is_user") is True else "assistant"
            turns.append(Turn(role=role, text=text, time=send_time(record.get("send_date")),
                              source_id=f"{line_number - 1}"))
        character = header.get("character_name") if isinstance(header.get("character_name"), str) else None
        if character is None:
            character = next((r.get("name") for r in records if _is_message(r) and r.get("is_user") is not True
                              and isinstance(r.get("name"), str)), None)
        created = header.get("create_date")
        key = stable_key(character, created if isinstance(created, (str, int, float)) else None,
                         [t.text for t in turns[:2]] if not created else None)
        started = send_time(created) or (turns[0].time if turns else None)
        title = f"{character or 'Chat'}" + (f" ({created})" if isinstance(created, str) and created else "")
        conversation = Conversation(id=f"sillytavern:{key}", title=title, created_at=started,
                                    updated_at=turns[-1].time if turns else None, turns=turns)
        return ImportedFile(self.name, [conversation] if turns else [], skipped)
