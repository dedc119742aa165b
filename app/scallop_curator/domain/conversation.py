"""Conversations as imported from any export format, and the unit the model reads."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, Field

from scallop_curator.domain.clock import TIME_GRAINS, TimeGrain, local_time, resolve_zone

__all__ = ["TIME_GRAINS", "Conversation", "ExtractionCase", "TimeGrain", "Turn"]

Role = Literal["user", "assistant", "system", "tool"]


class Turn(BaseModel):
    """One visible message of a conversation thread."""

    role: Role
    text: str
    time: datetime | None = None
    source_id: str = Field(description="The message id in the export, stable across re-imports.")


class Conversation(BaseModel):
    """One thread as the user saw it (the branch that was on screen, not every regeneration)."""

    id: str
    title: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    turns: list[Turn] = Field(default_factory=list)

    def user_turn_indexes(self) -> list[int]:
        return [i for i, t in enumerate(self.turns) if t.role == "user" and t.text.strip()]

    def extraction_cases(self, zone: str | None = None, grain: TimeGrain = "day") -> list[ExtractionCase]:
        """The cases the model was trained on: a user message plus the assistant reply before it.

        Each case carries the time a prompt may show: the turn's own timestamp, else the
        conversation's (and it says so), in ``zone`` (an IANA name; None: this machine's), cut to
        ``grain`` so that turns of one day can share one evaluated prompt prefix."""
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


class ExtractionCase(BaseModel):
    """One user turn with the assistant's previous reply, exactly what the model reads."""

    conversation_id: str
    turn_index: int
    context: str | None
    message: str
    time: datetime | None = Field(default=None, description="Local time shown by prompts that show one, cut to the chosen grain.")
    timezone: str | None = Field(default=None, description="The IANA zone of ``time``.")
    time_source: Literal["turn", "conversation", "none"] = Field(
        default="none", description="Where ``time`` came from: the turn's timestamp, else the conversation's date.")
    sort_time: datetime | None = Field(default=None, description="The exact UTC instant, for ordering turns.")
