"""Turns left out of an extraction by the user's skip rules: recorded with their rule, so they are
marked in the turn list, counted, and extracted on demand. A turn that has a result is no longer
skipped (its mark stays but is not counted), whatever ran it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from scallop_curator.store.store import Store

_OPEN = "NOT EXISTS (SELECT 1 FROM turn_results r WHERE r.turn_id = s.turn_id)"


def record_skips(store: Store, skipped: Iterable[tuple[str, int, str, str]]) -> int:
    """Mark turns as skipped: (conversation id, turn index, reason, label) each, in one transaction.
    A turn marked again takes the newest reason. Returns how many were marked."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    rows = list(skipped)
    if not rows:
        return 0
    with store._writing():
        for conversation_id, turn_index, reason, label in rows:
            turn_id = store.turn_id(conversation_id, turn_index)
            store.db.execute(
                "INSERT OR REPLACE INTO turn_skips (turn_id, conversation_id, reason, label, created_at) "
                "VALUES (?, ?, ?, ?, ?)", [turn_id, conversation_id, reason, label, now])
    return len(rows)


def skipped_turns(store: Store, conversation_id: str) -> dict[int, str]:
    """turn id -> the label of its rule, for this conversation's turns skipped and not extracted since."""
    rows = store.db.execute(
        f"SELECT s.turn_id, s.label FROM turn_skips s WHERE s.conversation_id = ? AND {_OPEN}",
        [conversation_id]).fetchall()
    return {row[0]: row[1] for row in rows}


def skipped_counts(store: Store, conversation_ids: list[str]) -> dict[str, int]:
    """Skipped (and still not extracted) turns per conversation; conversations with none are left out."""
    counts: dict[str, int] = {}
    for start in range(0, len(conversation_ids), 500):
        chunk = conversation_ids[start:start + 500]
        rows = store.db.execute(
            f"SELECT s.conversation_id, COUNT(*) FROM turn_skips s WHERE s.conversation_id IN "
            f"({','.join('?' * len(chunk))}) AND {_OPEN} GROUP BY s.conversation_id", chunk).fetchall()
        counts.update({row[0]: row[1] for row in rows})
    return counts


def skipped_total(store: Store, conversation_ids: list[str] | None = None) -> int:
    """Skipped and still not extracted turns, in these conversations (default: all)."""
    if conversation_ids is None:
        return int(store.db.execute(f"SELECT COUNT(*) FROM turn_skips s WHERE {_OPEN}").fetchone()[0])
    return sum(skipped_counts(store, conversation_ids).values())
