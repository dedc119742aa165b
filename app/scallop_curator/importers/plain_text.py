"""Plain-text transcripts: lines starting ``User:``/``Assistant:`` (or Human, AI, You, ChatGPT,
Claude, ...) open a message; the lines after it, up to the next speaker, belong to it.

A line of ``---`` (or ``***``, ``===``, ``___``) followed by a speaker line separates two
conversations: it never stays inside a message, and the next conversation starts without the last
one's reply as context. Inside a code fence, or before more of the same message, it is just text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ImportedFile, Source, first_line_title, stable_key
from scallop_curator.importers.turn_keys import content_key

SPEAKERS = {
    "user": "user", "human": "user", "you": "user", "me": "user", "q": "user",
    "assistant": "assistant", "ai": "assistant", "chatgpt": "assistant", "gpt": "assistant",
    "claude": "assistant", "bot": "assistant", "gemini": "assistant", "bard": "assistant",
    "model": "assistant", "copilot": "assistant", "a": "assistant",
    "system": "system",
}
NAMES = "|".join(sorted((k for k in SPEAKERS if len(k) > 1), key=len, reverse=True))
PREFIX = re.compile(rf"^[ \t]*(?:\*\*|#+[ \t]*)?({NAMES})(?:\*\*)?[ \t]*:(?:\*\*)?[ \t]?(.*)$", re.IGNORECASE)
SEPARATOR = re.compile(r"^[ \t]*(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:=[ \t]*){3,}|_{3,})$")
FENCE = re.compile(r"^[ \t]*(```|~~~)")
MAX_PREAMBLE_LINES = 5

# (speaker as written, text after the colon), or None: a line that does not open a message.
SpeakerMatch = Callable[[str], "tuple[str, str] | None"]


def role_speaker(line: str) -> tuple[str, str] | None:
    match = PREFIX.match(line)
    return (match.group(1), match.group(2)) if match else None


def _speaker_lines(text: str) -> list[tuple[str, str]]:
    found = []
    for line in text.splitlines():
        match = PREFIX.match(line)
        if match:
            found.append((SPEAKERS[match.group(1).lower()], match.group(2)))
    return found


def split_conversations(text: str, speaker: SpeakerMatch) -> list[list[str]]:
    """The transcript's lines, cut at separator lines that are followed by a new message."""
    lines = text.splitlines()
    blocks: list[list[str]] = [[]]
    in_fence = False
    for position, line in enumerate(lines):
        opened = speaker(line)
        if opened:
            in_fence = False  # an unclosed fence never swallows the next message
        if FENCE.match(opened[1] if opened else line):
            in_fence = not in_fence
        elif not in_fence and SEPARATOR.match(line) and _next_opens_message(lines, position + 1, speaker):
            if any(item.strip() for item in blocks[-1]):
                blocks.append([])
            continue
        blocks[-1].append(line)
    return [block for block in blocks if any(item.strip() for item in block)]


def _next_opens_message(lines: list[str], start: int, speaker: SpeakerMatch) -> bool:
    for line in lines[start:]:
        if line.strip():
            return speaker(line) is not None or bool(SEPARATOR.match(line))
    return True  # a separator at the very end


def read_messages(block: list[str], speaker: SpeakerMatch) -> tuple[list[str], list[tuple[str, str]]]:
    """(preamble lines, [(speaker as written, text)]) of one conversation's lines."""
    preamble: list[str] = []
    messages: list[tuple[str, list[str]]] = []
    for line in block:
        found = speaker(line)
        if found:
            messages.append((found[0], [found[1]]))
        elif messages:
            messages[-1][1].append(line)
        elif line.strip():
            preamble.append(line.strip())
    out = [(who, "\n".join(body).strip()) for who, body in messages]
    return preamble, [(who, body) for who, body in out if body]


def keyed_turns(messages: list[tuple[str, str, str]]) -> list[Turn]:
    """Turns from (role, speaker, text); each keyed by its speaker, text and the turn before it,
    since a transcript has no message ids (positions shift when a turn is inserted)."""
    turns: list[Turn] = []
    previous = ""
    for role, who, text in messages:
        previous = content_key(who.lower(), text, previous)
        turns.append(Turn(role=role, text=text, source_id=previous))  # type: ignore[arg-type]
    return turns


def conversation_id(turns: list[Turn], used: set[str]) -> str:
    """Named by its first two messages, as before separators were read, so stores keep matching."""
    base = f"text:{stable_key([t.text for t in turns[:2]])}"
    found, n = base, 1
    while found in used:
        n += 1
        found = f"{base}:{n}"
    used.add(found)
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
        result = ImportedFile(self.name, [])
        used: set[str] = set()
        for block in split_conversations(source.text or "", role_speaker):
            preamble, messages = read_messages(block, role_speaker)
            turns = keyed_turns([(SPEAKERS[who.lower()], who, text) for who, text in messages])
            if not turns:
                continue
            title = preamble[0][:80] if len(preamble) == 1 else first_line_title(
                next((t.text for t in turns if t.role == "user"), ""))
            result.conversations.append(Conversation(id=conversation_id(turns, used), title=title, turns=turns))
        return result
