"""The unit the model reads: one user turn with the assistant's reply before it.

A pydantic model (it crosses the worker's pipe as a dict and is validated there); kept apart from
``conversation.py`` so that importing conversations does not import pydantic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["ExtractionCase"]


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
