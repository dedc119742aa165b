"""Gemini Apps activity from Google Takeout (``My Activity/Gemini Apps/MyActivity.json``).

Each record is one prompt: ``title`` "Prompted …" is what the user typed, ``safeHtmlItem`` the
answer as HTML. Records that link to a conversation (``gemini.google.com/app/<id>``) are grouped
into it; the rest are one conversation each. Takeout lists newest first; turns are put in order.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import (
    CONVERSATION_ERRORS,
    ImportedFile,
    Source,
    first_line_title,
    iso_time,
    stable_key,
)

HEADERS = {"Gemini Apps", "Bard", "Gemini"}
PROMPT_PREFIXES = ("Prompted ", "Asked ")
LINK = re.compile(r"https?://(?:gemini\.google\.com/app|bard\.google\.com/chat)/([A-Za-z0-9_-]+)")
BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "table",
              "blockquote"}


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines())).strip()


def _is_record(value: Any) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("title"), str):
        return False
    products = value.get("products")
    header = value.get("header")
    return (isinstance(header, str) and header in HEADERS) or (
        isinstance(products, list) and any(isinstance(p, str) and p in HEADERS for p in products))


def _link(record: dict[str, Any]) -> str | None:
    candidates = [record.get("titleUrl")]
    for key in ("subtitles", "details"):
        if isinstance(record.get(key), list):
            candidates += [s.get("url") for s in record[key] if isinstance(s, dict)]
    for url in candidates:
        if isinstance(url, str):
            match = LINK.search(url)
            if match:
                return match.group(1)
    return None


def _response(record: dict[str, Any]) -> str:
    items = record.get("safeHtmlItem")
    if not isinstance(items, list):
        return ""
    return "\n\n".join(html_text(i["html"]) for i in items if isinstance(i, dict) and isinstance(i.get("html"), str))


class GeminiImporter:
    name = "Gemini activity (Google Takeout)"

    def detect(self, source: Source) -> bool:
        return source.kind == "json" and source.top == "list" and any(_is_record(r) for r in source.first_items())

    def parse(self, source: Source) -> ImportedFile:
        groups: dict[str, list[tuple[Any, Turn, Turn | None]]] = {}
        skipped: list[tuple[str, str]] = []
        for position, record in enumerate(source.items(), start=1):
            try:
                self._add(record, position, groups, skipped)
            except CONVERSATION_ERRORS as error:
                skipped.append((f"record {position}", f"was skipped: {error}."))
        conversations = []
        for group, entries in groups.items():
            entries.sort(key=lambda e: e[0])
            turns = [t for _, user, reply in entries for t in (user, reply) if t is not None]
            conversations.append(Conversation(
                id=f"gemini:{group}",
                title=first_line_title(turns[0].text),
                created_at=turns[0].time,
                updated_at=turns[-1].time,
                turns=turns,
            ))
        return ImportedFile(self.name, conversations, skipped)

    def _add(self, record: Any, position: int, groups: dict[str, list[tuple[Any, Turn, Turn | None]]],
             skipped: list[tuple[str, str]]) -> None:
        if not _is_record(record):
            if isinstance(record, dict) and "title" in record and "header" in record:
                return  # another product's activity in the same file
            skipped.append((f"record {position}", "was skipped: it is not a Gemini activity record."))
            return
        title = record["title"]
        prefix = next((p for p in PROMPT_PREFIXES if title.startswith(p)), None)
        if prefix is None:
            return  # "Used Gemini Apps", feedback and settings records: nothing was said
        prompt = unescape(title[len(prefix):]).strip()
        if not prompt:
            return
        when = iso_time(record.get("time"))
        key = stable_key(record.get("time"), prompt)
        user = Turn(role="user", text=prompt, time=when, source_id=f"{key}:prompt")
        answer = _response(record)
        reply = Turn(role="assistant", text=answer, time=when, source_id=f"{key}:response") if answer else None
        group = _link(record) or key
        groups.setdefault(group, []).append((when.timestamp() if when else 0.0, user, reply))
