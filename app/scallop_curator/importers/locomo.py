"""LoCoMo-style multi-speaker logs: ``session_N`` lists of ``{speaker, dia_id, text}`` with
``session_N_date_time`` in free text ("1:56 pm on 8 May, 2023").

There are no roles, only names: the user picks whose messages are "the user", log by log (a file may
hold many pairs of people; see :mod:`speakers`; by default a log's first speaker, and the notes say
so). Each session becomes one conversation, and its turns carry the session's date. Conversation ids
do not name the chosen user: importing a log again with another user never makes a second copy (the
store refuses to swap the roles of a stored conversation).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ImportedFile, ImportOptions, Source, open_source
from scallop_curator.importers.speakers import SpeakerLog, check_names, choose_user, note

SESSION = re.compile(r"^session_(\d+)$")
DATE_FORMATS = ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y", "%I:%M %p on %B %d, %Y", "%d %B, %Y", "%d %B %Y")


def session_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    cleaned = re.sub(r"\s+", " ", text.strip())
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def _conversation_part(record: Any) -> dict[str, Any] | None:
    if not isinstance(record, dict):
        return None
    part = record.get("conversation") if isinstance(record.get("conversation"), dict) else record
    if any(SESSION.match(k) and isinstance(v, list) for k, v in part.items()):
        return part
    return None


def _sessions(part: dict[str, Any]) -> list[tuple[int, list[Any]]]:
    found = []
    for key, value in part.items():
        match = SESSION.match(key)
        if match and isinstance(value, list):
            found.append((int(match.group(1)), value))
    return sorted(found, key=lambda s: s[0])


def speakers_of(part: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for key in ("speaker_a", "speaker_b"):
        if isinstance(part.get(key), str) and part[key] not in names:
            names.append(part[key])
    for _, session in _sessions(part):
        for turn in session:
            if isinstance(turn, dict) and isinstance(turn.get("speaker"), str) and turn["speaker"] not in names:
                names.append(turn["speaker"])
    return names


def speakers_in(path: str | Path) -> list[str]:
    """Everyone who speaks in a LoCoMo-style file, first speaker first (to offer the choice)."""
    with open_source(Path(path)) as source:
        names: list[str] = []
        for record in source.items():
            part = _conversation_part(record)
            if part:
                names += [n for n in speakers_of(part) if n not in names]
        return names


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "speaker"


def log_label(record: Any, position: int) -> str:
    """The log's name: its ``sample_id``, else its place in the file."""
    if isinstance(record, dict) and isinstance(record.get("sample_id"), (str, int)) and str(record["sample_id"]):
        return str(record["sample_id"])
    return f"log {position}"


def parse_sample(record: dict[str, Any], position: int, user: str | None) -> list[Conversation]:
    part = _conversation_part(record)
    if part is None:
        raise ValueError("it has no sessions")
    names = speakers_of(part)
    if not names:
        raise ValueError("nobody speaks in it")
    user = user or names[0]
    if user not in names:
        raise ValueError(f"{user} does not speak in it (the speakers are {', '.join(names)})")
    others = " & ".join(n for n in names if n != user) or "nobody"
    sample = log_label(record, position) if isinstance(record.get("sample_id"), (str, int)) else f"sample-{position}"
    conversations = []
    for number, session in _sessions(part):
        when = session_time(part.get(f"session_{number}_date_time"))
        turns = []
        for index, turn in enumerate(session):
            if not isinstance(turn, dict) or not isinstance(turn.get("speaker"), str):
                raise ValueError(f"message {index + 1} of session {number} has no speaker")
            text = turn.get("text") if isinstance(turn.get("text"), str) else ""
            caption = turn.get("blip_caption")
            if isinstance(caption, str) and caption.strip():
                text = f"{text}\n[shared a photo: {caption.strip()}]".strip()
            if not text.strip():
                continue
            dia_id = turn.get("dia_id")
            turns.append(Turn(
                role="user" if turn["speaker"] == user else "assistant",
                text=text.strip(),
                time=when,
                source_id=str(dia_id) if isinstance(dia_id, (str, int)) and str(dia_id) else f"{number}:{index}",
            ))
        if not turns:
            continue
        date_text = part.get(f"session_{number}_date_time")
        title = f"{user} with {others}, session {number}" + (f" ({date_text})" if isinstance(date_text, str) else "")
        conversations.append(Conversation(
            id=conversation_id(sample, number),
            title=title,
            created_at=when,
            updated_at=when,
            turns=turns,
        ))
    return conversations


def conversation_id(sample: str, session: int) -> str:
    """Without the chosen user's name (before, ``locomo:SAMPLE:USER:session_N``; a migration renames)."""
    return f"locomo:{sample}:session_{session}"


class LoCoMoImporter:
    name = "multi-speaker log (LoCoMo)"

    def detect(self, source: Source) -> bool:
        items = source.first_items()
        return source.kind == "json" and bool(items) and _conversation_part(items[0]) is not None

    def speaker_logs(self, source: Source) -> list[SpeakerLog]:
        logs = []
        for position, record in enumerate(source.items(), start=1):
            part = _conversation_part(record)
            names = speakers_of(part) if part is not None else []
            if names:
                logs.append(SpeakerLog(log_label(record, position), tuple(names)))
        return logs

    def parse(self, source: Source) -> ImportedFile:
        options = source.options or ImportOptions()
        result = ImportedFile(self.name, [])
        logs: list[SpeakerLog] = []
        for position, record in enumerate(source.items(), start=1):
            label = log_label(record, position)
            part = _conversation_part(record)
            names = tuple(speakers_of(part)) if part is not None else ()
            if names:
                logs.append(SpeakerLog(label, names))
            try:
                user, chosen = choose_user(options, label, names) if names else (None, False)
                result.conversations += parse_sample(record, position, user)
            except (ValueError, TypeError, AttributeError, KeyError) as error:
                result.skipped.append((label, f"was skipped: {error}."))
                continue
            if user is not None:
                result.notes.append(note(label, user, names, chosen))
        problem = check_names(options, logs)
        if problem:
            raise source.problem(problem, self.name)
        return result
