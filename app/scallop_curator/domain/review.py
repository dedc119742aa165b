"""What the user reviews (proposals), what they decide, and what ends up saved (memories)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import BaseModel

from scallop_curator.domain.facts import Fact


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


class Provenance(BaseModel):
    """Where a proposal came from, so an audit can trace every saved memory."""

    conversation_id: str
    turn_index: int
    model: str
    model_hash: str | None = None
    prompt_version: str
    run_id: int | None = None
    truncated: bool = False


class Proposal(BaseModel):
    id: int
    fact: Fact
    provenance: Provenance
    status: Status = Status.PENDING
    edited_text: str | None = None
    manual: bool = False

    @property
    def text(self) -> str:
        return self.edited_text if self.edited_text is not None else self.fact.content


class Decision(BaseModel):
    """One review action, journalled so it can be undone, also after a restart."""

    proposal_id: int
    status: Status
    edited_text: str | None = None
    previous_status: Status
    previous_text: str | None = None
    decided_at: datetime


class Memory(BaseModel):
    """A fact the user kept, with the turns it came from."""

    id: int
    proposal_id: int | None
    content: str
    subject: str
    category: str
    confidence: float
    action: str
    old_value: str | None
    replaces: str | None
    conversation_id: str
    source_turns: list[int]
    source_times: list[datetime | None]
    created_at: datetime
