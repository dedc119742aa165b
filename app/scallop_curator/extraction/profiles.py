"""Prompt profiles: a template, the slots it fills per turn, and the shape of the answer it asks for.

A profile file is TOML (exact bytes, no trimming):

    name = "scallopbot"            # what every proposal and output line records
    version = "scallopbot-1"       # changes whenever the text changes (snapshots are keyed by it)
    answer = "facts+triggers"      # or "facts": the JSON object the grammar allows
    system = '''...'''             # optional: absent means one user message, no system message
    user = '''... {date} {time} {timezone} {context} {message} ...'''
    context_present = '''Previous reply:\n{reply}\n\n'''   # what {context} becomes with a reply
    context_absent = ''                                     # ... and without one

Only those slot names are replaced, in one pass, so braces in the instructions (JSON examples) and
in the user's own text stay as written.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from scallop_curator import paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

Answer = Literal["facts", "facts+triggers"]
ANSWERS: tuple[str, ...] = ("facts", "facts+triggers")
BUNDLED: dict[str, str] = {"compact": "compact.toml", "scallopbot": "scallopbot.toml"}
DEFAULT = "compact"
SLOTS = ("date", "time", "timezone", "context", "message")
_SLOT = re.compile(r"\{(date|time|timezone|context|message)\}")
_REPLY = re.compile(r"\{reply\}")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
#: The longest date and time the clock slots can hold, for sizing the fixed part of a prompt.
WIDEST = datetime(2025, 9, 24, 10, 10)


class PromptError(Exception):
    """A prompt or profile file the user chose that cannot be used."""


def date_text(when: datetime) -> str:
    """``Wednesday, May 14, 2025``, in English whatever the machine's locale (the model's language)."""
    return f"{_DAYS[when.weekday()]}, {_MONTHS[when.month - 1]} {when.day}, {when.year}"


def time_text(when: datetime) -> str:
    """``09:12 PM``: two-digit 12-hour clock, as the production prompt shows it."""
    hour = when.hour % 12 or 12
    return f"{hour:02d}:{when.minute:02d} {'PM' if when.hour >= 12 else 'AM'}"


@dataclass(frozen=True)
class PromptProfile:
    name: str
    version: str
    user: str
    system: str | None = None
    context_present: str = "{reply}"
    context_absent: str = ""
    answer: Answer = "facts"
    path: Path | None = None

    @property
    def uses_clock(self) -> bool:
        """Whether the prompt shows a date or time: then its fixed prefix differs from day to day."""
        return any(f"{{{slot}}}" in self.user for slot in ("date", "time"))

    def messages(self, context: str | None, message: str, when: datetime | None = None,
                 timezone: str = "") -> list[dict[str, str]]:
        """The chat messages for one turn; ``when`` is the turn's local time (now if unknown)."""
        when = when or datetime.now().astimezone()
        if context:
            block = _REPLY.sub(lambda _m: context, self.context_present)
        else:
            block = self.context_absent
        values = {"date": date_text(when), "time": time_text(when), "timezone": timezone or _zone_name(when),
                  "context": block, "message": message}
        user = _SLOT.sub(lambda match: values[match.group(1)], self.user)
        if self.system is None:
            return [{"role": "user", "content": user}]
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]

    def to_toml(self) -> str:
        """The profile as a file ``load_profile`` reads back to an equal profile."""
        lines = [f"name = {_toml_string(self.name)}", f"version = {_toml_string(self.version)}",
                 f"answer = {_toml_string(self.answer)}"]
        if self.system is not None:
            lines.append(f"system = {_toml_string(self.system)}")
        lines += [f"user = {_toml_string(self.user)}", f"context_present = {_toml_string(self.context_present)}",
                  f"context_absent = {_toml_string(self.context_absent)}"]
        return "\n".join(lines) + "\n"


def _zone_name(when: datetime) -> str:
    key = getattr(when.tzinfo, "key", None)
    return key or when.tzname() or "UTC"


def _toml_string(text: str) -> str:
    """A TOML basic string. JSON's escapes are TOML's, except DEL, which TOML wants escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def load_profile(choice: str | Path | None = None) -> PromptProfile:
    """A bundled profile by name (``compact``, ``scallopbot``), a profile file (``.toml``), or a
    prompt file in the older two-part format (system, ``=== user ===``, user)."""
    if choice is None or str(choice) in BUNDLED:
        name = DEFAULT if choice is None else str(choice)
        return _read_toml(paths.resource("prompts", BUNDLED[name]), bundled=True)
    file = Path(choice)
    if file.suffix.lower() == ".toml":
        return _read_toml(file, bundled=False)
    return _read_two_part(file)


def _read_text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PromptError(f"The prompt file {file} cannot be read: {error}.") from error


def _read_toml(file: Path, bundled: bool) -> PromptProfile:
    text = _read_text(file)
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PromptError(f"The profile {file} is not valid TOML: {error}.") from error
    unknown = set(data) - {"name", "version", "answer", "system", "user", "context_present", "context_absent"}
    if unknown:
        raise PromptError(f"The profile {file} has keys this release does not know: {', '.join(sorted(unknown))}.")
    if not all(isinstance(value, str) for value in data.values()):
        raise PromptError(f"The profile {file} must hold only strings.")
    user = data.get("user")
    if not user or "{message}" not in user:
        raise PromptError(f"The profile {file} never uses {{message}} in 'user', so the model would not see the turn.")
    if "{context}" not in user:
        raise PromptError(f"The profile {file} never uses {{context}} in 'user', so the previous reply is lost.")
    answer = data.get("answer", "facts")
    if answer not in ANSWERS:
        raise PromptError(f"The profile {file} asks for answer {answer!r}; use one of {', '.join(ANSWERS)}.")
    present = data.get("context_present", "{reply}")
    if "{reply}" not in present:
        raise PromptError(f"The profile {file} never uses {{reply}} in 'context_present'.")
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    name = data.get("name") or file.stem
    version = data.get("version") or name
    if not bundled:
        version = f"{version}+{digest}"  # a user's edit never reuses the bundled text's snapshots
    return PromptProfile(name=name, version=version, user=user, system=data.get("system"),
                         context_present=present, context_absent=data.get("context_absent", ""),
                         answer=answer, path=file)  # type: ignore[arg-type]


def _read_two_part(file: Path) -> PromptProfile:
    """The format of extract-v1.txt: '#' comment lines, system part, '=== user ===', user part
    with {context} (the reply, or "(none)") and {message}."""
    marker = "=== user ==="
    body = "\n".join(line for line in _read_text(file).splitlines() if not line.startswith("#"))
    if marker not in body:
        raise PromptError(f"The prompt file {file} has no '{marker}' line separating the two parts.")
    system, user = (part.strip() for part in body.split(marker, 1))
    if "{message}" not in user:
        raise PromptError(f"The prompt file {file} never uses {{message}}, so the model would not see the turn.")
    digest = hashlib.sha256(body.encode()).hexdigest()[:8]
    return PromptProfile(name=f"custom-{digest}", version=f"custom-{digest}", system=system, user=user,
                         context_present="{reply}", context_absent="(none)", path=file)
