"""ScallopBot's own SQLite store (``memories.db``), opened read-only: it belongs to ScallopBot.

``sessions`` are the conversations; of ``session_messages`` only ``message_kind`` ``human_user``
and ``assistant_final`` are what was said (tool calls, reasoning and drafts are left out).
``content`` is text, or a JSON array of content blocks when it starts with ``[``.

ScallopBot prunes old transcripts: their rows move to ``session_message_archive`` (same ids, kept as
``original_message_id``) and the session gets ``transcript_deleted_at``. Those sessions are read from
the archive, so a re-import after pruning still finds the same turns. A session whose transcript was
forgotten outright (nothing left in either table) is listed as skipped, with the reason.
"""

from __future__ import annotations

import json
import sqlite3
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
KIND_LIST = ", ".join(f"'{kind}'" for kind in KINDS)
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


FORGOTTEN = ("was skipped: ScallopBot deleted its transcript (transcript_deleted_at is set and nothing "
             "is left in session_message_archive), so there is nothing to read.")
ARCHIVE = "session_message_archive"


def _messages_query(conn: sqlite3.Connection) -> str:
    """One session's said messages, live and archived (pruned), each once, in order.

    Archived rows keep the live row's id (``original_message_id``), so a turn keeps its id across a prune.
    """
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    live = {row[1] for row in conn.execute("PRAGMA table_info(session_messages)")}
    msg_id = "id" if "id" in live else "rowid"
    at = "created_at" if "created_at" in live else "NULL"
    parts = [f"SELECT {msg_id} AS mid, content, message_kind, {at} AS at, rowid AS r, 0 AS cold "
             f"FROM session_messages WHERE session_id = :session AND message_kind IN ({KIND_LIST})"]
    archived = {row[1] for row in conn.execute(f"PRAGMA table_info({ARCHIVE})")} if ARCHIVE in tables else set()
    if {"original_message_id", "session_id", "content", "message_kind"} <= archived:
        cold_at = "created_at" if "created_at" in archived else "NULL"
        parts.append(
            f"SELECT original_message_id, content, message_kind, {cold_at}, original_message_id, 1 FROM {ARCHIVE} "
            f"WHERE session_id = :session AND message_kind IN ({KIND_LIST}) AND original_message_id NOT IN "
            f"(SELECT {msg_id} FROM session_messages WHERE session_id = :session)"
        )
    order = "at, r" if at != "NULL" else "cold DESC, r"
    return f"SELECT mid, content, message_kind, at FROM ({' UNION ALL '.join(parts)}) ORDER BY {order}"


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
            pick = [c if c in session_columns else "NULL"
                    for c in ("id", "metadata", "created_at", "updated_at", "transcript_deleted_at")]
            sessions = conn.execute(f"SELECT {', '.join(pick)} FROM sessions ORDER BY rowid").fetchall()
            query = _messages_query(conn)
            for session_id, metadata, created_at, updated_at, deleted_at in sessions:
                label = str(session_id)
                try:
                    rows = conn.execute(query, {"session": session_id}).fetchall()
                    turns = []
                    for message_id, content, kind, at in rows:
                        text = strip_think(content_text(content)).strip()
                        if text:
                            turns.append(Turn(role=KINDS[kind], text=text, time=epoch_time(at),
                                              source_id=str(message_id)))
                    meta = _metadata(metadata)
                    title = next((meta[k] for k in ("title", "name", "summary")
                                  if isinstance(meta.get(k), str) and meta[k].strip()), None)
                    if not turns:
                        if deleted_at is not None:
                            result.skipped.append((title or label, FORGOTTEN))
                        continue
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
