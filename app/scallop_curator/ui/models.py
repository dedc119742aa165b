"""Thin Qt item models over rows read from the store. They hold no state of their own beyond a
cache of the last read; every change goes to the store first, then the model re-reads."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from scallop_curator.domain.review import Status
from scallop_curator.store import (
    ConversationSummary,
    Store,
    StoredProposal,
    StoredTurn,
    StoredTurnResult,
)
from scallop_curator.store import operations
from scallop_curator.store.memories_relation import Relation, RelationKind
from scallop_curator.store.skips import skipped_counts, skipped_turns
from scallop_curator.store.store import normalise
from scallop_curator.ui import plain, roles

Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole


class ConversationListModel(QAbstractListModel):
    """Conversations filtered and sorted by the store, fetched a page at a time, so a store
    with tens of thousands of conversations opens at once and scrolls smoothly."""

    PAGE = 200

    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store
        self._ids: list[str] = []
        self._cache: dict[str, ConversationSummary] = {}
        self._skipped: dict[str, int] = {}  # turns left out by skip rules, per conversation (none: absent)
        self._total = 0
        self.text = ""
        self.since: str | None = None
        self.order = "newest"

    def set_query(self, text: str | None = None, since: str | None | bool = False, order: str | None = None) -> None:
        """Change the filter or order; ``since=False`` leaves the date filter as it is."""
        if text is not None:
            self.text = text
        if since is not False:
            self.since = since  # type: ignore[assignment]
        if order is not None:
            self.order = order
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._total = self._store.conversation_count(self.text, self.since)
        self._ids = self._store.conversation_ids(self.text, self.since, self.order, self.PAGE, 0)
        self._cache = self._store.summaries(self._ids)
        self._skipped = skipped_counts(self._store, self._ids)
        self.endResetModel()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._ids) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        more = self._store.conversation_ids(self.text, self.since, self.order, self.PAGE, len(self._ids))
        if not more:
            self._total = len(self._ids)
            return
        self.beginInsertRows(QModelIndex(), len(self._ids), len(self._ids) + len(more) - 1)
        self._ids.extend(more)
        self._cache.update(self._store.summaries(more))
        self._skipped.update(skipped_counts(self._store, more))
        self.endInsertRows()

    @property
    def total(self) -> int:
        return self._total

    def refresh_counts(self, conversation_ids: list[str] | None = None) -> None:
        """Re-read the counts of some conversations (default: all fetched) in place."""
        ids = [i for i in (conversation_ids if conversation_ids is not None else self._ids) if i in self._cache]
        if not ids:
            return
        self._cache.update(self._store.summaries(ids))
        for cid in ids:
            self._skipped.pop(cid, None)
        self._skipped.update(skipped_counts(self._store, ids))
        rows = [self._ids.index(i) for i in ids] if len(ids) < 50 else [0, len(self._ids) - 1]
        self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def row_of(self, conversation_id: str) -> int:
        """The row of a conversation, fetching further pages if it lies beyond them."""
        while True:
            try:
                return self._ids.index(conversation_id)
            except ValueError:
                if not self.canFetchMore():
                    return -1
                self.fetchMore()

    def summary(self, row: int) -> ConversationSummary:
        return self._cache[self._ids[row]]

    def summary_of(self, conversation_id: str) -> ConversationSummary | None:
        """The counts of a conversation, also one the filter hides (then read from the store)."""
        cached = self._cache.get(conversation_id)
        if cached is not None:
            return cached
        return self._store.summaries([conversation_id]).get(conversation_id)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        row = self._cache[self._ids[index.row()]]
        if role == _DISPLAY:
            return row.title
        if role == roles.ID_ROLE:
            return row.id
        if role == roles.PENDING_ROLE:
            return row.pending
        if role == roles.EXTRACTED_ROLE:
            return row.extracted
        if role == roles.DATE_ROLE:
            return (row.created_at or "")[:10]
        if role == roles.UNEXTRACTED_ROLE:
            return row.unextracted
        if role == roles.SUBTITLE_ROLE:
            return self.subtitle(row, self._skipped.get(row.id, 0))
        if role == _TOOLTIP:
            extracted = f"{row.extracted_turns} of {row.user_turns} user turns extracted"
            date = f" · {row.created_at[:10]}" if row.created_at else ""
            skipped = self._skipped.get(row.id, 0)
            skips = f" · {skipped} skipped by your rules" if skipped else ""
            return plain.tooltip(f"{row.title}{date}\n{row.turn_count} turns · {extracted}{skips} · {row.pending} pending")
        return None

    @staticmethod
    def subtitle(row: ConversationSummary, skipped: int = 0) -> str:
        """Date, size and what is left to extract (and what skip rules left out): tells apart
        conversations of the same title."""
        parts = [row.created_at[:10] if row.created_at else "no date", f"{row.turn_count} turns"]
        left = row.unextracted - skipped
        if row.user_turns and not row.extracted and left > 0:
            parts.append("not extracted")
        elif left > 0:
            parts.append(f"{left} not extracted")
        if skipped:
            parts.append(f"{skipped} skipped")
        return " · ".join(parts)


class TurnsModel(QAbstractListModel):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store
        self._turns: list[StoredTurn] = []
        self._results: dict[int, StoredTurnResult] = {}
        self._proposal_counts: dict[int, int] = {}
        self._skipped: dict[int, str] = {}  # turn id -> the skip rule that left it out
        self._conversation_date: str | None = None
        self.conversation_id: str | None = None
        self.highlight_turn: int | None = None

    def load(self, conversation_id: str | None) -> None:
        self.beginResetModel()
        self.conversation_id = conversation_id
        self.highlight_turn = None
        self._read()
        self.endResetModel()

    def refresh(self) -> None:
        if self.conversation_id is None:
            return
        old = len(self._turns)
        self._read()
        if len(self._turns) != old:
            self.beginResetModel()
            self.endResetModel()
        elif self._turns:
            self.dataChanged.emit(self.index(0), self.index(len(self._turns) - 1))

    def _read(self) -> None:
        if self.conversation_id is None:
            self._turns, self._results, self._proposal_counts, self._skipped = [], {}, {}, {}
            return
        self._skipped = skipped_turns(self._store, self.conversation_id)
        summary = self._store.summaries([self.conversation_id]).get(self.conversation_id)
        self._conversation_date = summary.created_at if summary else None
        self._turns = self._store.turns(self.conversation_id)
        self._results = self._store.turn_results(self.conversation_id)
        counts: dict[int, int] = {}
        for proposal in self._store.proposals(self.conversation_id):
            counts[proposal.turn_id] = counts.get(proposal.turn_id, 0) + 1
        self._proposal_counts = counts

    def set_highlight(self, turn_id: int | None) -> None:
        self.highlight_turn = turn_id
        if self._turns:
            self.dataChanged.emit(self.index(0), self.index(len(self._turns) - 1), [roles.HIGHLIGHT_ROLE])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._turns)

    def turn(self, row: int) -> StoredTurn:
        return self._turns[row]

    def row_of_turn(self, turn_id: int) -> int:
        return next((i for i, t in enumerate(self._turns) if t.id == turn_id), -1)

    def note(self, turn: StoredTurn) -> str:
        """The small grey line under a user turn: what extraction made of it."""
        if turn.role != "user":
            return ""
        result = self._results.get(turn.id)
        count = self._proposal_counts.get(turn.id, 0)
        if result is None:
            by_hand = f"{count} added by hand · " if count else ""
            if turn.id in self._skipped:
                return f"{by_hand}⊘ skipped: {self._skipped[turn.id]} · Ctrl+Shift+T extracts it"
            return f"{by_hand}○ not extracted yet"
        if not result.parse_ok:
            return f"⚠ the model's answer could not be read: {result.error}"
        cut = " · the message was cut to fit the model" if result.truncated else ""
        if count == 0:
            return "· nothing to remember" + cut
        return f"{count} proposed" + cut

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._turns):
            return None
        turn = self._turns[index.row()]
        if role == _DISPLAY:
            return turn.text
        if role == roles.ID_ROLE:
            return turn.id
        if role == roles.ROLE_ROLE:
            return turn.role
        if role == roles.NOTE_ROLE:
            return self.note(turn)
        if role == roles.HIGHLIGHT_ROLE:
            return turn.id == self.highlight_turn
        if role == _TOOLTIP:
            dated = f"\n{undated}" if turn.role == "user" and (undated := time_note(turn.time, self._conversation_date)) else ""
            return plain.tooltip(f"{turn.role} · turn {turn.index + 1} · {turn.time or 'no time'}{dated}")
        return None

    def is_skipped(self, turn: StoredTurn) -> bool:
        """Left out by a skip rule and not extracted since."""
        return turn.id in self._skipped and turn.id not in self._results

    def is_extracted(self, turn: StoredTurn) -> bool:
        return turn.id in self._results


def time_note(turn_time: str | None, conversation_date: str | None) -> str | None:
    """What a prompt showed as the date of a turn without its own time (None: it has one)."""
    if turn_time:
        return None
    if conversation_date:
        return f"no time of its own: the prompt was given the conversation's date ({conversation_date[:10]})"
    return "no date at all: the prompt was given the day of the extraction"


_EMPTY = {"", "none", "null", "n/a", "-", "nothing"}


def given(value: str | None) -> bool:
    """A field the model filled in: models write "none" or "null" for an empty one."""
    return value is not None and value.strip().lower() not in _EMPTY


_STATUS_LABEL = {
    Status.PENDING: "pending",
    Status.ACCEPTED: "accepted",
    Status.EDITED: "edited",
    Status.REJECTED: "rejected",
    Status.SKIPPED: "skipped",
}


class ProposalsModel(QAbstractListModel):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store
        self._rows: list[StoredProposal] = []
        self._saved: dict[tuple[str, str], int] = {}
        self._relations: dict[int, Relation] = {}  # pending proposal -> its relation to kept memories
        self._undated: dict[int, str] = {}  # turn id -> what its prompt showed as its date, when it had no time
        self.conversation_id: str | None = None

    def load(self, conversation_id: str | None) -> None:
        self.beginResetModel()
        self.conversation_id = conversation_id
        self._rows = self._store.proposals(conversation_id) if conversation_id else []
        self._saved = self._store.saved_facts()
        self._relations = {}
        self._undated = self._read_undated()
        self.endResetModel()

    def _read_undated(self) -> dict[int, str]:
        if self.conversation_id is None or not self._rows:
            return {}
        summary = self._store.summaries([self.conversation_id]).get(self.conversation_id)
        date = summary.created_at if summary else None
        return {turn.id: note for turn in self._store.turns(self.conversation_id)
                if turn.role == "user" and (note := time_note(turn.time, date))}

    def already_saved(self, proposal: StoredProposal) -> bool:
        """The same fact about the same subject is kept from another proposal already."""
        source = self._saved.get((proposal.subject.lower(), normalise(proposal.text)))
        return source is not None and source != proposal.id

    def refresh(self) -> None:
        """Re-read; rows keep their places when only statuses changed."""
        if self.conversation_id is None:
            return
        fresh = self._store.proposals(self.conversation_id)
        if [p.id for p in fresh] == [p.id for p in self._rows]:
            self._rows = fresh
            self._saved = self._store.saved_facts()
            self._relations = {}
            if self._rows:
                self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))
        else:
            self.load(self.conversation_id)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def proposal(self, row: int) -> StoredProposal:
        return self._rows[row]

    def row_of(self, proposal_id: int) -> int:
        return next((i for i, p in enumerate(self._rows) if p.id == proposal_id), -1)

    def rows_for_turn(self, turn_id: int) -> list[int]:
        return [i for i, p in enumerate(self._rows) if p.turn_id == turn_id]

    def next_pending(self, after_row: int, step: int = 1) -> int:
        count = len(self._rows)
        for offset in range(1, count + 1):
            row = (after_row + step * offset) % count
            if self._rows[row].status is Status.PENDING:
                return row
        return -1

    def relation(self, proposal: StoredProposal) -> Relation | None:
        """How a pending proposal relates to the kept memories (read once per refresh)."""
        if proposal.status is not Status.PENDING:
            return None
        if proposal.id not in self._relations:
            self._relations[proposal.id] = operations.relation_of(self._store, proposal)
        return self._relations[proposal.id]

    def detail(self, proposal: StoredProposal) -> str:
        parts = [proposal.subject, proposal.category, f"{proposal.confidence:.2f}"]
        found = self.relation(proposal)
        if proposal.status is Status.PENDING and (self.already_saved(proposal)
                                                  or (found and found.kind is RelationKind.ALREADY_KEPT)):
            parts.insert(0, "already saved")
        elif found is not None and found.kind is not RelationKind.NEW:
            parts.insert(0, found.label())
        if proposal.action != "fact":
            parts.append(proposal.action.replace("_", " "))
        if given(proposal.old_value):
            parts.append(f"was: {proposal.old_value}")
        if given(proposal.replaces):
            parts.append(f"replaces: {proposal.replaces}")
        if proposal.edited_fields:
            parts.append("edited")
        if proposal.manual:
            parts.append("added by hand")
        if proposal.truncated:
            parts.append("from a cut message")
        if not proposal.manual and proposal.turn_id in self._undated:
            parts.append("dated by its conversation" if "conversation" in self._undated[proposal.turn_id]
                         else "undated turn")
        return " · ".join(parts)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        proposal = self._rows[index.row()]
        if role == _DISPLAY:
            return proposal.text
        if role == roles.ID_ROLE:
            return proposal.id
        if role == roles.TURN_ID_ROLE:
            return proposal.turn_id
        if role == roles.STATUS_ROLE:
            return _STATUS_LABEL.get(proposal.status, proposal.status.value)
        if role == roles.DETAIL_ROLE:
            return self.detail(proposal)
        if role == roles.RELATION_ROLE:
            found = self.relation(proposal)
            return found.kind.value if found else None
        if role == _TOOLTIP:
            source = "added by hand" if proposal.manual else f"{proposal.model} · prompt {proposal.prompt_version}"
            original = f"\nmodel wrote: {proposal.content}" if proposal.edited_text is not None else ""
            found = self.relation(proposal)
            related = "".join(f"\n{found.kind.value}: {m.content}" for m in found.memories) if found else ""
            undated = f"\n{self._undated[proposal.turn_id]}" if proposal.turn_id in self._undated and not proposal.manual else ""
            return plain.tooltip(f"{proposal.text}\n{self.detail(proposal)}\nturn {proposal.turn_index + 1} · {source}{original}{related}{undated}")
        return None
