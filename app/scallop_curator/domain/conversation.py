"""Conversations as imported from any export format, and the unit the model reads.

``Turn`` and ``Conversation`` are plain slotted dataclasses, not pydantic models: the importers
build one per message of exports of hundreds of MB, and ``scallop-curator import`` should not pay
pydantic's start-up (about 0.2 s of CPU, over a quarter of a plain `json.load` of a 50 MB export) nor its
per-instance memory. They still refuse a value of the wrong type (``ValueError``, which an importer
turns into "conversation skipped"), as the pydantic models did: exports hold anything, e.g. a list
where a title should be. ``Conversation.from_dict`` parses plain data (ISO times, turn dicts).
``ExtractionCase`` (validated where it crosses the worker's pipe) stays a pydantic model in
``extraction_case.py``, imported from here on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from scallop_curator.domain.clock import TIME_GRAINS, TimeGrain, local_time, resolve_zone

if TYPE_CHECKING:
    from scallop_curator.domain.extraction_case import ExtractionCase

__all__ = ["TIME_GRAINS", "Conversation", "ExtractionCase", "TimeGrain", "Turn"]

Role = Literal["user", "assistant", "system", "tool"]
ROLES: tuple[str, ...] = ("user", "assistant", "system", "tool")


def __getattr__(name: str) -> Any:
    """``ExtractionCase`` is imported here only when asked for (it needs pydantic)."""
    if name == "ExtractionCase":
        from scallop_curator.domain.extraction_case import ExtractionCase

        return ExtractionCase
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_KINDS = {str: "text", datetime: "a date and time", list: "a list"}


def _check(owner: str, name: str, value: object, kind: type) -> None:
    if not isinstance(value, kind):
        raise ValueError(f"{owner} {name} is {type(value).__name__}, not {_KINDS[kind]}")


def _datetime(value: datetime | str | None) -> datetime | None:
    """A stored or exported time: a datetime, ISO 8601 text (``Z`` allowed), or nothing."""
    if value is None or isinstance(value, datetime):
        return value
    if not value:
        return None
    return datetime.fromisoformat(value)


@dataclass(slots=True, kw_only=True)
class Turn:
    """One visible message of a conversation thread."""

    role: Role
    text: str
    time: datetime | None = None
    #: The message id in the export, stable across re-imports.
    source_id: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"a message's role {self.role!r} is none of {', '.join(ROLES)}")
        _check("a message's", "text", self.text, str)
        _check("a message's", "id", self.source_id, str)
        if self.time is not None:
            _check("a message's", "time", self.time, datetime)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Turn:
        """A turn from plain data (a stored row, a test's literal): ``time`` may be ISO text."""
        return cls(role=data["role"], text=data["text"], time=_datetime(data.get("time")), source_id=data["source_id"])


@dataclass(slots=True, kw_only=True)
class Conversation:
    """One thread as the user saw it (the branch that was on screen, not every regeneration)."""

    id: str
    title: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    turns: list[Turn] = field(default_factory=list)

    def __post_init__(self) -> None:
        _check("the conversation's", "id", self.id, str)
        _check("the conversation's", "title", self.title, str)
        for name in ("created_at", "updated_at"):
            if getattr(self, name) is not None:
                _check("the conversation's", name, getattr(self, name), datetime)
        _check("the conversation's", "turns", self.turns, list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        """A conversation from plain data: times may be ISO text, turns dicts or ``Turn``s."""
        return cls(
            id=data["id"],
            title=data.get("title") or "",
            created_at=_datetime(data.get("created_at")),
            updated_at=_datetime(data.get("updated_at")),
            turns=[t if isinstance(t, Turn) else Turn.from_dict(t) for t in data.get("turns", ())],
        )

    def user_turn_indexes(self) -> list[int]:
        return [i for i, t in enumerate(self.turns) if t.role == "user" and t.text.strip()]

    def extraction_cases(self, zone: str | None = None, grain: TimeGrain = "day") -> list[ExtractionCase]:
        """The cases the model was trained on: a user message plus the assistant reply before it.

        Each case carries the time a prompt may show: the turn's own timestamp, else the
        conversation's (and it says so), in ``zone`` (an IANA name; None: this machine's), cut to
        ``grain`` so that turns of one day can share one evaluated prompt prefix."""
        from scallop_curator.domain.extraction_case import ExtractionCase

        tz_name, tz = resolve_zone(zone)
        fallback = self.created_at or self.updated_at
        cases: list[ExtractionCase] = []
        last_assistant: str | None = None
        for index, turn in enumerate(self.turns):
            if turn.role == "assistant":
                last_assistant = turn.text
            elif turn.role == "user" and turn.text.strip():
                stamp, source = (turn.time, "turn") if turn.time else (fallback, "conversation") if fallback else (None, "none")
                cases.append(
                    ExtractionCase(
                        conversation_id=self.id,
                        turn_index=index,
                        context=last_assistant,
                        message=turn.text,
                        time=local_time(stamp, tz, grain) if stamp else None,
                        timezone=tz_name,
                        time_source=source,
                        sort_time=_utc(stamp) if stamp else None,
                    )
                )
                last_assistant = None
        return cases


def _utc(stamp: datetime) -> datetime:
    return stamp.astimezone(timezone.utc) if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
