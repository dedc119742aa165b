"""Every change to the store as one operation: it commits in one transaction and returns the
``Changes`` it made, so the window (or the CLI) refreshes from that and nothing else.

Expected failures (a locked store, a full disk, a read-only file, a memory that is not there)
arrive as one ``StoreError`` with a plain message; anything else is a bug.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable

from scallop_curator.domain.review import Status
from scallop_curator.importers.base import ImportedFile
from scallop_curator.store import memories
from scallop_curator.store.changes import Changes
from scallop_curator.store.memories_relation import Relation, RelationKind, relation
from scallop_curator.store.records import ImportSummary, StoredProposal
from scallop_curator.store.store import Store, StoreError, _friendly

REPLACE, KEEP_BOTH = "replace", "keep_both"


class ChoiceNeeded(StoreError):
    """A fact conflicts with or would replace a kept memory: the user must say replace or keep both."""

    def __init__(self, message: str, found: Relation) -> None:
        super().__init__(message)
        self.relation = found


def _reading(store: Store, read: Callable[[], object]) -> object:
    try:
        return read()
    except sqlite3.Error as error:
        raise _friendly(store.path, error) from error


# ---------------------------------------------------------------- relations
def relation_of(store: Store, proposal: StoredProposal, text: str | None = None) -> Relation:
    """How this proposal (or ``text``, its edited wording) relates to the current kept memories; the
    review's answer is reused by the decision while no kept memory changed in between."""
    wording = text if text is not None else proposal.text
    key = (proposal.id, wording, proposal.subject, proposal.category, proposal.action, proposal.old_value,
           proposal.replaces)
    return store.relations.get(key, lambda: relation(
        store.db, wording, proposal.subject, proposal.category, proposal.action, proposal.old_value,
        proposal.replaces, exclude_proposal=proposal.id))


def effect_for(found: Relation, choice: str | None = None) -> dict | None:
    """What accepting does to kept memories. Nothing is replaced or forgotten unless the user's
    decision says so: a conflict replaces only with ``choice='replace'``; a correction or a forget
    request acts on acceptance unless the user keeps both."""
    if found.kind is RelationKind.ALREADY_KEPT:
        return {"confirm": found.ids[0]}
    if found.kind is RelationKind.WOULD_REPLACE and choice != KEEP_BOTH:
        return {"supersede": found.ids}
    if found.kind is RelationKind.CONFLICTS and choice == REPLACE:
        return {"supersede": found.ids}
    if found.kind is RelationKind.WOULD_FORGET and choice != KEEP_BOTH:
        return {"forget": found.ids}
    return None


# ---------------------------------------------------------------- review
def _decided(store: Store, proposal_ids: Iterable[int], focus: int | None = None,
             known: list[StoredProposal] | None = None) -> Changes:
    """``known``: the proposals as read before the decision (their conversation and turn never change)."""
    ids = list(proposal_ids)
    rows = known if known is not None else [store.proposal(i) for i in ids]
    return Changes(conversations=frozenset(p.conversation_id for p in rows), turns=frozenset(p.turn_id for p in rows),
                   proposals=frozenset(ids), memories=frozenset(store.last_touched), journal=True, focus=focus)


def decide(store: Store, proposal_id: int, status: Status, edited_text: str | None = None,
           choice: str | None = None, fields: dict[str, object] | None = None) -> Changes:
    """Accept, edit, reject or skip one proposal; accepting acts on its relation to kept memories."""
    proposal = store.proposal(proposal_id)
    effect = None
    if status.keeps_memory:
        effect = effect_for(_reading(store, lambda: relation_of(store, proposal, edited_text)), choice)  # type: ignore[arg-type]
    store.decide(proposal_id, status, edited_text, fields=fields, effect=effect)
    return _decided(store, [proposal_id], known=[proposal])


def pending_matching(store: Store, category: str | None = None, below: float | None = None,
                     conversation_id: str | None = None, limit: int = -1) -> list[int]:
    """Pending proposals in a filtered set (e.g. every ``general`` one with confidence below 0.6)."""
    clauses, params = ["status = 'pending'"], []
    for column, op, value in (("category", "=", category), ("confidence", "<", below),
                              ("conversation_id", "=", conversation_id)):
        if value is not None:
            clauses.append(f"{column} {op} ?")
            params.append(value)
    rows = store.db.execute(f"SELECT id FROM proposals WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?",
                            [*params, limit]).fetchall()
    return [int(row[0]) for row in rows]


def decide_many(store: Store, proposal_ids: list[int], status: Status) -> Changes:
    """One decision for many proposals (a filtered set): one transaction, one undo step."""
    decisions = []
    for proposal_id in proposal_ids:
        effect = None
        if status.keeps_memory:
            effect = effect_for(relation_of(store, store.proposal(proposal_id)))
        decisions.append((proposal_id, status, None, effect))
    store.decide_many(decisions)
    return _decided(store, proposal_ids)


def add_by_hand(store: Store, conversation_id: str, turn_id: int, content: str, subject: str = "user",
                category: str = "general") -> Changes:
    """A memory the model missed, kept at once (undoable). Repeating a kept memory confirms it."""
    found = relation(store.db, content, subject, category)
    effect = effect_for(found) if found.kind is RelationKind.ALREADY_KEPT else None
    proposal = store.add_manual(conversation_id, turn_id, content, subject, category, effect)
    return _decided(store, [proposal.id], focus=proposal.id)


def undo(store: Store) -> Changes:
    """Take back this session's latest step: a decision, a bulk decision, or a change to a kept memory."""
    return _stepped(store, store.undo_step())


def redo(store: Store) -> Changes:
    return _stepped(store, store.redo_step())


def _stepped(store: Store, touched: list[int]) -> Changes:
    if touched:
        return _decided(store, touched, focus=touched[0])
    return Changes(memories=frozenset(store.last_touched), journal=True)


def import_file(store: Store, imported: ImportedFile, source_file: str,
                progress: Callable[[int, int], None] | None = None,
                should_stop: Callable[[], bool] | None = None) -> tuple[ImportSummary, Changes]:
    summary = store.import_file(imported, source_file, progress, should_stop)
    changed = frozenset(c.id for c in imported.conversations)
    return summary, Changes(conversations=changed, imported=True)


# ---------------------------------------------------------------- kept memories
def _memory_op(store: Store, memory_id: int, change: Callable[[], bool]) -> Changes:
    """One journalled change to a kept memory: Ctrl+Z undoes it like a decision."""
    try:
        changed = store.change_memory(memory_id, change)
    except memories.NoSuchMemory:
        raise StoreError(f"There is no memory {memory_id} in {store.path}.") from None
    return Changes(memories=frozenset([memory_id]), journal=True) if changed else Changes()


def edit_memory(store: Store, memory_id: int, text: str, why: str = "edited by hand") -> Changes:
    text = text.strip()
    if not text:
        raise StoreError("A memory cannot be empty; forget it instead.")
    return _memory_op(store, memory_id, lambda: memories.edit(store.db, memory_id, text, why))


def forget_memory(store: Store, memory_id: int, why: str = "forgotten by hand") -> Changes:
    return _memory_op(store, memory_id, lambda: memories.forget(store.db, memory_id, why))


def restore_memory(store: Store, memory_id: int, why: str = "restored by hand") -> Changes:
    return _memory_op(store, memory_id, lambda: memories.restore(store.db, memory_id, why))


def supersede_memory(store: Store, old_id: int, new_id: int, why: str = "replaced by hand") -> Changes:
    if old_id == new_id:
        raise StoreError("A memory cannot replace itself.")
    if not _exists(store, new_id):
        raise StoreError(f"There is no memory {new_id} in {store.path}.")
    changes = _memory_op(store, old_id, lambda: memories.supersede(store.db, old_id, new_id, why))
    return changes | Changes(memories=frozenset([new_id]))


def _exists(store: Store, memory_id: int) -> bool:
    return store.db.execute("SELECT 1 FROM memories WHERE id = ?", [memory_id]).fetchone() is not None


def add_memory(store: Store, content: str, subject: str = "user", category: str = "general",
               choice: str | None = None) -> tuple[Changes, Relation, int | None]:
    """A memory typed without a conversation (``memories add``), through the relation check:
    an exact repeat confirms the kept one; a conflict or replacement needs ``choice``."""
    content = content.strip()
    if not content:
        raise StoreError("A memory cannot be empty.")
    found = _reading(store, lambda: relation(store.db, content, subject, category))
    assert isinstance(found, Relation)
    if found.kind is RelationKind.ALREADY_KEPT:
        target = found.ids[0]
        with store._writing():
            store.db.execute("UPDATE memories SET confirmations = confirmations + 1 WHERE id = ?", [target])
        return Changes(memories=frozenset([target])), found, target
    if found.kind in (RelationKind.CONFLICTS, RelationKind.WOULD_REPLACE) and choice not in (REPLACE, KEEP_BOTH):
        raise ChoiceNeeded(f"This {found.label()}; say whether to replace it or keep both.", found)
    with store._writing():
        memory_id = memories.add(store.db, content, subject, category, why="added by hand")
        touched = {memory_id}
        if choice == REPLACE:
            for old in found.ids:
                memories.supersede(store.db, old, memory_id, "replaced by a memory added by hand")
                touched.add(old)
    return Changes(memories=frozenset(touched)), found, memory_id
