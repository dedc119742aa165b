"""Table definitions. One place, so a migration has one place to change."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only in hints: opening a store imports no sqlite-utils (see Store.db)
    import sqlite_utils
from typing import TYPE_CHECKING


SCHEMA_VERSION = 1  # the version create() writes; migrations.py takes it forward


def create(db: sqlite_utils.Database) -> None:
    if "conversations" not in db.table_names():
        db["conversations"].create(
            {"id": str, "title": str, "created_at": str, "updated_at": str, "source_file": str,
             "format": str, "imported_at": str},
            pk="id",
        )
        db["conversations"].create_index(["created_at"])
    if "turns" not in db.table_names():
        db["turns"].create(
            {"id": int, "conversation_id": str, "idx": int, "role": str, "text": str, "time": str,
             "source_id": str},
            pk="id",
            foreign_keys=[("conversation_id", "conversations", "id")],
        )
        db["turns"].create_index(["conversation_id", "source_id"], unique=True)
        db["turns"].create_index(["conversation_id", "idx"])
    if "runs" not in db.table_names():
        db["runs"].create(
            {"id": int, "started_at": str, "finished_at": str, "model": str, "model_hash": str,
             "prompt_version": str, "backend": str, "status": str},
            pk="id",
        )
    if "turn_results" not in db.table_names():
        db["turn_results"].create(
            {"id": int, "run_id": int, "conversation_id": str, "turn_id": int, "parse_ok": int,
             "n_facts": int, "error": str, "raw_output": str, "truncated": int, "latency_ms": float,
             "created_at": str},
            pk="id",
            foreign_keys=[("run_id", "runs", "id"), ("turn_id", "turns", "id")],
        )
        db["turn_results"].create_index(["turn_id"])
        db["turn_results"].create_index(["conversation_id"])
    if "proposals" not in db.table_names():
        db["proposals"].create(
            {"id": int, "run_id": int, "conversation_id": str, "turn_id": int, "content": str,
             "subject": str, "category": str, "confidence": float, "action": str, "old_value": str,
             "replaces": str, "status": str, "edited_text": str, "manual": int, "truncated": int,
             "model": str, "model_hash": str, "prompt_version": str, "created_at": str,
             "decided_at": str},
            pk="id",
            foreign_keys=[("turn_id", "turns", "id"), ("conversation_id", "conversations", "id")],
        )
        db["proposals"].create_index(["conversation_id"])
        db["proposals"].create_index(["status"])
    if "journal" not in db.table_names():
        db["journal"].create(
            {"id": int, "proposal_id": int, "status": str, "edited_text": str, "previous_status": str,
             "previous_text": str, "decided_at": str, "undone": int},
            pk="id",
            foreign_keys=[("proposal_id", "proposals", "id")],
        )
    if "memories" not in db.table_names():
        db["memories"].create(
            {"id": int, "proposal_id": int, "content": str, "subject": str, "category": str,
             "confidence": float, "action": str, "old_value": str, "replaces": str,
             "conversation_id": str, "source_turn_ids": str, "source_times": str, "created_at": str},
            pk="id",
        )
        db["memories"].create_index(["proposal_id"], unique=True)
    if "meta" not in db.table_names():
        db["meta"].create({"key": str, "value": str}, pk="key")
        db["meta"].insert({"key": "schema_version", "value": str(SCHEMA_VERSION)})
