"""Transcripts whose lines start with the speakers' names (``Alice: …``, ``User 1: …``).

Recognised only when most non-blank lines start with one of a few names that recur, so prose with
the odd ``Note:`` is never taken for a chat. Like LoCoMo logs there are no roles: the user chooses
who "the user" is for each conversation (``---`` lines separate conversations, as in role
transcripts); everyone else reads as the other side. Conversation and turn ids do not depend on that
choice, so importing the same file again with another user never makes a second copy.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from scallop_curator.domain.conversation import Conversation
from scallop_curator.importers.base import ImportedFile, Source
from scallop_curator.importers.plain_text import (
    MAX_PREAMBLE_LINES,
    SEPARATOR,
    conversation_id,
    keyed_turns,
    read_messages,
    split_conversations,
)
from scallop_curator.importers.speakers import SpeakerLog, check_names, choose_user, note

NAME_PREFIX = re.compile(
    r"^[ \t]*(?:\*\*)?([^\W\d_][\w'.-]*(?:[ \t][\w'.-]+){0,2}?)(?:\*\*)?[ \t]*:(?:\*\*)?(?![/\\])[ \t]?(.*)$"
)
MAX_NAME = 32
MAX_SPEAKERS = 8
MIN_SHARE = 0.6  # of non-blank lines that must open with a known name
SAMPLE_CHARS = 200_000
# Labels that open lines of headers and notes, not chats (mail headers, YAML, logs).
NOT_NAMES = frozenset("""from to cc bcc subject date sent re fwd note notes title summary source url http https
    tags author status id name type version description warning error info debug todo step answer question
    example output input result total""".split())


def _name(line: str) -> tuple[str, str] | None:
    match = NAME_PREFIX.match(line)
    if not match or len(match.group(1)) > MAX_NAME:
        return None
    name = match.group(1).strip()
    if name[0].islower() or name.casefold() in NOT_NAMES:  # "key: value" lines are not speakers
        return None
    return name, match.group(2)


def recurring_names(text: str) -> list[str] | None:
    """The few names that open most lines, first speaker first; None when this is not such a transcript."""
    lines = [line for line in text.splitlines() if line.strip() and not SEPARATOR.match(line)]
    if not lines:
        return None
    found = [_name(line) for line in lines]
    counts = Counter(hit[0] for hit in found if hit)
    names = [name for name, n in counts.most_common(MAX_SPEAKERS) if n >= 2]
    if len(names) < 2:
        return None
    opened = sum(1 for hit in found if hit and hit[0] in names)
    first = next((i for i, hit in enumerate(found) if hit and hit[0] in names), len(found))
    if opened < 4 or opened < MIN_SHARE * len(lines) or first >= MAX_PREAMBLE_LINES:
        return None
    order = [hit[0] for hit in found if hit and hit[0] in names]
    return list(dict.fromkeys(order))


class NamedTranscriptImporter:
    name = "named-speaker transcript"

    def detect(self, source: Source) -> bool:
        return source.kind == "text" and bool(source.text) and recurring_names(source.text[:SAMPLE_CHARS]) is not None

    def _logs(self, source: Source) -> Iterator[tuple[SpeakerLog, list[str], list[tuple[str, str]]]]:
        text = source.text or ""
        known = set(recurring_names(text) or recurring_names(text[:SAMPLE_CHARS]) or ())

        def speaker(line: str) -> tuple[str, str] | None:
            hit = _name(line)
            return hit if hit and hit[0] in known else None

        for number, block in enumerate(split_conversations(text, speaker), start=1):
            preamble, messages = read_messages(block, speaker)
            if messages:
                who = tuple(dict.fromkeys(name for name, _ in messages))
                yield SpeakerLog(f"conversation {number}", who), preamble, messages

    def speaker_logs(self, source: Source) -> list[SpeakerLog]:
        return [log for log, _, _ in self._logs(source)]

    def parse(self, source: Source) -> ImportedFile:
        result = ImportedFile(self.name, [])
        logs = list(self._logs(source))
        problem = check_names(source.options, [log for log, _, _ in logs])
        if problem:
            raise source.problem(problem, self.name)
        used: set[str] = set()
        for log, preamble, messages in logs:
            user, chosen = choose_user(source.options, log.label, log.speakers)
            turns = keyed_turns([("user" if who == user else "assistant", who, text) for who, text in messages])
            others = " & ".join(s for s in log.speakers if s != user) or "nobody"
            title = preamble[0][:80] if len(preamble) == 1 else f"{user} with {others}"
            result.conversations.append(Conversation(id=conversation_id(turns, used), title=title, turns=turns))
            result.notes.append(note(log.label, user, log.speakers, chosen))
        return result
