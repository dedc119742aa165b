"""ScallopBot's ``memories.db``: the rows are written the way ScallopBot writes its own extractions
(``src/memory/fact-extractor.ts`` ``storeNewFact`` / ``src/memory/db.ts`` ``addMemory``), so the bot
treats them as its own: ``source='user'``, ``memory_type='regular'``, ``learned_from='import'``,
``is_latest=1``, epoch-millisecond times, ``embedding`` NULL (the bot embeds on start), categories
mapped as ``mapToScallopCategory`` maps them, and ``metadata`` with the subject, original category
and an external id, so a second export adds nothing twice. Facts about the assistant (``agent``) go
into ``user_profiles`` as the bot's own ``applyAgentProfileImmediately`` does.

A replaced memory: its row gets ``is_latest=0`` and a ``memory_relations`` row of type ``UPDATES``
from the new one; a forgotten one is deleted. The file is backed up first, and the export is refused
while the bot has it open (it cannot be locked exclusively then).
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from scallop_curator.exporters import ExportError
from scallop_curator.store import Store, memories
from scallop_curator.store.memories import MemoryRow

USER_ID = "default"
AGENT_ID = "agent"
IDENTITY = ("relationship", "personal", "location")
_ALPHABET = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict"  # nanoid's


@dataclass(frozen=True)
class SyncReport:
    added: int = 0
    updated: int = 0
    superseded: int = 0
    deleted: int = 0
    profile: int = 0
    backup: Path | None = None


def scallop_category(category: str) -> str:
    return {"relationship": "relationship", "preference": "preference", "project": "insight"}.get(category, "fact")


def _nanoid() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(21))


def _ms(iso: str | None) -> int:
    if iso:
        try:
            moment = datetime.fromisoformat(iso)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return int(moment.timestamp() * 1000)
        except ValueError:
            pass
    return int(datetime.now(timezone.utc).timestamp() * 1000)


def store_identity(store: Store) -> str:
    """A stable id of this store, part of every external id (two stores never collide)."""
    identity = store.get_meta("export.identity")
    if identity is None:
        identity = secrets.token_hex(8)
        store.set_meta("export.identity", identity)
    return identity


def agent_profile_entry(content: str, memory_id: int) -> tuple[str, str]:
    """(key, value) for a fact about the assistant, as ScallopBot reads "Name is X" or "X is Y"."""
    text = content.strip().rstrip(".")
    for pattern, key in ((r"^name\s+(?:is\s+)?(.+)", "name"), (r"^personality\s+(?:is\s+)?(.+)", "personality")):
        match = re.match(pattern, text, re.IGNORECASE)
        if match:
            return key, match.group(1).strip()
    match = re.match(r"^(\w+)\s+is\s+(.+)", text, re.IGNORECASE)
    if match and match.group(1).lower() not in ("it", "he", "she", "this", "that", "there"):
        return match.group(1).lower(), match.group(2).strip()
    return f"note_{memory_id}", text


def _open_exclusively(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise ExportError(f"{path} does not exist: give the memories.db of a ScallopBot that has run once.")
    try:
        conn = sqlite3.connect(path, timeout=0, isolation_level=None)
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        columns = {row[1] for row in conn.execute("PRAGMA table_info(memories)")}
        conn.execute("COMMIT")  # the exclusive lock is kept until the connection closes
    except sqlite3.OperationalError as error:
        if "locked" in str(error).lower() or "busy" in str(error).lower():
            raise ExportError(f"ScallopBot is running and holds {path}; stop the bot, then export again.") from error
        raise ExportError(f"{path} could not be opened: {error}") from error
    except sqlite3.DatabaseError as error:
        raise ExportError(f"{path} is not a ScallopBot memories.db ({error}).") from error
    needed = {"id", "user_id", "content", "category", "memory_type", "is_latest", "document_date", "metadata",
              "created_at", "updated_at"}
    if not needed <= columns:
        conn.close()
        raise ExportError(f"{path} is not a ScallopBot memories.db (its memories table lacks "
                          f"{', '.join(sorted(needed - columns))}).")
    return conn


def _backup(conn: sqlite3.Connection, path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.before-scallop-curator-{stamp}.bak")
    try:
        with sqlite3.connect(target) as copy:
            conn.backup(copy)
        copy.close()
    except (sqlite3.Error, OSError) as error:
        raise ExportError(f"could not back up {path} to {target}: {error}") from error
    return target


def _row(memory: MemoryRow, external_id: str, columns: set[str], now_ms: int) -> dict:
    content = memory.content
    if memory.subject.lower() != "user" and memory.subject.lower() not in content.lower():
        content = f"{memory.subject} {content[:1].lower()}{content[1:]}"  # as storeNewFact makes it searchable
    row = {
        "id": _nanoid(), "user_id": USER_ID, "content": content, "category": scallop_category(memory.category),
        "memory_type": "regular", "importance": 8 if memory.category in IDENTITY else 5,
        "confidence": memory.confidence, "is_latest": 1, "source": "user", "document_date": _ms(memory.created_at),
        "event_date": None, "prominence": 1.0, "last_accessed": None, "access_count": 0, "source_chunk": None,
        "embedding": None,
        "metadata": json.dumps({"subject": memory.subject, "originalCategory": memory.category,
                                "extractedBy": "scallop-curator", "externalId": external_id,
                                "extractedAt": datetime.now(timezone.utc).isoformat()}),
        "learned_from": "import", "times_confirmed": 1 + memory.confirmations, "contradiction_ids": None,
        "created_at": now_ms, "updated_at": now_ms,
    }
    return {key: value for key, value in row.items() if key in columns}


def export(store: Store, target: Path) -> SyncReport:
    """Bring ScallopBot's memories in step with the store's (see the module's docstring)."""
    target = Path(target)
    conn = _open_exclusively(target)
    try:
        backup = _backup(conn, target)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(memories)")}
        prefix = f"scallop-curator:{store_identity(store)}:"
        conn.execute("BEGIN IMMEDIATE")
        report = _write(store, conn, columns, prefix)
        conn.execute("COMMIT")
    except sqlite3.Error as error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise ExportError(f"could not write to {target}: {error}") from error
    finally:
        conn.close()
    return SyncReport(report.added, report.updated, report.superseded, report.deleted, report.profile, backup)


def _write(store: Store, conn: sqlite3.Connection, columns: set[str], prefix: str) -> SyncReport:
    now_ms = _ms(None)
    ours: dict[int, tuple[str, str, int]] = {}  # memory id -> (row id, content, is_latest)
    for row_id, metadata, content, is_latest in conn.execute(
            "SELECT id, metadata, content, is_latest FROM memories WHERE metadata LIKE ?", [f'%"{prefix}%']):
        external = json.loads(metadata or "{}").get("externalId", "")
        if external.startswith(prefix) and external[len(prefix):].isdigit():
            ours[int(external[len(prefix):])] = (row_id, content, is_latest)
    everything = {m.id: m for m in memories.listed(store.db, statuses=None, order="oldest")}
    added = updated = superseded = deleted = profile = 0
    for memory in everything.values():
        if memory.status != memories.CURRENT:
            continue
        if memory.subject.lower() == AGENT_ID:
            key, value = agent_profile_entry(memory.content, memory.id)
            conn.execute("INSERT INTO user_profiles (user_id, key, value, confidence, updated_at) VALUES (?, ?, ?, ?, ?) "
                         "ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                         [AGENT_ID, key, value, memory.confidence, now_ms])
            profile += 1
            continue
        row = _row(memory, prefix + str(memory.id), columns, now_ms)
        if memory.id in ours:
            row_id, content, _ = ours[memory.id]
            if content != row["content"]:
                conn.execute("UPDATE memories SET content = ?, embedding = NULL, is_latest = 1, updated_at = ? "
                             "WHERE id = ?", [row["content"], now_ms, row_id])
                updated += 1
            continue
        conn.execute(f"INSERT INTO memories ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
        ours[memory.id] = (row["id"], row["content"], 1)
        added += 1
    for memory_id, (row_id, _content, is_latest) in ours.items():
        memory = everything.get(memory_id)
        if memory is None or memory.status == memories.FORGOTTEN:
            conn.execute("DELETE FROM memory_relations WHERE source_id = ? OR target_id = ?", [row_id, row_id])
            conn.execute("DELETE FROM memories WHERE id = ?", [row_id])
            deleted += 1
        elif memory.status == memories.SUPERSEDED and is_latest:
            conn.execute("UPDATE memories SET is_latest = 0, updated_at = ? WHERE id = ?", [now_ms, row_id])
            successor = ours.get(memory.superseded_by or -1)
            if successor and not conn.execute("SELECT 1 FROM memory_relations WHERE source_id = ? AND target_id = ? "
                                              "AND relation_type = 'UPDATES'", [successor[0], row_id]).fetchone():
                conn.execute("INSERT INTO memory_relations (id, source_id, target_id, relation_type, confidence, "
                             "created_at) VALUES (?, ?, ?, 'UPDATES', 0.95, ?)", [_nanoid(), successor[0], row_id, now_ms])
            superseded += 1
    for memory in everything.values():  # facts about the assistant that were forgotten leave its profile
        if memory.subject.lower() == AGENT_ID and memory.status != memories.CURRENT:
            key, value = agent_profile_entry(memory.content, memory.id)
            conn.execute("DELETE FROM user_profiles WHERE user_id = ? AND key = ? AND value = ?", [AGENT_ID, key, value])
    return SyncReport(added, updated, superseded, deleted, profile)
