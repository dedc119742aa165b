"""Schema step: evaluation runs, their per-case results, and the reviewer's adjudications.

``eval_results`` keeps each case whole (``case_json``) so a run stays readable after its case
file is gone, and an adjudicated case can be exported without the file. ``eval_decisions`` is
the journal that makes adjudication undoable, also after a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scallop_curator.store import migrations

if TYPE_CHECKING:  # only in hints: opening a store imports no sqlite-utils (see Store.db)
    import sqlite_utils


@migrations.step(3)
def add_eval_tables(db: sqlite_utils.Database) -> None:
    db["eval_runs"].create(
        {"id": int, "started_at": str, "finished_at": str, "label": str, "model": str, "backend": str,
         "profile": str, "profile_note": str, "prompt_version": str, "sources": str, "n_cases": int,
         "wall_s": float, "figures": str},
        pk="id", if_not_exists=True,
    )
    db["eval_results"].create(
        {"id": int, "run_id": int, "idx": int, "case_id": str, "case_json": str, "parse_ok": int,
         "model_facts": str, "raw_output": str, "error": str, "latency_ms": float, "score": float,
         "kinds": str, "decision": str, "decided_facts": str, "decided_at": str},
        pk="id", foreign_keys=[("run_id", "eval_runs", "id")], if_not_exists=True,
    )
    db["eval_results"].create_index(["run_id", "idx"], unique=True, if_not_exists=True)
    db["eval_decisions"].create(
        {"id": int, "result_id": int, "decision": str, "decided_facts": str, "previous_decision": str,
         "previous_facts": str, "decided_at": str, "undone": int},
        pk="id", foreign_keys=[("result_id", "eval_results", "id")], if_not_exists=True,
    )
