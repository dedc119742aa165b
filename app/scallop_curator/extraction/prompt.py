"""The extraction prompt: a profile chosen by name or file (see ``profiles``). Kept as the entry
point the rest of the app imports, so callers need not know the profile machinery."""

from __future__ import annotations

from pathlib import Path

from scallop_curator.extraction.profiles import BUNDLED as BUNDLED_PROFILES
from scallop_curator.extraction.profiles import DEFAULT, PromptError, PromptProfile, load_profile

BUNDLED = BUNDLED_PROFILES[DEFAULT]
#: The older name of a prompt: every prompt is a profile now.
PromptTemplate = PromptProfile

__all__ = ["BUNDLED", "PromptError", "PromptProfile", "PromptTemplate", "load_prompt"]


def load_prompt(choice: str | Path | None = None) -> PromptProfile:
    """``None``: the default profile; a bundled profile's name; or a profile or prompt file."""
    return load_profile(choice)
