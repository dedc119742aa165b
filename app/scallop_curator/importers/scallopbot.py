"""ScallopBot's own SQLite store (``memories.db``), opened read-only: it belongs to ScallopBot.

``sessions`` are the conversations; of ``session_messages`` only ``message_kind`` ``human_user``
and ``assistant_final`` are what was said (tool calls, reasoning and drafts are left out).
``content`` is text, or a JSON array of content blocks when it starts with ``[``.
"""

from __future__ import annotations

import json
from typing import Any

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import (
    SQLITE_ERRORS,
    ImportedFile,
    Source,
    epoch_time,
    first_line_title,
    open_sqlite_readonly,
    strip_think,
)

KINDS = {"human_user": "user", "assistant_final": "assistant"}
REQUIRED = {"sessions": {"id", "metadata"}, "session_messages": {"session_id", "role", "content", "message_kind"}}


def content_text(content: Any) -> str:
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    if not isinstance(content, str):
        return "" if content is None else str(content)
    if content.lstrip().startswith("["):
        try:
            blocks = json.loads(content)
        except (ValueError, RecursionError):
            return content
        if isinstance(blocks, list):
            parts = []
            for block in blocks:
                if isinstance(block, str):
                    parts.append(block)
                elif isinstance(block, dict) and block.get("type") in (None, "text") and isinstance(block.get("text"), str):
                    parts.append(block["text"])
            return "\n".join(parts)
    return content


def _metadata(raw: Any) -> dict[str, Any]:
    if isinstance(raw, (str, bytes)):
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            return {}
        return value if isinstance(value, dict) else {}
    return {}


class ScallopBotImporter:
    name = "ScallopBot database"

    def detect(self, source: Source) -> bool:
        return source.kind == "sqlite" and {"sessions", "session_messages"} <= source.tables

    def parse(self, source: Source) -> ImportedFile:
        assert source.sqlite_path is not None
        result = ImportedFile(format_name=self.name, conversations=[])
        try:
            conn = open_sqlite_readonly(source.sqlite_path)
        except SQLITE_ERRORS as error:
            raise source.problem(f"the database cannot be opened ({error}).", self.name) from error
        try:
            for table, needed in REQUIRED.items():
                columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                if not needed <= columns:
                    missing = ", ".join(sorted(needed - columns))
                    raise source.problem(f"its {table} table lacks the columns {missing}.", self.name)
            session_columns = {row[1] for row in conn.execute("PRAGMA table_info(sessions)")}
            message_columns = {row[1] for row in conn.execute("PRAGMA table_info(session_messages)")}
            pick = [c if c in session_columns else "NULL" for c in ("id", "metadata", "created_at", "updated_at")]
            sessions = conn.execute(f"SELECT {', '.join(pick)} FROM sessions ORDER BY rowid").fetchall()
            order = "created_at, rowid" if "created_at" in message_columns else "rowid"
            msg_id = "id" if "id" in message_columns else "rowid"
            msg_time = "created_at" if "created_at" in message_columns else "NULL"
            for session_id, metadata, created_at, updated_at in sessions:
                label = str(session_id)
                try:
                    rows = conn.execute(
                        f"SELECT {msg_id}, role, content, message_kind, {msg_time} FROM session_messages "
                        f"WHERE session_id = ? AND message_kind IN ('human_user', 'assistant_final') ORDER BY {order}",
                        [session_id],
                    ).fetchall()
                    turns = []
                    for message_id, _role, content, kind, at in rows:
                        text = strip_think(content_text(content)).strip()
                        if text:
                            turns.append(Turn(role=KINDS[kind], text=text, time=epoch_time(at),
                                              source_id=str(message_id)))
                    if not turns:
                        continue
                    meta = _metadata(metadata)
                    title = next((meta[k] for k in ("title", "name", "summary")
                                  if isinstance(meta.get(k), str) and meta[k].strip()), None)
                    first_user = next((t.text for t in turns if t.role == "user"), "")
                    label = title or first_line_title(first_user, label)
                    result.conversations.append(Conversation(
                        id=f"scallopbot:{session_id}",
                        title=label,
                        created_at=epoch_time(created_at),
                        updated_at=epoch_time(updated_at),
                        turns=turns,
                    ))
                except (ValueError, TypeError, KeyError) as error:
                    result.skipped.append((label, f"was skipped: {error}."))
        except SQLITE_ERRORS as error:
            raise source.problem(f"the database broke while reading it ({error}).", self.name) from error
        finally:
            conn.close()
        return result
