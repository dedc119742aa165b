"""Plain rows read from the store; immutable so views can hold them without copying."""

from __future__ import annotations

from dataclasses import dataclass, field

from scallop_curator.domain.review import Status


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str
    created_at: str | None
    turn_count: int
    user_turns: int
    extracted_turns: int
    pending: int
    proposals: int

    @property
    def extracted(self) -> bool:
        return self.extracted_turns > 0

    @property
    def unextracted(self) -> int:
        """User turns that have no result yet (never extracted, or the run stopped before them)."""
        return max(self.user_turns - self.extracted_turns, 0)


@dataclass(frozen=True)
class StoredTurn:
    id: int
    conversation_id: str
    index: int
    role: str
    text: str
    time: str | None


@dataclass(frozen=True)
class StoredProposal:
    id: int
    conversation_id: str
    turn_id: int
    turn_index: int
    content: str
    subject: str
    category: str
    confidence: float
    action: str
    old_value: str | None
    replaces: str | None
    status: Status
    edited_text: str | None
    manual: bool
    truncated: bool
    model: str | None
    prompt_version: str | None
    edited_fields: str | None = None  # JSON of the fields the user changed; already laid over above

    @property
    def text(self) -> str:
        return self.edited_text if self.edited_text is not None else self.content


@dataclass(frozen=True)
class StoredTurnResult:
    turn_id: int
    parse_ok: bool
    n_facts: int
    error: str | None
    raw_output: str
    truncated: bool
    latency_ms: float


@dataclass(frozen=True)
class ImportSummary:
    source: str
    format_name: str
    new_conversations: int
    new_turns: int
    unchanged_conversations: int
    skipped: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)  # what the import chose, e.g. who is the user
