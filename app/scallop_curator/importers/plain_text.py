"""Plain-text transcripts: lines starting ``User:``/``Assistant:`` (or Human, AI, You, ChatGPT,
Claude, ...) open a message; the lines after it, up to the next speaker, belong to it.
"""

from __future__ import annotations

import re

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ImportedFile, Source, first_line_title, stable_key

SPEAKERS = {
    "user": "user", "human": "user", "you": "user", "me": "user", "q": "user",
    "assistant": "assistant", "ai": "assistant", "chatgpt": "assistant", "gpt": "assistant",
    "claude": "assistant", "bot": "assistant", "gemini": "assistant", "bard": "assistant",
    "model": "assistant", "copilot": "assistant", "a": "assistant",
    "system": "system",
}
NAMES = "|".join(sorted((k for k in SPEAKERS if len(k) > 1), key=len, reverse=True))
PREFIX = re.compile(rf"^[ \t]*(?:\*\*|#+[ \t]*)?({NAMES})(?:\*\*)?[ \t]*:(?:\*\*)?[ \t]?(.*)$", re.IGNORECASE)
MAX_PREAMBLE_LINES = 5


def _speaker_lines(text: str) -> list[tuple[str, str]]:
    found = []
    for line in text.splitlines():
        match = PREFIX.match(line)
        if match:
            found.append((SPEAKERS[match.group(1).lower()], match.group(2)))
    return found


class PlainTextImporter:
    name = "plain-text transcript"

    def detect(self, source: Source) -> bool:
        if source.kind != "text" or not source.text:
            return False
        lines = [line for line in source.text[:200_000].splitlines() if line.strip()]
        first = next((i for i, line in enumerate(lines) if PREFIX.match(line)), None)
        if first is None or first >= MAX_PREAMBLE_LINES:
            return False
        roles = {role for role, _ in _speaker_lines(source.text[:200_000])}
        return "user" in roles and "assistant" in roles

    def parse(self, source: Source) -> ImportedFile:
        text = source.text or ""
        preamble: list[str] = []
        messages: list[tuple[str, list[str]]] = []
        for line in text.splitlines():
            match = PREFIX.match(line)
            if match:
                messages.append((SPEAKERS[match.group(1).lower()], [match.group(2)]))
            elif messages:
                messages[-1][1].append(line)
            elif line.strip():
                preamble.append(line.strip())
        turns = []
        for index, (role, lines) in enumerate(messages):
            body = "\n".join(lines).strip()
            if body:
                turns.append(Turn(role=role, text=body, source_id=str(index)))  # type: ignore[arg-type]
        if not turns:
            return ImportedFile(self.name, [])
        title = preamble[0][:80] if len(preamble) == 1 else first_line_title(
            next((t.text for t in turns if t.role == "user"), ""))
        key = stable_key([t.text for t in turns[:2]])
        return ImportedFile(self.name, [Conversation(id=f"text:{key}", title=title, turns=turns)])
