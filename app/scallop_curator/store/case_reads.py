"""The extraction cases of many conversations, read in a few queries.

An extraction of a whole history plans thousands of turns in hundreds of conversations. Two
queries per conversation (its turns, its results) made that plan cost about 0.1 s for 2,000 turns;
here the conversations, turns and results come in one query each per chunk of conversations, in
one read transaction, so the cases agree with each other even while an import or a result writes.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from scallop_curator.domain.conversation import Conversation

if TYPE_CHECKING:
    from scallop_curator.domain.clock import TimeGrain
    from scallop_curator.domain.extraction_case import ExtractionCase

#: Conversations per query: well under SQLite's limit on bound parameters.
CHUNK = 500


def extraction_cases(conn: sqlite3.Connection, conversation_ids: Sequence[str], zone: str | None = None,
                     grain: TimeGrain = "day", only_new: bool = False) -> list[ExtractionCase]:
    """The cases of these conversations, in this order and each in turn order. ``only_new``: only
    the turns with no result yet. A conversation that is no longer stored has none."""
    cases: list[ExtractionCase] = []
    own_transaction = not conn.in_transaction
    if own_transaction:
        conn.execute("BEGIN")  # deferred: a read snapshot across the chunks, no lock taken
    try:
        for start in range(0, len(conversation_ids), CHUNK):
            chunk = list(conversation_ids[start:start + CHUNK])
            cases.extend(_chunk_cases(conn, chunk, zone, grain, only_new))
    finally:
        if own_transaction and conn.in_transaction:  # (an error may have ended it: keep that error)
            conn.execute("COMMIT")
    return cases


def _chunk_cases(conn: sqlite3.Connection, chunk: list[str], zone: str | None, grain: TimeGrain,
                 only_new: bool) -> list[ExtractionCase]:
    marks = ",".join("?" * len(chunk))
    heads = {row[0]: row[1:] for row in conn.execute(
        f"SELECT id, title, created_at, updated_at FROM conversations WHERE id IN ({marks})", chunk)}
    turns: dict[str, list[dict[str, object]]] = defaultdict(list)
    for turn_id, cid, role, text, time in conn.execute(
            f"SELECT id, conversation_id, role, text, time FROM turns WHERE conversation_id IN ({marks}) "
            "ORDER BY conversation_id, idx", chunk):
        turns[cid].append({"role": role, "text": text, "time": time, "source_id": str(turn_id)})
    done: dict[str, set[int]] = defaultdict(set)
    if only_new:
        for cid, index in conn.execute(
                "SELECT DISTINCT r.conversation_id, t.idx FROM turn_results r JOIN turns t ON t.id = r.turn_id "
                f"WHERE r.conversation_id IN ({marks})", chunk):
            done[cid].add(index)
    cases: list[ExtractionCase] = []
    for cid in chunk:
        head = heads.get(cid)
        if head is None:
            continue
        title, created_at, updated_at = head
        conversation = Conversation.from_dict({"id": cid, "title": title, "created_at": created_at,
                                               "updated_at": updated_at, "turns": turns.get(cid, [])})
        skip = done.get(cid, set())
        cases.extend(case for case in conversation.extraction_cases(zone, grain) if case.turn_index not in skip)
    return cases
