"""The versioned extraction prompt, read from a resource file the user may replace."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from scallop_curator import paths

USER_MARKER = "=== user ==="
_PLACEHOLDER = re.compile(r"\{context\}|\{message\}")
BUNDLED = "extract-v1.txt"


class PromptError(Exception):
    """A prompt file the user chose that cannot be used."""


@dataclass(frozen=True)
class PromptTemplate:
    version: str
    system: str
    user: str
    path: Path

    def messages(self, context: str | None, message: str) -> list[dict[str, str]]:
        """System first, variable part last: the fixed prefix is then shared by every turn."""
        values = {"{context}": context if context else "(none)", "{message}": message}
        # One pass: a "{message}" typed inside the assistant's reply stays as typed.
        user = _PLACEHOLDER.sub(lambda match: values[match.group(0)], self.user)
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


def load_prompt(path: str | Path | None = None) -> PromptTemplate:
    bundled = path is None
    file = paths.resource("prompts", BUNDLED) if path is None else Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PromptError(f"The prompt file {file} cannot be read: {error}.") from error
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    if USER_MARKER not in body:
        raise PromptError(f"The prompt file {file} has no '{USER_MARKER}' line separating the two parts.")
    system, user = (part.strip() for part in body.split(USER_MARKER, 1))
    if "{message}" not in user:
        raise PromptError(f"The prompt file {file} never uses {{message}}, so the model would not see the turn.")
    digest = hashlib.sha256(body.encode()).hexdigest()[:8]
    version = file.stem if bundled else f"custom-{digest}"
    return PromptTemplate(version=version, system=system, user=user, path=file)
