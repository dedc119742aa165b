"""Conversations as imported from any export format, and the unit the model reads."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

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

    def extraction_cases(self) -> list[ExtractionCase]:
        """The cases the model was trained on: a user message plus the assistant reply before it."""
        cases: list[ExtractionCase] = []
        last_assistant: str | None = None
        for index, turn in enumerate(self.turns):
            if turn.role == "assistant":
                last_assistant = turn.text
            elif turn.role == "user" and turn.text.strip():
                cases.append(
                    ExtractionCase(
                        conversation_id=self.id,
                        turn_index=index,
                        context=last_assistant,
                        message=turn.text,
                    )
                )
                last_assistant = None
        return cases


class ExtractionCase(BaseModel):
    """One user turn with the assistant's previous reply, exactly what the model reads."""

    conversation_id: str
    turn_index: int
    context: str | None
    message: str
