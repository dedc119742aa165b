"""Relations computed once per state of the kept memories.

The review shows each pending proposal's relation (new, already kept, conflicts...) and accepting it
needs the same answer: without this, every decision looked the nearest memories up a second time,
the larger part of its cost. A relation stays valid while no kept memory changed: this connection's
changes are counted by temporary triggers on ``memories`` (whatever code path made them), another
connection's commits by ``PRAGMA data_version``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named in hints: every Store opens one, and `import` never compares memories
    import sqlite3
    from scallop_curator.store.memories_relation import Relation  # (rapidfuzz: 20 ms of start-up)

_TRIGGERS = [
    "CREATE TEMP TABLE IF NOT EXISTS memories_generation (n INTEGER NOT NULL)",
    "INSERT INTO memories_generation (n) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM memories_generation)",
    *(f"""CREATE TEMP TRIGGER IF NOT EXISTS memories_generation_{event.lower()} AFTER {event} ON main.memories
          BEGIN UPDATE memories_generation SET n = n + 1; END""" for event in ("INSERT", "UPDATE", "DELETE")),
]

#: Relations kept at most (a review shows a conversation's proposals; a few hundred is plenty).
LIMIT = 2000


class RelationCache:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        for statement in _TRIGGERS:
            db.execute(statement)
        self._generation: tuple[int, int] | None = None
        self._found: dict[Hashable, Relation] = {}

    def generation(self) -> tuple[int, int]:
        """Changes whenever a kept memory may have changed, here or in another connection."""
        ours = self._db.execute("SELECT n FROM temp.memories_generation").fetchone()[0]
        theirs = self._db.execute("PRAGMA data_version").fetchone()[0]
        return int(ours), int(theirs)

    def get(self, key: Hashable, compute: Callable[[], Relation]) -> Relation:
        generation = self.generation()
        if generation != self._generation:
            self._found.clear()
            self._generation = generation
        found = self._found.get(key)
        if found is None:
            if len(self._found) >= LIMIT:
                self._found.clear()
            found = self._found[key] = compute()
        return found
