"""Chat export importers: one module per format, chosen by looking at the content.

Add a format by writing a module with an :class:`Importer` and listing it in ``IMPORTERS``.
"""

from __future__ import annotations

from pathlib import Path

from scallop_curator.importers.base import ImportedFile, Importer, ImportProblem, Source, read_source
from scallop_curator.importers.chatgpt import ChatGPTImporter
from scallop_curator.importers.openai_messages import OpenAIMessagesImporter

IMPORTERS: list[Importer] = [ChatGPTImporter(), OpenAIMessagesImporter()]

__all__ = ["IMPORTERS", "ImportProblem", "ImportedFile", "Importer", "detect", "load_export"]


def detect(source: Source) -> Importer | None:
    for importer in IMPORTERS:
        if importer.detect(source):
            return importer
    return None


def load_export(path: str | Path) -> ImportedFile:
    """Read one export file completely; raises :class:`ImportProblem` with a plain message."""
    source = read_source(Path(path))
    importer = detect(source)
    if importer is None:
        raise ImportProblem(
            source.path,
            "This file is not a chat export we can read"
            + (f" ({source.shape_hint()})." if source.shape_hint() else "."),
        )
    result = importer.parse(source)
    if not result.conversations and not result.skipped:
        raise ImportProblem(source.path, f"This {importer.name} holds no conversations.", importer.name)
    if not result.conversations:
        first = result.skipped[0]
        raise ImportProblem(
            source.path,
            f"None of the {len(result.skipped)} conversations in this {importer.name} could be read; "
            f"the first, {first[0]!r}, {first[1]}",
            importer.name,
        )
    return result
