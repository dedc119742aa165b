"""What every importer shares: reading an export once, plain-language errors, the result.

An export can be a single file (JSON, JSON Lines, HTML with embedded JSON, a plain-text transcript,
a SQLite database), a zip as downloaded, or a folder holding a sharded export. :func:`open_source`
turns any of them into one :class:`Source`; importers look at its content, never at file names.

Top-level JSON arrays (the big ChatGPT and Claude exports) are streamed element by element with a
C parser, so a 200 MB export never sits in memory as raw bytes, decoded text and parsed objects at
once; anything else is read whole, under a much smaller limit. No input gets past the limits by
lying about its size: they are checked before reading and enforced while reading.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import re
import sqlite3
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import IO, Any, Protocol

from scallop_curator.domain.conversation import Conversation
from scallop_curator.importers import json_stream
from scallop_curator.importers.json_stream import decode_error, describe_json_error

# Limits are inclusive: a file of exactly MAX_FILE_BYTES is refused. Every limit is checked before
# reading (stat, the zip's declared sizes) and again while reading, since a zip header can lie.
MAX_FILE_BYTES = 2 * 1024**3
# Content that is not a JSON list (an object, JSON Lines, a transcript, a web page) is read whole:
# as bytes, text and parsed values at once, so it gets a much smaller limit than a streamed list.
MAX_WHOLE_BYTES = 64 * 1024**2
# One element of a streamed list (one conversation) is built whole; none in a real export is near this.
MAX_ITEM_BYTES = 32 * 1024**2
MAX_ZIP_TOTAL_BYTES = 4 * 1024**3
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_RATIO = 200  # uncompressed / compressed, over the members we would read
ZIP_RATIO_FLOOR = 64 * 1024**2  # small members may compress well; only big ones are checked
MAX_FOLDER_FILES = 10_000
PEEK_BYTES = 64 * 1024
HEAD_ITEMS = 5
SQLITE_HEADER = b"SQLite format 3\x00"
ZIP_HEADERS = (b"PK\x03\x04", b"PK\x05\x06")
HTML_JSON_MARKER = re.compile(r"\bvar\s+jsonData\s*=\s*")
SHARD_NAME = re.compile(r"^conversations-(\d+)\.json$", re.IGNORECASE)


# Everything reading a damaged file or zip member can raise.
READ_ERRORS = (OSError, zipfile.BadZipFile, EOFError, ValueError, RuntimeError, NotImplementedError,
               zlib.error, lzma.LZMAError)


class ImportProblem(Exception):
    """An export we cannot read. The message is for the user: file, format, and where it broke."""

    def __init__(self, path: Path, message: str, format_name: str | None = None) -> None:
        self.path = Path(path)
        self.format_name = format_name
        self.detail = message
        prefix = f"{self.path.name} ({format_name})" if format_name else self.path.name
        super().__init__(f"{prefix}: {message}")


@dataclass
class ImportOptions:
    """Choices the user makes at import time."""

    # For multi-speaker logs (LoCoMo, "Name: text" transcripts): whose messages count as "the user".
    # ``user_by_log`` (log label -> name) wins; else the first of ``user_speaker``/``user_names`` who
    # speaks in that log; else its first speaker, and the import's notes say so.
    user_speaker: str | None = None
    user_names: tuple[str, ...] = ()
    user_by_log: dict[str, str] = field(default_factory=dict)


_MISSING: Any = object()


class Source:
    """An export opened once. ``kind`` says what the content is:

    ``json`` (``top`` is "list" or "dict"; ``head`` holds the first items or the object),
    ``jsonl`` (``lines``), ``text`` (``text``), ``sqlite`` (``sqlite_path``, ``tables``), ``empty``.
    """

    def __init__(self, path: Path, options: ImportOptions | None = None, where: str = "") -> None:
        self.path = path
        self.options = options or ImportOptions()
        self.where = where  # "conversations.json in the zip: " when the content is a member
        self.kind = "unknown"
        self.top: str | None = None
        self.head: Any = None
        self.lines: list[Any] | None = None
        self.text: str | None = None
        self.json_error: str | None = None
        self.embedded_in_html = False
        self.peek_text = ""  # the first bytes, decoded leniently: for guessing what a broken file was
        self.sqlite_path: Path | None = None
        self.tables: frozenset[str] = frozenset()
        self._data: Any = _MISSING
        self._openers: list[tuple[str, Callable[[], IO[bytes]]]] = []
        self._closers: list[Callable[[], None]] = []

    # ------------------------------------------------------------ reading content
    @property
    def data(self) -> Any:
        """The whole top-level JSON value. A streamed array is read completely on first use, so
        importers use :meth:`items` and :meth:`first_items` instead; this is for small files only."""
        if self._data is _MISSING:
            self._data = list(self.items()) if self._openers else None
        return self._data

    def items(self) -> Iterator[Any]:
        """Top-level array elements one by one (an object counts as one item; JSONL its records)."""
        if self._openers:
            for label, opener in self._openers:
                yield from _iter_json_array(self, label, opener)
        elif self.kind == "jsonl" and self.lines is not None:
            yield from self.lines
        elif isinstance(self._data, list):
            yield from self._data
        elif self._data is not _MISSING and self._data is not None:
            yield self._data

    def first_items(self, n: int = HEAD_ITEMS) -> list[Any]:
        if self.kind == "jsonl" and self.lines is not None:
            return self.lines[:n]
        if self.top == "list":
            return list(self.head or [])[:n]
        if self.top == "dict":
            return [self.head]
        return []

    def problem(self, message: str, format_name: str | None = None) -> ImportProblem:
        return ImportProblem(self.path, self.where + message, format_name)

    def shape_hint(self) -> str:
        if self.json_error:
            return self.json_error
        if self.kind == "sqlite":
            shown = ", ".join(sorted(self.tables)[:6]) or "no tables"
            return f"it is a SQLite database, but its tables ({shown}) are not a chat history we know"
        if self.kind == "json":
            return f"it is JSON, but its top level is a {self.top} we do not recognise"
        if self.kind == "jsonl":
            return "it is JSON Lines, but its records are not chat messages"
        if self.kind == "empty":
            return "it is empty"
        return "it is neither JSON nor a chat transcript"

    def digest(self) -> str:
        basis = self.text if self.text is not None else json.dumps(self.first_items(2), sort_keys=True, default=str)
        return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def close(self) -> None:
        for closer in reversed(self._closers):
            try:
                closer()
            except Exception:  # noqa: BLE001 - closing must never mask the real outcome
                pass
        self._closers.clear()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class ImportedFile:
    format_name: str
    conversations: list[Conversation]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # choices made for the user, e.g. who "the user" is


class Importer(Protocol):
    name: str

    def detect(self, source: Source) -> bool: ...

    def parse(self, source: Source) -> ImportedFile: ...


# ---------------------------------------------------------------- small helpers for importers
def require_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{what} is not a list")
    return value


def epoch_time(value: Any) -> datetime | None:
    """Seconds or milliseconds since 1970 (numbers or numeric strings); None when unusable."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value <= 0:
        return None
    if value > 1e11:  # milliseconds
        value = value / 1000.0
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def iso_time(value: Any) -> datetime | None:
    """ISO 8601 text ("2024-10-29T15:59:18.774635+00:00", "...Z"), or an epoch number."""
    if isinstance(value, (int, float)):
        return epoch_time(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return epoch_time(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def storable_text(value: str) -> str:
    """``value`` with lone surrogates (JSON may escape them: ``"\\ud800"``) replaced by U+FFFD.

    SQLite, Qt and every UTF-8 writer refuse them, so one such title would fail a whole import.
    """
    if value.isascii():  # the common case, and far cheaper than encoding
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def make_storable(result: ImportedFile) -> None:
    """Every string an import hands on (ids, titles, texts, skipped notes) made storable, in place.
    Only changed strings are set (most are storable already)."""
    for conversation in result.conversations:
        _set_storable(conversation, "id", "title")
        for turn in conversation.turns:
            _set_storable(turn, "text", "source_id")
    result.skipped = [(storable_text(name), storable_text(reason)) for name, reason in result.skipped]


def _set_storable(model: Any, *names: str) -> None:
    for name in names:
        value = getattr(model, name)
        if isinstance(value, str):
            storable = storable_text(value)
            if storable is not value:
                setattr(model, name, storable)


def stable_key(*parts: Any) -> str:
    basis = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def first_line_title(text: str, fallback: str = "Untitled") -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:60]
    return fallback


THINK_TAGS = re.compile(r"<think(?:ing)?>.*?(?:</think(?:ing)?>|\Z)", re.DOTALL | re.IGNORECASE)


def strip_think(text: str) -> str:
    return THINK_TAGS.sub("", text)


#: Export role names that are already ours (most formats use these words).
ROLES = {"user": "user", "assistant": "assistant", "system": "system", "tool": "tool"}


# ---------------------------------------------------------------- JSON
def _iter_json_array(source: Source, label: str, opener: Callable[[], IO[bytes]]) -> Iterator[Any]:
    """Yield the elements of a top-level JSON array, streamed (see :mod:`json_stream`)."""
    where = f"{label}: " if label else ""
    try:
        yield from json_stream.iter_json_array(opener, MAX_FILE_BYTES, MAX_ITEM_BYTES)
    except json_stream.StreamProblem as problem:
        raise source.problem(f"{where}{problem}.") from None
    except json_stream.ReadFailed as error:
        raise source.problem(f"{where}the file could not be read to the end ({error}).") from error
    except READ_ERRORS as error:  # opening the file or zip member
        raise source.problem(f"{where}it cannot be read: {error}.") from error


def _decode_whole(source: Source, raw: bytes, where: str = "") -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise source.problem(where + decode_error(error, 0, raw.count(b"\n", 0, error.start)) + ".") from error


def _try_json_lines(text: str) -> list[Any] | None:
    records: list[Any] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except (json.JSONDecodeError, RecursionError):
            return None
    return records if len(records) > 1 else None


def _fill_from_text(source: Source, text: str) -> None:
    """A whole-text source: a JSON object/array, JSON Lines, HTML with embedded JSON, or a transcript."""
    stripped = text.lstrip()
    if not stripped:
        source.kind = "empty"
        return
    if stripped[0] in "{[":
        try:
            _set_json(source, json.loads(text))
            return
        except json.JSONDecodeError as error:
            at_end = error.pos >= len(text.rstrip())
            source.json_error = describe_json_error(error, at_end)
        except RecursionError:
            source.json_error = "the JSON is nested too deeply"
        lines = _try_json_lines(text)
        if lines is not None:
            source.json_error = None
            source.kind = "jsonl"
            source.lines = lines
            return
        source.kind = "broken-json"
        return
    marker = HTML_JSON_MARKER.search(text) if "<" in stripped[:1000] or "jsonData" in text[:100_000] else None
    if marker is not None:
        try:
            value, _ = json.JSONDecoder().raw_decode(text, marker.end())
        except json.JSONDecodeError as error:
            source.json_error = "the data embedded in the page " + describe_json_error(error, error.pos >= len(text) - 8)
            source.kind = "broken-json"
            source.embedded_in_html = True
            return
        except RecursionError:
            source.json_error = "the data embedded in the page is nested too deeply"
            source.kind = "broken-json"
            return
        _set_json(source, value)
        source.embedded_in_html = True
        return
    source.kind = "text"
    source.text = text


def _set_json(source: Source, value: Any) -> None:
    source.kind = "json"
    source._data = value
    if isinstance(value, list):
        source.top = "list"
        source.head = value[:HEAD_ITEMS]
    elif isinstance(value, dict):
        source.top = "dict"
        source.head = value
    else:
        source.top = type(value).__name__
        source.head = value


def _fill_from_stream(
    source: Source, openers: list[tuple[str, Callable[[], IO[bytes]]]], peek: bytes, size: int
) -> None:
    """Decide from the first bytes how to read; big arrays stream, everything else is read whole.

    ``size`` is what the file system or the zip says the (first) content holds; it is trusted only
    to refuse early: the reading itself stops at the limit whatever it said.
    """
    source.peek_text = peek.decode("utf-8", "replace")
    start = peek.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start[:1] == b"[":
        source.kind = "json"
        source.top = "list"
        source._openers = openers
        head: list[Any] = []
        try:
            for item in _iter_json_array(source, openers[0][0], openers[0][1]):
                head.append(item)
                if len(head) >= HEAD_ITEMS:
                    break
        except ImportProblem as problem:
            source.json_error = problem.detail.removeprefix(source.where).rstrip(".")
            if not head:
                source.kind = "broken-json"
                source._openers = []
        source.head = head
        return
    if len(openers) > 1:
        raise source.problem("the export's parts are not JSON lists of conversations.")
    label, opener = openers[0]
    where = f"{label}: " if label else ""
    page = start[:1] == b"<" or b"jsonData" in peek
    too_big = (f"{where}it is not a JSON list, so it would be read whole, and it holds "
               f"{{size}}, more than the {MAX_WHOLE_BYTES / 1024**2:,.0f} MiB we read whole "
               + ("(import the conversations.json beside this page in the same export instead)." if page else
                  "(a big ChatGPT or Claude export is a JSON list; this is not one)."))
    if size >= MAX_WHOLE_BYTES:
        raise source.problem(too_big.format(size=f"{size / 1e6:,.0f} MB"))
    try:
        with opener() as stream:
            raw = stream.read(MAX_WHOLE_BYTES)  # never more, whatever the size said
    except READ_ERRORS as error:
        raise source.problem(f"{where}it cannot be read: {error}.") from error
    if len(raw) >= MAX_WHOLE_BYTES:
        raise source.problem(too_big.format(size=f"{MAX_WHOLE_BYTES / 1024**2:,.0f} MiB or more"))
    text = _decode_whole(source, raw, where)
    del raw
    _fill_from_text(source, text)


# ---------------------------------------------------------------- containers: zip and folder
def _safe_member_name(name: str) -> bool:
    if not name or "\x00" in name:
        return False
    normal = name.replace("\\", "/")
    if normal.startswith("/") or re.match(r"^[A-Za-z]:", normal):
        return False
    return ".." not in PurePosixPath(normal).parts


def _check_zip(path: Path, archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ImportProblem(path, f"The zip holds {len(infos):,} files, more than the {MAX_ZIP_MEMBERS:,} we accept.")
    for info in infos:
        if not _safe_member_name(info.filename):
            raise ImportProblem(
                path, f"The zip was refused: it holds a file with an unsafe path ({info.filename[:80]!r})."
            )
    total = sum(info.file_size for info in infos)
    if total >= MAX_ZIP_TOTAL_BYTES:
        raise ImportProblem(
            path,
            f"The zip was refused: it would unpack to {total / 1e9:.1f} GB, more than the "
            f"{MAX_ZIP_TOTAL_BYTES / 1e9:.1f} GB we accept (it may be a zip bomb).",
        )
    for info in infos:
        if info.file_size >= MAX_FILE_BYTES:
            raise ImportProblem(
                path, f"The zip was refused: {info.filename} would unpack to {info.file_size / 1e9:,.1f} GB; "
                      f"we read files under {MAX_FILE_BYTES / 1024**3:,.0f} GiB.")
        if info.file_size >= ZIP_RATIO_FLOOR and info.file_size >= MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise ImportProblem(
                path,
                f"The zip was refused: {info.filename} would unpack to {info.file_size / 1e6:,.0f} MB from "
                f"{info.compress_size / 1e6:,.1f} MB, a ratio no real export has (it looks like a zip bomb).",
            )
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for before, after in zip(ordered, ordered[1:]):
        if before.header_offset + before.compress_size > after.header_offset:
            raise ImportProblem(path, "The zip was refused: its files overlap each other (a zip bomb trick).")
    return [info for info in infos if not info.is_dir()]


@dataclass
class _Member:
    name: str  # posix path inside the container
    size: int
    open: Callable[[], IO[bytes]]


def _base(name: str) -> str:
    return PurePosixPath(name).name.lower()


def _choose_members(path: Path, members: list[_Member], what: str) -> list[_Member]:
    """Which files of a zip or folder hold the conversations; ordered."""
    visible = [m for m in members if not _base(m.name).startswith(".") and "__MACOSX" not in m.name]
    by_base: dict[str, list[_Member]] = {}
    for member in visible:
        by_base.setdefault(_base(member.name), []).append(member)

    def shallowest(items: list[_Member]) -> _Member:
        return min(items, key=lambda m: (m.name.count("/"), m.name))

    if "conversations.json" in by_base:
        return [shallowest(by_base["conversations.json"])]
    shards = [m for m in visible if SHARD_NAME.match(_base(m.name))]
    if shards:
        shards.sort(key=lambda m: int(SHARD_NAME.match(_base(m.name)).group(1)))  # type: ignore[union-attr]
        manifest = by_base.get("export_manifest.json")
        if manifest:
            listed = _manifest_shards(shallowest(manifest))
            present = {_base(m.name) for m in shards}
            missing = sorted(n for n in listed if n not in present)
            if missing:
                raise ImportProblem(
                    path,
                    f"The export is incomplete: its manifest lists {', '.join(missing[:3])}"
                    f"{' and more' if len(missing) > 3 else ''}, which the {what} does not hold.",
                    "ChatGPT export",
                )
        return shards
    if "chat.html" in by_base:
        return [shallowest(by_base["chat.html"])]
    if len(visible) == 1:
        return visible
    if not visible:
        raise ImportProblem(path, f"The {what} is empty.")
    shown = ", ".join(sorted(m.name for m in visible)[:5])
    raise ImportProblem(
        path,
        f"The {what} holds no conversations.json or chat.html, so we cannot tell which file to read "
        f"(it holds {shown}{' and more' if len(visible) > 5 else ''}). Import that file directly.",
    )


def _manifest_shards(member: _Member) -> set[str]:
    try:
        with member.open() as stream:
            raw = stream.read(16 * 1024**2)
        manifest = json.loads(raw.decode("utf-8-sig"))
    except (*READ_ERRORS, RecursionError):
        return set()
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and SHARD_NAME.match(PurePosixPath(value.replace("\\", "/")).name.lower()):
            found.add(PurePosixPath(value.replace("\\", "/")).name.lower())

    walk(manifest)
    return found


def _source_from_members(path: Path, members: list[_Member], what: str, options: ImportOptions | None) -> Source:
    chosen = _choose_members(path, members, what)
    inside = "in the zip" if what == "zip" else "in the folder"
    label = (
        f"{chosen[0].name} {inside}" if len(chosen) == 1
        else f"{len(chosen)} parts ({chosen[0].name} …) {inside}"
    )
    source = Source(path, options, where=f"{label}: " if len(chosen) == 1 else "")
    openers = [(("" if len(chosen) == 1 else f"{m.name} {inside}"), m.open) for m in chosen]
    try:
        with chosen[0].open() as stream:
            peek = stream.read(PEEK_BYTES)
    except READ_ERRORS as error:
        raise ImportProblem(path, f"{label} cannot be read: {error}.") from error
    if peek.startswith(SQLITE_HEADER) or peek.startswith(ZIP_HEADERS):
        raise ImportProblem(path, f"{label} is itself a database or archive; unpack it and import that file.")
    _fill_from_stream(source, openers, peek, chosen[0].size)
    return source


def _open_zip(path: Path, options: ImportOptions | None) -> Source:
    try:
        archive = zipfile.ZipFile(path)
    except READ_ERRORS as error:
        raise ImportProblem(path, f"It looks like a zip archive, but it is damaged or cut off ({error}).") from error
    try:
        infos = _check_zip(path, archive)
        members = [_Member(i.filename.replace("\\", "/"), i.file_size, (lambda i=i: archive.open(i))) for i in infos]
        source = _source_from_members(path, members, "zip", options)
    except BaseException:
        archive.close()
        raise
    source._closers.append(archive.close)
    return source


def _open_folder(path: Path, options: ImportOptions | None) -> Source:
    members: list[_Member] = []
    try:
        for index, item in enumerate(sorted(path.rglob("*"))):
            if index > MAX_FOLDER_FILES:
                raise ImportProblem(path, f"The folder holds more than {MAX_FOLDER_FILES:,} files; choose the export file.")
            if len(item.relative_to(path).parts) > 3 or item.is_symlink() or not item.is_file():
                continue
            members.append(_Member(item.relative_to(path).as_posix(), item.stat().st_size,
                                   (lambda item=item: item.open("rb"))))
    except OSError as error:
        raise ImportProblem(path, f"The folder cannot be read: {error.strerror or error}.") from error
    return _source_from_members(path, members, "folder", options)


# ---------------------------------------------------------------- SQLite
# A damaged schema's text reaches Python inside SQLite's error message, which may not be UTF-8.
SQLITE_ERRORS = (sqlite3.Error, UnicodeDecodeError)


def open_sqlite_readonly(path: Path) -> sqlite3.Connection:
    """Read-only: the database belongs to another program and must never change."""
    uri = path.resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=2.0)
        conn.text_factory = _lenient_text
        conn.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
    except SQLITE_ERRORS:
        # A WAL database in a folder we may not write to: read it as an immutable snapshot.
        conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, timeout=2.0)
    conn.text_factory = _lenient_text
    conn.execute("PRAGMA query_only = ON")
    return conn


def _lenient_text(raw: bytes) -> str:
    """SQLite stores whatever bytes it is given as TEXT; a damaged one must not stop the import."""
    return raw.decode("utf-8", "replace")


def _open_sqlite(path: Path, options: ImportOptions | None) -> Source:
    source = Source(path, options)
    source.kind = "sqlite"
    source.sqlite_path = path
    try:
        conn = open_sqlite_readonly(path)
        try:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        finally:
            conn.close()
    except SQLITE_ERRORS as error:
        raise ImportProblem(path, f"It looks like a SQLite database, but it cannot be read ({error}).") from error
    source.tables = frozenset(str(r[0]) for r in rows)
    return source


# ---------------------------------------------------------------- entry point
def open_source(path: Path, options: ImportOptions | None = None) -> Source:
    """Open any supported export by looking at its content. Close it (or use ``with``) when done."""
    path = Path(path)
    try:
        if path.is_dir():
            return _open_folder(path, options)
        size = path.stat().st_size
    except OSError as error:
        raise ImportProblem(path, f"The file cannot be opened: {error.strerror or error}.") from error
    try:
        with path.open("rb") as handle:
            peek = handle.read(PEEK_BYTES)
    except OSError as error:
        raise ImportProblem(path, f"The file cannot be read: {error.strerror or error}.") from error
    if peek.startswith(SQLITE_HEADER):
        return _open_sqlite(path, options)
    if peek.startswith(ZIP_HEADERS):
        return _open_zip(path, options)
    if size >= MAX_FILE_BYTES:
        raise ImportProblem(path, f"The file is {size / 1e9:,.1f} GB; we read files under "
                                  f"{MAX_FILE_BYTES / 1024**3:,.0f} GiB.")
    source = Source(path, options)
    _fill_from_stream(source, [("", lambda: path.open("rb"))], peek, size)
    return source


def read_source(path: Path, options: ImportOptions | None = None) -> Source:
    """Kept for callers of the first version; prefer :func:`open_source` in a ``with`` block."""
    return open_source(path, options)


# ---------------------------------------------------------------- the per-conversation loop
CONVERSATION_ERRORS = (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError, OverflowError)


def collect(
    format_name: str,
    records: Iterator[Any] | list[Any],
    parse_one: Callable[[Any], Conversation | None],
    label: Callable[[Any, int], str],
) -> ImportedFile:
    """Parse each record; a bad one is listed as skipped with its reason, the rest still import."""
    result = ImportedFile(format_name=format_name, conversations=[])
    for position, record in enumerate(records, start=1):
        try:
            name = label(record, position)
        except CONVERSATION_ERRORS:
            name = f"conversation {position}"
        try:
            conversation = parse_one(record)
        except CONVERSATION_ERRORS as error:
            reason = str(error) or type(error).__name__
            result.skipped.append((name, f"was skipped: {reason}."))
            continue
        if conversation is not None:
            result.conversations.append(conversation)
    return result


def title_of(record: Any, position: int, *keys: str) -> str:
    if isinstance(record, dict):
        for key in keys:
            value = record.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:80]
    return f"conversation {position}"
