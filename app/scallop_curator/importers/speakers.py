"""Multi-speaker logs (LoCoMo, ``Name: text`` transcripts): who is "the user", log by log.

Such logs have names, not roles. A file may hold many logs between different people (LoCoMo has ten
pairs), so the choice is made per log: ``ImportOptions.user_by_log`` names the user of a log,
``user_speaker``/``user_names`` are names tried in every log, and a log with none of them takes its
first speaker. Every choice is written into the import's notes, so the summary says what was taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scallop_curator.importers.base import ImportOptions


@dataclass(frozen=True)
class SpeakerLog:
    """One log of a multi-speaker file: its label (the key of ``user_by_log``) and who speaks in it."""

    label: str
    speakers: tuple[str, ...]


def _find(name: str, speakers: tuple[str, ...] | list[str]) -> str | None:
    if name in speakers:
        return name
    folded = name.casefold().strip()
    return next((s for s in speakers if s.casefold() == folded), None)


def wanted_names(options: ImportOptions | None) -> list[str]:
    if options is None:
        return []
    names = [options.user_speaker] if options.user_speaker else []
    return names + [n for n in options.user_names if n and n not in names]


def choose_user(options: ImportOptions | None, label: str, speakers: tuple[str, ...]) -> tuple[str, bool]:
    """(the user of this log, whether someone chose it); ValueError when the chosen name is not in it."""
    options = options or ImportOptions()
    named = options.user_by_log.get(label)
    if named:
        found = _find(named, speakers)
        if found is None:
            raise ValueError(f"{named} does not speak in it (the speakers are {', '.join(speakers)})")
        return found, True
    for name in wanted_names(options):
        found = _find(name, speakers)
        if found is not None:
            return found, True
    return speakers[0], False


def note(label: str, user: str, speakers: tuple[str, ...], chosen: bool) -> str:
    others = ", ".join(s for s in speakers if s != user) or "nobody else"
    how = "is the user" if chosen else "was taken as the user (the first speaker)"
    return f"{label}: {user} {how}; the others: {others}"


def check_names(options: ImportOptions | None, logs: list[SpeakerLog]) -> str | None:
    """A message when a name the user gave speaks in none of the logs (a typo must not pass silently)."""
    everyone = [s for log in logs for s in log.speakers]
    labels = {log.label for log in logs}
    for name in wanted_names(options):
        if _find(name, everyone) is None:
            return f"{name} does not speak in this file; choose one of: {', '.join(dict.fromkeys(everyone)) or 'nobody'}."
    for label in (options.user_by_log if options else {}):
        if label not in labels:
            return f"there is no log {label!r} in this file; its logs are: {', '.join(sorted(labels))}."
    return None


def speaker_logs(path: str | Path) -> list[SpeakerLog]:
    """The logs of a multi-speaker file, to offer the choice; [] for any other file (or an unreadable one,
    whose error the import itself reports)."""
    from scallop_curator.importers import detect, open_source
    from scallop_curator.importers.base import ImportProblem

    try:
        with open_source(Path(path)) as source:
            importer = detect(source)
            reader = getattr(importer, "speaker_logs", None)
            return list(reader(source)) if reader is not None else []
    except ImportProblem:
        return []

