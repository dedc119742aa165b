"""What every importer shares: reading the file once, plain-language errors, the result."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from scallop_curator.domain.conversation import Conversation

MAX_FILE_BYTES = 2 * 1024**3


class ImportProblem(Exception):
    """An export we cannot read. The message is for the user: file, format, and where it broke."""

    def __init__(self, path: Path, message: str, format_name: str | None = None) -> None:
        self.path = Path(path)
        self.format_name = format_name
        self.detail = message
        super().__init__(f"{self.path.name}: {message}")


@dataclass
class Source:
    """An export file read once: bytes decoded, and JSON or JSON Lines parsed if it is either."""

    path: Path
    text: str
    data: Any = None
    lines: list[Any] | None = None
    json_error: str | None = None

    def shape_hint(self) -> str:
        if self.json_error:
            return self.json_error
        if self.data is not None:
            return f"it is JSON, but its top level is a {type(self.data).__name__} we do not recognise"
        if self.lines is not None:
            return "it is JSON Lines, but its records are not chat messages"
        return "it is neither JSON nor a transcript"

    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass
class ImportedFile:
    format_name: str
    conversations: list[Conversation]
    skipped: list[tuple[str, str]] = field(default_factory=list)


class Importer(Protocol):
    name: str

    def detect(self, source: Source) -> bool: ...

    def parse(self, source: Source) -> ImportedFile: ...


def _describe_json_error(error: json.JSONDecodeError, text: str) -> str:
    if error.pos >= len(text.rstrip()):
        return f"the JSON ends early at line {error.lineno:,} (the file looks cut off)"
    return f"the JSON breaks at line {error.lineno:,}, column {error.colno:,}: {error.msg.lower()}"


def read_source(path: Path) -> Source:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ImportProblem(path, f"The file cannot be opened: {error.strerror or error}.") from error
    if size > MAX_FILE_BYTES:
        raise ImportProblem(path, f"The file is {size / 1e9:.1f} GB, more than we read at once.")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportProblem(path, f"The file cannot be read: {error.strerror or error}.") from error
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ImportProblem(
            path, f"The file is not valid UTF-8 text: byte {error.start:,} (line {line:,}) cannot be decoded."
        ) from error
    source = Source(path=path, text=text)
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            source.data = json.loads(text)
            return source
        except json.JSONDecodeError as error:
            source.json_error = _describe_json_error(error, text)
            lines = _try_json_lines(text)
            if lines is not None:
                source.json_error = None
                source.lines = lines
    return source


def _try_json_lines(text: str) -> list[Any] | None:
    records: list[Any] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            return None
    return records if len(records) > 1 else None


def require_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{what} is not a list")
    return value
