"""Which stored turn an imported turn is: matched by content and order, not by position.

Many formats have no message ids (transcripts, ShareGPT, OpenAI message lists): their turns are
numbered by position, so a pair inserted in the middle shifts every later number. Matching turns by
position then stores neither new turn and doubles the last two. Here a re-imported conversation is
aligned with what is stored:

1. anchors: turns whose format id is real (not just the position) and already stored with the same
   role are the same message, even if the export renders its text a little differently now;
2. between anchors, turns are aligned by (role, text) in order (``difflib``): equal runs are the same
   turns; the rest are new turns, or stored turns the newer export no longer shows.

Stored turns are never deleted (decisions and memories point at them): a turn the export no longer
shows keeps its place, an edited turn keeps its old version before the new one. Every turn then gets
a dense position, so extraction cases (which count positions) stay aligned with the store.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from scallop_curator.domain.conversation import Turn
from scallop_curator.importers.turn_keys import content_key

__all__ = ["MergePlan", "StoredRow", "content_key", "is_positional", "plan_merge", "same_turns"]

_POSITIONAL = re.compile(r"^\d+$")


@dataclass(frozen=True)
class StoredRow:
    id: int
    role: str
    text: str
    source_id: str


@dataclass
class MergePlan:
    """``order``: the conversation after the merge, each a stored turn id (int) or an index into
    the incoming turns (``("new", i)``). ``retext``: stored turn id -> the export's newer text."""

    order: list[int | tuple[str, int]] = field(default_factory=list)
    retext: dict[int, str] = field(default_factory=dict)
    new: list[int] = field(default_factory=list)
    role_conflicts: int = 0
    matched: int = 0

    @property
    def roles_swapped(self) -> bool:
        """Most turns found again carry the other role: refuse rather than store a second, swapped copy."""
        return self.role_conflicts > self.matched


def is_positional(source_id: str, index: int) -> bool:
    """An id that only numbers the turn (``"3"`` for the fourth turn) says nothing about which turn it is."""
    return bool(_POSITIONAL.match(source_id)) and int(source_id) == index


def same_turns(stored: list[StoredRow], incoming: list[Turn]) -> bool:
    return len(stored) == len(incoming) and all(
        s.role == t.role and s.text == t.text for s, t in zip(stored, incoming)
    )


def _anchors(stored: list[StoredRow], incoming: list[Turn]) -> list[tuple[int, int]]:
    """(stored position, incoming position) pairs of the same message by real id, in order on both sides."""
    where = {row.source_id: pos for pos, row in enumerate(stored)}
    pairs: list[tuple[int, int]] = []
    for i, turn in enumerate(incoming):
        if is_positional(turn.source_id, i):
            continue  # a position, not an identity: even an equal text may be another turn that moved here
        pos = where.get(turn.source_id)
        if pos is None or stored[pos].role != turn.role:
            continue
        if pairs and (pos <= pairs[-1][0]):
            continue  # out of order: let the content alignment decide
        pairs.append((pos, i))
    return pairs


def plan_merge(stored: list[StoredRow], incoming: list[Turn]) -> MergePlan:
    """How to fold ``incoming`` (the export's current turns) into ``stored`` (ordered by position)."""
    plan = MergePlan()
    if not stored:  # a new conversation (nearly every one of a first import): every turn is new
        plan.new = list(range(len(incoming)))
        plan.order = [("new", i) for i in plan.new]
        return plan
    anchors = _anchors(stored, incoming)
    s_from = i_from = 0
    for s_at, i_at in [*anchors, (len(stored), len(incoming))]:
        _align_gap(stored[s_from:s_at], s_from, incoming[i_from:i_at], i_from, plan)
        if s_at < len(stored) and i_at < len(incoming):
            row = stored[s_at]
            plan.order.append(row.id)
            plan.matched += 1
            if row.text != incoming[i_at].text:
                plan.retext[row.id] = incoming[i_at].text
        s_from, i_from = s_at + 1, i_at + 1
    plan.role_conflicts = _role_conflicts(stored, incoming) if plan.new and stored else 0
    return plan


def _align_gap(stored: list[StoredRow], s_base: int, incoming: list[Turn], i_base: int, plan: MergePlan) -> None:
    a = [(row.role, row.text) for row in stored]
    b = [(turn.role, turn.text) for turn in incoming]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            plan.order += [row.id for row in stored[a0:a1]]
            plan.matched += a1 - a0
            continue
        plan.order += [row.id for row in stored[a0:a1]]  # no longer shown, or the old version of an edit
        for j in range(b0, b1):
            plan.order.append(("new", i_base + j))
            plan.new.append(i_base + j)


def _role_conflicts(stored: list[StoredRow], incoming: list[Turn]) -> int:
    """Turns stored with one role and imported with the other: the same log read with another person
    as "the user". Counted only when there are new turns, so an unchanged re-import never pays for it."""
    a = [row.text for row in stored]
    b = [turn.text for turn in incoming]
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    conflicts = 0
    for s0, i0, size in matcher.get_matching_blocks():
        conflicts += sum(stored[s0 + k].role != incoming[i0 + k].role for k in range(size))
    return conflicts
