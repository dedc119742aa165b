"""JSON Lines: one memory per line with every field and its provenance; ``read`` brings a file back
(into this store or another) through the same relation check as a memory added by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from scallop_curator.exporters import ExportError, provenance
from scallop_curator.store import Store, memories, operations
from scallop_curator.store.memories import MemoryRow
from scallop_curator.store.memories_relation import RelationKind

FORMAT = "scallop-curator-memory/1"


def record(store: Store, memory: MemoryRow) -> dict:
    source = provenance(store, memory)
    times = store.db.execute("SELECT source_times FROM memories WHERE id = ?", [memory.id]).fetchone()[0]
    return {
        "format": FORMAT, "id": memory.id, "content": memory.content, "subject": memory.subject,
        "category": memory.category, "confidence": memory.confidence, "action": memory.action,
        "status": memory.status, "superseded_by": memory.superseded_by, "valid_until": memory.valid_until,
        "confirmations": memory.confirmations, "created_at": memory.created_at, "updated_at": memory.updated_at,
        "provenance": {"proposal_id": memory.proposal_id, "conversation_id": memory.conversation_id,
                       "conversation_title": source.conversation_title, "turn_ids": memory.turn_ids,
                       "turn_times": json.loads(times or "[]"), "model": source.model,
                       "prompt_version": source.prompt_version},
    }


def write(store: Store, rows: list[MemoryRow], handle: TextIO) -> int:
    for memory in rows:
        handle.write(json.dumps(record(store, memory), ensure_ascii=False) + "\n")
    return len(rows)


def read(store: Store, path: Path) -> tuple[int, int]:
    """Add the current memories of a JSON Lines export; returns (added, already kept). A line that
    conflicts with a kept memory is added beside it: nothing kept is replaced by an import."""
    added = kept = 0
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ExportError(f"{path} could not be read: {error}") from error
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            content, subject, category = item["content"], item["subject"], item["category"]
        except (ValueError, KeyError, TypeError) as error:
            raise ExportError(f"{path}, line {number}: not a Scallop Curator memory ({error})") from error
        if item.get("status", memories.CURRENT) != memories.CURRENT:
            continue
        _, found, _ = operations.add_memory(store, content, subject, category, choice=operations.KEEP_BOTH)
        if found.kind is RelationKind.ALREADY_KEPT:
            kept += 1
        else:
            added += 1
    return added, kept
