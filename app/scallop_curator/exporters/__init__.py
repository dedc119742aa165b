"""Taking kept memories into the assistant the user talks to. One module per target; each reads
``exportable()``: current memories only (superseded ones on request), never forgotten ones."""

from __future__ import annotations

from dataclasses import dataclass

from scallop_curator.store import Store, memories
from scallop_curator.store.memories import MemoryRow

TARGETS = ("text", "openwebui", "sillytavern", "scallopbot", "jsonl", "markdown")

#: Which facts matter most when space is short: who the user is first, passing details last.
CATEGORY_ORDER = ("personal", "relationship", "location", "work", "preference", "project", "general")


class ExportError(Exception):
    """An export that cannot be done, phrased for the user (unreachable server, bot running, ...)."""


class ExportCancelled(Exception):
    """The user stopped an export; what was sent before stays sent (and remembered)."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"Export cancelled after {done} of {total} memories; run it again to send the rest.")
        self.done, self.total = done, total


@dataclass(frozen=True)
class Provenance:
    conversation_title: str | None
    model: str | None
    prompt_version: str | None


def exportable(store: Store, include_superseded: bool = False) -> list[MemoryRow]:
    statuses = (memories.CURRENT, memories.SUPERSEDED) if include_superseded else (memories.CURRENT,)
    return memories.listed(store.db, statuses=statuses, order="oldest")


def importance(memory: MemoryRow) -> tuple:
    """Sort key, most important first: facts about the user, identity categories, repeated, confident."""
    subject_rank = 0 if memory.subject.lower() == "user" else 2 if memory.subject.lower() == "agent" else 1
    category_rank = CATEGORY_ORDER.index(memory.category) if memory.category in CATEGORY_ORDER else len(CATEGORY_ORDER)
    return (subject_rank, category_rank, -memory.confirmations, -memory.confidence, memory.id)


def grouped(rows: list[MemoryRow]) -> list[tuple[str, str, list[MemoryRow]]]:
    """(subject, category, memories) groups: the user first, then people by name, then the assistant."""
    groups: dict[tuple[str, str], list[MemoryRow]] = {}
    for row in sorted(rows, key=importance):
        groups.setdefault((row.subject, row.category), []).append(row)

    def order(key: tuple[str, str]) -> tuple:
        subject, category = key
        first = importance(groups[key][0])
        return (first[0], subject.lower(), first[1], category)

    return [(subject, category, groups[(subject, category)]) for subject, category in sorted(groups, key=order)]


def provenance(store: Store, memory: MemoryRow) -> Provenance:
    row = store.db.execute(
        "SELECT c.title, p.model, p.prompt_version FROM memories m LEFT JOIN conversations c ON c.id = m.conversation_id "
        "LEFT JOIN proposals p ON p.id = m.proposal_id WHERE m.id = ?", [memory.id]).fetchone()
    return Provenance(*(row or (None, None, None)))


def subject_title(subject: str) -> str:
    lowered = subject.lower()
    return "Me" if lowered == "user" else "My assistant" if lowered == "agent" else subject
