"""One entry point for every target, shared by ``scallop-curator export`` and File → Export."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scallop_curator.exporters import ExportError, exportable, jsonl, markdown, openwebui, scallopbot, sillytavern, text
from scallop_curator.store import Store

FILE_TARGETS = ("text", "sillytavern", "jsonl", "markdown")


@dataclass(frozen=True)
class ExportRequest:
    target: str
    out: Path | None = None          # text, sillytavern, jsonl, markdown
    url: str | None = None           # openwebui
    api_key: str | None = None       # openwebui
    target_db: Path | None = None    # scallopbot
    budget: int | None = text.DEFAULT_BUDGET  # text: characters; None for no limit
    include_superseded: bool = False


def render(store: Store, request: ExportRequest) -> str:
    """The file's text for a file target."""
    rows = exportable(store, request.include_superseded)
    if request.target == "text":
        return text.about_me(rows, request.budget) + "\n"
    if request.target == "markdown":
        return markdown.render(rows)
    if request.target == "sillytavern":
        return json.dumps(sillytavern.world_info(rows), ensure_ascii=False, indent=2) + "\n"
    if request.target == "jsonl":
        from io import StringIO

        buffer = StringIO()
        jsonl.write(store, rows, buffer)
        return buffer.getvalue()
    raise ExportError(f"{request.target} is not written to a file")


def _write_atomically(path: Path, content: str) -> None:
    """Write beside the target and rename, so a failed export never leaves half a file."""
    path = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
        os.replace(temporary, path)
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from error


def export(store: Store, request: ExportRequest, progress: Callable[[int, int], None] | None = None,
           should_stop: Callable[[], bool] | None = None) -> str:
    """Do the export; returns one line saying what was done. ``progress`` and ``should_stop`` reach the
    target that sends memory by memory (Open WebUI); the others are one quick step each."""
    if request.target in FILE_TARGETS:
        if request.out is None:
            raise ExportError(f"--to {request.target} needs --out FILE")
        content = render(store, request)
        _write_atomically(request.out, content)
        count = len(exportable(store, request.include_superseded))
        return f"{count} memories written to {request.out} ({request.target}, {len(content):,} characters)"
    if request.target == "openwebui":
        if not request.url or not request.api_key:
            raise ExportError("--to openwebui needs --url URL and --api-key KEY")
        report = openwebui.sync(store, request.url, request.api_key, progress=progress, should_stop=should_stop)
        return (f"Open WebUI at {request.url}: {report.added} added, {report.updated} updated, "
                f"{report.deleted} deleted, {report.unchanged} already there")
    if request.target == "scallopbot":
        if request.target_db is None:
            raise ExportError("--to scallopbot needs --target-db FILE (ScallopBot's memories.db)")
        result = scallopbot.export(store, request.target_db)
        return (f"ScallopBot {request.target_db}: {result.added} added, {result.updated} updated, "
                f"{result.superseded} superseded, {result.deleted} deleted, {result.profile} profile entries; "
                f"backup at {result.backup}")
    raise ExportError(f"unknown export target {request.target!r}")
