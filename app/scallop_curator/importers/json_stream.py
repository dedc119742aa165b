"""Streaming the elements of a top-level JSON array from a byte stream, in bounded memory.

Each element is decoded by the standard library's C scanner (``JSONDecoder.raw_decode``) from a
text buffer refilled in 1 MB chunks, so a 200 MB export is never held as bytes or text, it is
as fast as ``json.load`` of the whole file, a broken file gets the exact line and column, and deep
nesting stops with a ``RecursionError`` at about a thousand levels.

ijson's C backend (yajl2_c) was measured in its place and not kept: it was no faster here, and its
memory grows with the square of the nesting depth (40,000 nested brackets, a 80 KB file, took
3 GB and a ``MemoryError``), so any input could not have stayed bounded without a second scan.

Every read is counted: the whole stream may not reach ``max_bytes`` and no single element may
take ``max_item_bytes``, whatever a zip header or ``stat`` said beforehand.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from typing import IO, Any

CHUNK_CHARS = 1 << 20
COMPACT_CHARS = 1 << 16  # text already read that is dropped from the buffer before the next element
MAX_READ = 8 << 20  # reads grow with a big element (fewer re-parses), but never past this
BOM = b"\xef\xbb\xbf"
_WS = " \t\r\n"


class StreamProblem(Exception):
    """The stream is not a readable JSON list; the message says where, for a person."""


class ReadFailed(Exception):
    """Reading the underlying file or zip member failed (the cause is chained)."""


class _Guard:
    """A read-only byte stream that counts what it hands out and stops at the limits."""

    def __init__(self, stream: IO[bytes], max_bytes: int, max_item_bytes: int) -> None:
        self.stream = stream
        self.max_bytes = max_bytes
        self.max_item_bytes = max_item_bytes
        self.consumed = 0
        self.item_start = 0  # where the element being built began (roughly: at the last element's end)
        self.items = 0
        self._first = True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = CHUNK_CHARS
        try:
            chunk = self.stream.read(size)
            if self._first and chunk:
                self._first = False
                if chunk.startswith(BOM[: len(chunk)]):
                    while len(chunk) < len(BOM):
                        more = self.stream.read(len(BOM) - len(chunk))
                        if not more:
                            break
                        chunk += more
                    if chunk.startswith(BOM):
                        self.consumed += len(BOM)
                        chunk = chunk[len(BOM):]
        except Exception as error:  # noqa: BLE001 - re-raised with its cause; base.py decides what it means
            raise ReadFailed(str(error)) from error
        self.consumed += len(chunk)
        if self.consumed >= self.max_bytes:
            raise StreamProblem(f"it holds {self.max_bytes / 1024**3:,.0f} GiB or more, more than we read")
        # Bytes since the element began, before this read: a parser reads ahead by one read, so
        # that much slack is allowed (at most what the buffer already holds).
        if self.consumed - len(chunk) - self.item_start >= self.max_item_bytes:
            raise StreamProblem(
                f"conversation {self.items + 1:,} (from byte {self.item_start:,}) is larger than "
                f"{self.max_item_bytes / 1024**2:,.0f} MiB, more than any real conversation; "
                "the file is damaged or not an export"
            )
        return chunk

    def next_item(self) -> None:
        self.items += 1
        self.item_start = self.consumed

    def close(self) -> None:
        try:
            self.stream.close()
        except Exception:  # noqa: BLE001 - closing must never mask the real outcome
            pass


def iter_json_array(opener: Callable[[], IO[bytes]], max_bytes: int, max_item_bytes: int) -> Iterator[Any]:
    """Yield the elements of the top-level JSON array in the stream ``opener`` opens.

    Raises :class:`StreamProblem` (a message for a person) or :class:`ReadFailed`.
    """
    yield from _array(_Guard(opener(), max_bytes, max_item_bytes), opener)


def _newlines_before(opener: Callable[[], IO[bytes]], size: int) -> int | None:
    """Newlines in the stream's first ``size`` bytes, read again from its start: lines are counted
    only for a message (counting them while streaming was 5% of the parse). None if it cannot be read."""
    try:
        stream = opener()
    except Exception:  # noqa: BLE001 - only the message's line number is lost
        return None
    try:
        newlines = 0
        while size > 0:
            chunk = stream.read(min(size, CHUNK_CHARS))
            if not chunk:
                break
            newlines += chunk.count(b"\n")  # a newline byte is never part of another character
            size -= len(chunk)
        return newlines
    except Exception:  # noqa: BLE001
        return None
    finally:
        try:
            stream.close()
        except Exception:  # noqa: BLE001
            pass


def describe_json_error(error: json.JSONDecodeError, at_end: bool, line_offset: int = 0, char_offset: int = 0) -> str:
    line = line_offset + error.lineno
    if at_end:
        return f"the JSON ends early at line {line:,} (the file looks cut off)"
    where = f"line {line:,}, column {error.colno:,}"
    if line == 1 and error.colno > 200:
        where = f"character {char_offset + error.pos:,} (line 1)"
    return f"the JSON breaks at {where}: {error.msg.lower()}"


def decode_error(error: UnicodeDecodeError, byte_offset: int, lines_before: int) -> str:
    return (
        f"the file is not valid UTF-8 text: byte {byte_offset + error.start:,} "
        f"(around line {lines_before + 1:,}) cannot be decoded"
    )


def _array(guard: _Guard, opener: Callable[[], IO[bytes]]) -> Iterator[Any]:
    """The standard library's decoder over chunks of text: exact line and column when it breaks."""
    decoder = json.JSONDecoder()
    incremental = codecs.getincrementaldecoder("utf-8")(errors="strict")  # the guard drops a BOM
    buffer = ""
    pos = 0
    eof = False
    chars_dropped = 0
    want = CHUNK_CHARS

    def more() -> bool:
        nonlocal buffer, pos, eof, chars_dropped, want
        if eof:
            return False
        chunk = guard.read(want)
        pending = len(incremental.getstate()[0])  # bytes of a character cut by the last chunk
        start = guard.consumed - len(chunk) - pending  # where the decoded bytes begin in the file
        try:
            text = incremental.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            raise StreamProblem(decode_error(error, start, _newlines_before(opener, start) or 0)) from error
        eof = not chunk
        chars_dropped += pos
        buffer = buffer[pos:] + text if pos < len(buffer) else text  # one copy of the new text at most
        pos = 0
        want = min(max(CHUNK_CHARS, len(buffer)), MAX_READ)  # big elements: fewer re-parses, bounded reads
        return True

    def lines_dropped() -> int:
        """Newlines in the text already dropped from the buffer (only counted for a message)."""
        if not chars_dropped:
            return 0
        pending = len(incremental.getstate()[0])
        kept = len(buffer.encode("utf-8", "surrogatepass"))
        found = _newlines_before(opener, guard.consumed - pending - kept)  # a BOM holds no newline
        if found is None:
            raise StreamProblem(f"the JSON breaks at character {chars_dropped + pos:,}, and the file could not be "
                                "read again to say at which line")
        return found

    def skip_ws() -> None:
        nonlocal pos
        while True:
            while pos < len(buffer) and buffer[pos] in _WS:
                pos += 1
            if pos < len(buffer) or not more():
                return

    def line_here() -> int:
        return lines_dropped() + buffer.count("\n", 0, pos) + 1

    try:
        skip_ws()
        if pos >= len(buffer):
            raise StreamProblem("the file is empty")
        if buffer[pos] != "[":
            raise StreamProblem(f"expected a JSON list at line {line_here():,}")
        pos += 1
        skip_ws()
        if pos < len(buffer) and buffer[pos] == "]":
            pos += 1
        else:
            while True:
                skip_ws()
                if pos >= len(buffer):
                    raise StreamProblem(f"the JSON ends early at line {line_here():,} (the file looks cut off)")
                if pos > COMPACT_CHARS and pos > len(buffer) >> 1:
                    # The element cut by the buffer's end fails once before more is read, and the
                    # error counts the lines of everything before it: drop what was read first (a
                    # copy of at most half the buffer, against counting all of it at every chunk).
                    chars_dropped += pos
                    buffer = buffer[pos:]
                    pos = 0
                while True:
                    try:
                        value, end = decoder.raw_decode(buffer, pos)
                    except json.JSONDecodeError as error:
                        incomplete = error.msg.startswith("Unterminated string") or error.pos >= len(buffer) - 8
                        if incomplete and more():
                            continue
                        raise StreamProblem(
                            describe_json_error(error, eof and incomplete, lines_dropped(), chars_dropped)
                        ) from None
                    except RecursionError:
                        raise StreamProblem(f"the JSON is nested too deeply near line {line_here():,}") from None
                    if end >= len(buffer) and not eof and more():
                        continue  # a bare number may go on in the next chunk
                    break
                pos = end
                guard.next_item()
                yield value
                skip_ws()
                if pos >= len(buffer):
                    raise StreamProblem(f"the JSON ends early at line {line_here():,} (the file looks cut off)")
                if buffer[pos] == ",":
                    pos += 1
                    continue
                if buffer[pos] == "]":
                    pos += 1
                    break
                raise StreamProblem(f"the JSON breaks at line {line_here():,}: expected ',' or ']' between items")
        skip_ws()
        if pos < len(buffer):
            raise StreamProblem(f"the JSON list is followed by unexpected text at line {line_here():,}")
    finally:
        guard.close()
