"""The review state of a proposal.

Proposals, decisions and memories themselves live in the store (``store/records.py``,
``store/memories.py``), which is where everything reads them from.
"""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    """The review state of one proposal. ``withdrawn`` is a hand-added memory that was undone."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    EDITED = "edited"
    REJECTED = "rejected"
    SKIPPED = "skipped"
    WITHDRAWN = "withdrawn"

    @property
    def keeps_memory(self) -> bool:
        return self in (Status.ACCEPTED, Status.EDITED)
