"""Kept memories: their lifecycle (current, superseded, forgotten), history, and queries.

Functions here run inside a transaction the caller opened (``Store._writing``); they never commit.
Nothing is deleted or replaced except by a user's decision: a replaced memory stays, marked
superseded with the time it stopped being true and a link to what replaced it; a forgotten one is
marked and can be restored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from scallop_curator.domain.fact_fields import EDITABLE_FIELDS

if TYPE_CHECKING:  # only in hints: opening a store imports no sqlite-utils (see Store.db)
    import sqlite_utils

CURRENT, SUPERSEDED, FORGOTTEN = "current", "superseded", "forgotten"
STATUSES = (CURRENT, SUPERSEDED, FORGOTTEN)
_WORD = re.compile(r"\w+", re.UNICODE)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class MemoryRow:
    id: int
    proposal_id: int | None
    content: str
    subject: str
    category: str
    confidence: float
    action: str
    conversation_id: str | None
    source_turn_ids: str | None
    created_at: str
    status: str
    superseded_by: int | None
    valid_until: str | None
    confirmations: int
    updated_at: str | None

    @property
    def turn_ids(self) -> list[int]:
        return list(json.loads(self.source_turn_ids or "[]"))


COLUMNS = ("m.id, m.proposal_id, m.content, m.subject, m.category, m.confidence, m.action, m.conversation_id, "
           "m.source_turn_ids, m.created_at, m.status, m.superseded_by, m.valid_until, m.confirmations, "
           "m.updated_at")


@dataclass(frozen=True)
class HistoryRow:
    memory_id: int
    old_text: str | None
    new_text: str | None
    old_status: str | None
    new_status: str | None
    at: str
    why: str | None


class NoSuchMemory(KeyError):
    """A memory id that is not in the store."""


# ---------------------------------------------------------------- reading
def get(db: sqlite_utils.Database, memory_id: int) -> MemoryRow:
    row = db.execute(f"SELECT {COLUMNS} FROM memories m WHERE m.id = ?", [memory_id]).fetchone()
    if row is None:
        raise NoSuchMemory(memory_id)
    return MemoryRow(*row)


def fts_query(text: str) -> str | None:
    """Search as you type: every word must appear, the last one as a prefix. A last word of one
    letter waits for the next (a one-letter prefix matches most of a large store)."""
    terms = _WORD.findall(text.lower())
    if terms and len(terms[-1]) < 2 and not text.endswith(" "):
        terms.pop()
    if not terms:
        return None
    return " ".join('"' + t + '"' + ("*" if i == len(terms) - 1 else "") for i, t in enumerate(terms))


_ORDERS = {
    "newest": "m.id DESC",
    "oldest": "m.id ASC",
    "subject": "m.subject COLLATE NOCASE, m.id",
    "category": "m.category, m.id",
    "content": "m.content COLLATE NOCASE, m.id",
}


def _next_day(day: str) -> str:
    return (date.fromisoformat(day[:10]) + timedelta(days=1)).isoformat()


def _where(search: str = "", statuses: tuple[str, ...] | None = (CURRENT,), subject: str | None = None,
           category: str | None = None, conversation_id: str | None = None, since: str | None = None,
           until: str | None = None) -> tuple[str, list[object]]:
    """``since`` / ``until``: days (``YYYY-MM-DD``, both included) the memory was kept on."""
    clauses: list[str] = []
    params: list[object] = []
    query = fts_query(search)
    if query:
        clauses.append("memories_fts MATCH ?")
        params.append(query)
    if statuses:
        clauses.append(f"m.status IN ({','.join('?' * len(statuses))})")
        params.extend(statuses)
    if subject:
        clauses.append("m.subject = ? COLLATE NOCASE")
        params.append(subject)
    if category:
        clauses.append("m.category = ?")
        params.append(category)
    if conversation_id:
        clauses.append("m.conversation_id = ?")
        params.append(conversation_id)
    if since:
        clauses.append("m.created_at >= ?")
        params.append(since[:10])
    if until:
        clauses.append("m.created_at < ?")
        params.append(_next_day(until))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _select(columns: str, search: str, order: str, **filters: object) -> tuple[str, list[object]]:
    where, params = _where(search, **filters)  # type: ignore[arg-type]
    source = _source(search)
    sort = _ORDERS[order]
    if source != _PLAIN and order in ("newest", "oldest"):
        sort = "f.rowid DESC" if order == "newest" else "f.rowid ASC"  # FTS5 walks rowids in order and stops early
    return f"SELECT {columns} FROM {source}{where} ORDER BY {sort} LIMIT ? OFFSET ?", params


def ids(db: sqlite_utils.Database, search: str = "", statuses: tuple[str, ...] | None = (CURRENT,),
        subject: str | None = None, category: str | None = None, conversation_id: str | None = None,
        order: str = "newest", limit: int = -1, offset: int = 0, since: str | None = None,
        until: str | None = None) -> list[int]:
    sql, params = _select("m.id", search, order, statuses=statuses, subject=subject, category=category,
                          conversation_id=conversation_id, since=since, until=until)
    return [row[0] for row in db.execute(sql, [*params, limit, offset]).fetchall()]


def page(db: sqlite_utils.Database, search: str = "", statuses: tuple[str, ...] | None = (CURRENT,),
         subject: str | None = None, category: str | None = None, conversation_id: str | None = None,
         order: str = "newest", limit: int = -1, offset: int = 0, since: str | None = None,
         until: str | None = None) -> list[MemoryRow]:
    """One page of whole rows in one query (a view's page costs one statement)."""
    sql, params = _select(COLUMNS, search, order, statuses=statuses, subject=subject, category=category,
                          conversation_id=conversation_id, since=since, until=until)
    return [MemoryRow(*row) for row in db.execute(sql, [*params, limit, offset]).fetchall()]


_PLAIN = "memories m"


def _source(search: str) -> str:
    """With a search, the full-text index drives the query (SQLite would otherwise probe it per row)."""
    return "memories_fts f CROSS JOIN memories m ON m.id = f.rowid" if fts_query(search) else _PLAIN


def count(db: sqlite_utils.Database, search: str = "", statuses: tuple[str, ...] | None = (CURRENT,),
          subject: str | None = None, category: str | None = None, conversation_id: str | None = None,
          cap: int | None = None, since: str | None = None, until: str | None = None) -> int:
    """How many match; with ``cap``, counting stops there (a view says "5,000+" instead of waiting)."""
    where, params = _where(search, statuses, subject, category, conversation_id, since, until)
    if cap is None:
        return db.execute(f"SELECT COUNT(*) FROM {_source(search)}{where}", params).fetchone()[0]
    return db.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {_source(search)}{where} LIMIT ?)",
                      [*params, cap]).fetchone()[0]


def source_conversations(db: sqlite_utils.Database) -> list[tuple[str, str, str | None]]:
    """(id, title, date) of every conversation a kept memory came from, newest first: the view's
    choice of source conversation."""
    return [(row[0], row[1] or row[0], row[2]) for row in db.execute(
        "SELECT c.id, c.title, c.created_at FROM conversations c WHERE c.id IN "
        "(SELECT DISTINCT conversation_id FROM memories WHERE conversation_id IS NOT NULL) "
        "ORDER BY COALESCE(c.created_at, '') DESC, c.title").fetchall()]


def rows(db: sqlite_utils.Database, memory_ids: list[int]) -> dict[int, MemoryRow]:
    found: dict[int, MemoryRow] = {}
    for start in range(0, len(memory_ids), 500):
        chunk = memory_ids[start:start + 500]
        for row in db.execute(f"SELECT {COLUMNS} FROM memories m WHERE m.id IN ({','.join('?' * len(chunk))})",
                              chunk).fetchall():
            found[row[0]] = MemoryRow(*row)
    return found


def listed(db: sqlite_utils.Database, **query: object) -> list[MemoryRow]:
    return page(db, **query)  # type: ignore[arg-type]


def history(db: sqlite_utils.Database, memory_id: int) -> list[HistoryRow]:
    return [HistoryRow(*row) for row in db.execute(
        "SELECT memory_id, old_text, new_text, old_status, new_status, at, why FROM memory_history "
        "WHERE memory_id = ? ORDER BY id", [memory_id]).fetchall()]


def subjects(db: sqlite_utils.Database) -> list[str]:
    return [row[0] for row in db.execute(
        "SELECT DISTINCT subject FROM memories ORDER BY subject COLLATE NOCASE").fetchall()]


# ---------------------------------------------------------------- changing (inside a transaction)
#: Pages of full-text index merged after each memory written: a bounded bit of work (well under a
#: millisecond) that keeps the index in a few segments, where every lookup would otherwise read the
#: many small ones that single-memory commits leave (twice as slow at 100,000 memories).
MERGE_PAGES = 16


def tidy_index(db: sqlite_utils.Database) -> None:
    db.execute("INSERT INTO memories_fts (memories_fts, rank) VALUES ('merge', ?)", [MERGE_PAGES])


def _record(db: sqlite_utils.Database, memory_id: int, old_text: str | None, new_text: str | None,
            old_status: str | None, new_status: str | None, why: str) -> None:
    db.execute("INSERT INTO memory_history (memory_id, old_text, new_text, old_status, new_status, at, why) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)", [memory_id, old_text, new_text, old_status, new_status, now(), why])


def add(db: sqlite_utils.Database, content: str, subject: str, category: str, *, proposal_id: int | None = None,
        confidence: float = 1.0, action: str = "fact", old_value: str | None = None, replaces: str | None = None,
        conversation_id: str | None = None, turn_ids: list[int] | None = None,
        turn_times: list[str | None] | None = None, why: str = "added") -> int:
    cursor = db.execute(
        "INSERT INTO memories (proposal_id, content, subject, category, confidence, action, old_value, replaces, "
        "conversation_id, source_turn_ids, source_times, created_at, status, confirmations, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', 0, ?)",
        [proposal_id, content, subject, category, confidence, action, old_value, replaces, conversation_id,
         json.dumps(turn_ids or []), json.dumps(turn_times or []), now(), now()],
    )
    memory_id = int(cursor.lastrowid)
    _record(db, memory_id, None, content, None, CURRENT, why)
    tidy_index(db)
    return memory_id


def edit(db: sqlite_utils.Database, memory_id: int, text: str, why: str = "edited") -> bool:
    memory = get(db, memory_id)
    if memory.content == text:
        return False
    db.execute("UPDATE memories SET content = ?, updated_at = ? WHERE id = ?", [text, now(), memory_id])
    _record(db, memory_id, memory.content, text, memory.status, memory.status, why)
    tidy_index(db)
    return True


def set_status(db: sqlite_utils.Database, memory_id: int, status: str, why: str,
               superseded_by: int | None = None) -> bool:
    """Move a memory to ``status``; returns whether anything changed."""
    memory = get(db, memory_id)
    if memory.status == status and memory.superseded_by == superseded_by:
        return False
    valid_until = None if status == CURRENT else now()
    db.execute("UPDATE memories SET status = ?, superseded_by = ?, valid_until = ?, updated_at = ? WHERE id = ?",
               [status, superseded_by, valid_until, now(), memory_id])
    _record(db, memory_id, memory.content, memory.content, memory.status, status, why)
    return True


def forget(db: sqlite_utils.Database, memory_id: int, why: str = "forgotten") -> bool:
    return set_status(db, memory_id, FORGOTTEN, why)


def restore(db: sqlite_utils.Database, memory_id: int, why: str = "restored") -> bool:
    return set_status(db, memory_id, CURRENT, why)


def supersede(db: sqlite_utils.Database, old_id: int, new_id: int, why: str = "replaced") -> bool:
    return set_status(db, old_id, SUPERSEDED, why, superseded_by=new_id)


# ---------------------------------------------------------------- undo of changes made by hand
#: What an edit, forget, restore or supersede can change of a memory, kept before and after in the journal.
STATE = ("content", "status", "superseded_by", "valid_until")


def state(db: sqlite_utils.Database, memory_id: int) -> dict:
    row = db.execute(f"SELECT {', '.join(STATE)} FROM memories WHERE id = ?", [memory_id]).fetchone()
    if row is None:
        raise NoSuchMemory(memory_id)
    return dict(zip(STATE, row, strict=True))


def put_back(db: sqlite_utils.Database, memory_id: int, expected: dict, wanted: dict, why: str) -> bool:
    """Take a memory from the ``expected`` state to ``wanted`` (both from ``state``), with a history
    line. Nothing happens when it is not as expected: it is gone (a decision undone since removed it),
    or it changed since (another window), or the id is now another memory's."""
    try:
        current = state(db, memory_id)
    except NoSuchMemory:
        return False
    if current != expected or current == wanted:
        return False
    db.execute("UPDATE memories SET content = ?, status = ?, superseded_by = ?, valid_until = ?, updated_at = ? "
               "WHERE id = ?", [wanted["content"], wanted["status"], wanted["superseded_by"], wanted["valid_until"],
                                now(), memory_id])
    _record(db, memory_id, current["content"], wanted["content"], current["status"], wanted["status"], why)
    if current["content"] != wanted["content"]:
        tidy_index(db)
    return True


# ---------------------------------------------------------------- decisions
def reverse_effect(db: sqlite_utils.Database, proposal_id: int) -> set[int]:
    """Put back what the proposal's current decision did to other memories; the ids touched."""
    row = db.execute("SELECT effect FROM proposals WHERE id = ?", [proposal_id]).fetchone()
    effect = json.loads(row[0]) if row and row[0] else {}
    touched: set[int] = set()
    if effect.get("confirm"):
        db.execute("UPDATE memories SET confirmations = MAX(confirmations - 1, 0) WHERE id = ?", [effect["confirm"]])
        touched.add(effect["confirm"])
    for memory_id in effect.get("supersede", []) + effect.get("forget", []):
        try:
            if restore(db, memory_id, f"decision on proposal {proposal_id} undone"):
                touched.add(memory_id)
        except NoSuchMemory:
            continue
    return touched


def keep_in_step(db: sqlite_utils.Database, proposal_id: int, keeps: bool,
                 effect: dict | None) -> tuple[dict | None, set[int]]:
    """Make the memories table agree with the proposal's decision, then apply ``effect``
    (``confirm``: the kept memory it repeats; ``supersede`` / ``forget``: memories it replaces or
    removes). Returns the effect actually applied (for undo) and the memory ids touched."""
    effect = dict(effect or {})
    p = db.execute(
        "SELECT p.content, p.edited_text, p.subject, p.category, p.confidence, p.action, p.old_value, p.replaces, "
        "p.conversation_id, t.id, t.time, p.edited_fields FROM proposals p JOIN turns t ON t.id = p.turn_id "
        "WHERE p.id = ?",
        [proposal_id],
    ).fetchone()
    if p[11]:  # the user's edits of subject, category, confidence, action, old_value, replaces win
        edits = json.loads(p[11])
        p = (p[0], p[1], *(edits.get(name, p[2 + i]) for i, name in enumerate(EDITABLE_FIELDS)), *p[8:11])
    text = p[1] if p[1] is not None else p[0]
    existing = db.execute("SELECT id FROM memories WHERE proposal_id = ?", [proposal_id]).fetchone()
    touched: set[int] = set()
    own = keeps and not effect.get("confirm") and p[5] != "forget"
    memory_id: int | None = None
    if own and existing:
        memory_id = int(existing[0])
        edit(db, memory_id, text, f"decision on proposal {proposal_id}")
        db.execute("UPDATE memories SET subject = ?, category = ? WHERE id = ? AND (subject IS NOT ? OR category IS NOT ?)",
                   [p[2], p[3], memory_id, p[2], p[3]])
        touched.add(memory_id)
    elif own:
        memory_id = add(db, text, p[2], p[3], proposal_id=proposal_id, confidence=p[4], action=p[5], old_value=p[6],
                        replaces=p[7], conversation_id=p[8], turn_ids=[p[9]], turn_times=[p[10]],
                        why=f"accepted proposal {proposal_id}")
        touched.add(memory_id)
    elif existing:
        db.execute("DELETE FROM memory_history WHERE memory_id = ?", [existing[0]])
        db.execute("DELETE FROM memories WHERE id = ?", [existing[0]])
        touched.add(int(existing[0]))
    if not keeps:
        return None, touched
    applied: dict = {}
    confirm = effect.get("confirm")
    if confirm and db.execute("SELECT 1 FROM memories WHERE id = ?", [confirm]).fetchone():
        db.execute("UPDATE memories SET confirmations = confirmations + 1, updated_at = ? WHERE id = ?",
                   [now(), confirm])
        applied["confirm"] = confirm
        touched.add(confirm)
    for key, status in (("supersede", SUPERSEDED), ("forget", FORGOTTEN)):
        done = []
        for target in effect.get(key, []):
            try:
                memory = get(db, target)
            except NoSuchMemory:
                continue
            if memory.status != CURRENT or target == memory_id:
                continue
            why = (f"replaced by proposal {proposal_id}" if status == SUPERSEDED
                   else f"forgotten at the request in proposal {proposal_id}")
            set_status(db, target, status, why, superseded_by=memory_id if status == SUPERSEDED else None)
            done.append(target)
            touched.add(target)
        if done:
            applied[key] = done
    return applied or None, touched
