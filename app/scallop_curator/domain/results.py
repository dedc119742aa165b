"""What one extraction of one turn produced, whichever backend ran it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from scallop_curator.domain.facts import Fact


class TurnResult(BaseModel):
    """One line of ``extract --out``: an empty ``facts`` with ``parse_ok`` means a quiet turn."""

    conversation_id: str
    turn_index: int
    parse_ok: bool
    facts: list[Fact] = Field(default_factory=list)
    raw_output: str = ""
    latency_ms: float = 0.0
    error: str | None = None
    truncated: bool = False
    prompt_tokens: int = 0
    evaluated_tokens: int = 0


class RunInfo(BaseModel):
    """Which model and prompt produced a run's proposals (the provenance of every proposal)."""

    model: str
    model_hash: str | None = None
    prompt_version: str
    backend: str = "local"
    prompt_profile: str | None = None
