"""What one operation changed in the store, so views refresh exactly from it (Anki's OpChanges)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Changes:
    """Ids touched by one committed operation, plus flags for changes no id list describes.

    ``focus`` is the proposal the user should see next (e.g. the one undo reverted); ``external``
    means another connection changed the store and every view should re-read.
    """

    conversations: frozenset[str] = field(default_factory=frozenset)
    turns: frozenset[int] = field(default_factory=frozenset)
    proposals: frozenset[int] = field(default_factory=frozenset)
    memories: frozenset[int] = field(default_factory=frozenset)
    journal: bool = False   # undo / redo availability may have changed
    imported: bool = False  # conversations or turns were added
    exported: bool = False  # export bookkeeping changed
    external: bool = False  # another connection committed; re-read everything
    focus: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.conversations or self.turns or self.proposals or self.memories or self.journal
                    or self.imported or self.exported or self.external)

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            self.conversations | other.conversations, self.turns | other.turns, self.proposals | other.proposals,
            self.memories | other.memories, self.journal or other.journal, self.imported or other.imported,
            self.exported or other.exported, self.external or other.external,
            other.focus if other.focus is not None else self.focus,
        )


NOTHING = Changes()
EXTERNAL = Changes(external=True)
